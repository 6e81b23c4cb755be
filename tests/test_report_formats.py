"""The markdown and latex formats of graphcost.report."""

from __future__ import annotations

from graphcost.report import FORMATS, Report, render

REPORT = Report(
    title="t_1 & 50%",
    columns=["name", "a|b"],
    rows=[["x_1", "1"], ["{y}", "~^\\"]],
    records=[],
    data=None,
    notes=["note #1"],
)


def test_markdown() -> None:
    assert render(REPORT, "markdown") == (
        "**t_1 & 50%**\n\n| name | a\\|b |\n|:---|---:|\n| x_1 | 1 |\n| {y} | ~^\\ |\n\nnote #1  \n"
    )


def test_latex_escapes_special_characters() -> None:
    text = render(REPORT, "latex")
    assert text.splitlines() == [
        "% t\\_1 \\& 50\\%",
        "\\begin{tabular}{lr}",
        "\\toprule",
        "name & a|b \\\\",
        "\\midrule",
        "x\\_1 & 1 \\\\",
        "\\{y\\} & \\textasciitilde{}\\textasciicircum{}\\textbackslash{} \\\\",
        "\\bottomrule",
        "\\end{tabular}",
        "% note \\#1",
    ]


def test_registered() -> None:
    assert {"markdown", "latex"} <= set(FORMATS)
