"""Hostile symbolic graphs: sizes whose formulas would blow up (large powers, many symbols,
many blocks). Each answers within the time and address-space limits: a clean refusal that
names the block or count and the limit, or a successful run."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

#: Seconds a symbolic case may take (own work; the harness's hang limit is 60 s).
SYMBOLIC_SECONDS = 20.0


def _single(size: str, symbols: str = "{n: 3}", hidden: str = "n") -> str:
    body = f"V: {{x: {size}}}\nD: {{h: {hidden}}}\nD': {{y: 1}}\nE: [[x, h], [h, y]]\n"
    return f"symbols: {symbols}\n{body}"


def _wide(inputs: int, hidden: int, fan: int) -> str:
    names = ", ".join(f"s{i}: 2" for i in range(inputs + hidden))
    lines = [f"symbols: {{{names}}}", "V:"]
    lines += [f"  x{i}: s{i}" for i in range(inputs)]
    lines += ["D:", *(f"  h{j}: s{inputs + j}" for j in range(hidden)), "D': {y: 1}", "E:"]
    lines += [f"  - [x{(j * fan + i) % inputs}, h{j}]" for j in range(hidden) for i in range(fan)]
    lines += [f"  - [h{j}, y]" for j in range(hidden)]
    return "\n".join(lines) + "\n"


def _chain(blocks: int, size: str) -> str:
    lines = ["symbols: {n: 3, m: 2}", "V: {x0: n}", "D:"]
    lines += [f"  x{i}: {size.format(i=i)}" for i in range(1, blocks)]
    lines += ["D': {y: 1}", "E:", *(f"  - [x{i}, x{i + 1}]" for i in range(blocks - 1))]
    lines.append(f"  - [x{blocks - 1}, y]")
    return "\n".join(lines) + "\n"


_PRODUCT = " * ".join(f"p{i}" for i in range(60))
_PRODUCT_SYMBOLS = "{" + ", ".join(f"p{i}: 1" for i in range(60)) + "}"

#: Formulas asked for (--symbolic, --latex): too large is an error naming the block or count.
REFUSED = [
    pytest.param(_single("(n+1)**200"), ["--symbolic"], ["block 'x'", "degree 100"], id="power"),
    pytest.param(_single("(n+1)**200"), ["--latex"], ["block 'x'"], id="power-latex"),
    pytest.param(
        _single("(n+1)**200"), ["--symbolic", "--format", "json"], ["block 'x'"], id="power-json"
    ),
    pytest.param(
        _single("n**50", hidden="(n+1)**200"), ["--symbolic"], ["block 'h'"], id="powers-hidden"
    ),
    pytest.param(
        _single("n**1000*m**1000", "{n: 3, m: 2}"),
        ["--latex"],
        ["degree up to 2,000"],
        id="monomial",
    ),
    pytest.param(
        _single("(n+m+k)**1000", "{n: 3, m: 2, k: 2}"),
        ["--symbolic", "--set", "n=2"],
        ["501,502 terms"],
        id="trinomial",
    ),
    pytest.param(_single("(n//3+1)**300"), ["--symbolic"], ["block 'x'"], id="floor-power"),
    pytest.param(_single("n**120/2**10"), ["--symbolic"], ["block 'x'"], id="quotient"),
    pytest.param(
        "symbols: {n: 3}\nV: {x: n**40}\nD: {h: n**40}\nD': {y: n**40}\nE: [[x, h], [h, y]]\n",
        ["--symbolic"],
        ["forward multiplications", "degree up to 120", "--set n=3"],
        id="count-degree",
    ),
    pytest.param(_wide(100, 100, 10), ["--symbolic"], ["terms", "--set s0=2"], id="wide-200"),
    pytest.param(
        _chain(60, "n**{i}"), ["--symbolic"], ["forward multiplications"], id="chain-powers"
    ),
]

#: Formulas only shown by default (the symbols have values): the counts, and a warning.
FALLBACK = [
    pytest.param(_single("(n+1)**200"), [], ["block 'x'", "degree 100"], id="power"),
    pytest.param(_single("(n+1)**200"), ["--format", "json"], ["block 'x'"], id="power-json"),
    pytest.param(_single("n**1000*m**1000", "{n: 3, m: 2}"), [], ["2,000"], id="monomial"),
    pytest.param(_single("(n+m+k)**1000", "{n: 3, m: 2, k: 2}"), [], ["terms"], id="trinomial"),
    pytest.param(_wide(100, 100, 10), [], ["terms"], id="wide-200-symbols"),
    pytest.param(_chain(60, "n**{i}"), [], ["forward multiplications"], id="chain-powers"),
]


@pytest.mark.parametrize(("text", "options", "fragments"), FALLBACK)
def test_symbolic_blowup_falls_back_to_numbers(
    graph_file, text: str, options: list[str], fragments
) -> None:
    path = graph_file(text)
    outcome = run_graphcost(["analyze", str(path), *options])
    assert outcome.code == 0, outcome.stderr
    warning = outcome.stderr.strip()
    assert warning.startswith("Warning: formulas not derived"), warning
    assert "\n" not in warning
    assert "Traceback" not in warning
    for fragment in ["limits", *fragments]:
        assert fragment in warning, (fragment, warning)
    assert "forward" in outcome.stdout
    assert outcome.seconds < SYMBOLIC_SECONDS


def test_csv_derives_no_formula_so_a_blowup_costs_nothing(graph_file) -> None:
    # CSV rows hold numbers only: the formulas are not derived (nor sympy imported), so no
    # warning either; the counts are exact at the symbol values.
    path = graph_file(_single("(n//3+1)**300"))
    outcome = run_graphcost(["analyze", str(path), "--format", "csv"])
    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr == ""
    header, row = outcome.stdout.splitlines()
    assert header.startswith("n,forward_multiplications,")
    assert row.split(",")[1].isdigit()
    assert outcome.seconds < SYMBOLIC_SECONDS


def test_sweep_of_a_size_too_large_to_expand(graph_file) -> None:
    # (n+m+k)**1000 is evaluated exactly per point, never expanded (the sweep used to hang).
    path = graph_file(_single("(n+m+k)**1000", "{n: 2, m: 3, k: 1}"))
    outcome = run_graphcost(["sweep", str(path), "--over", "n=1:3", "--format", "csv"])
    assert outcome.code == 0, outcome.stderr
    rows = outcome.stdout.splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == [1, 2, 3]
    # x -> h -> y with |x| = (n+4)**1000, |h| = n, |y| = 1: forward = |x|·|h|·1 (the h step).
    assert [int(row.split(",")[3]) for row in rows] == [(n + 4) ** 1000 * n for n in (1, 2, 3)]
    assert outcome.seconds < SYMBOLIC_SECONDS


@pytest.mark.parametrize(("text", "options", "fragments"), REFUSED)
def test_symbolic_blowup_refused(graph_file, text: str, options: list[str], fragments) -> None:
    path = graph_file(text)
    outcome = run_graphcost(["analyze", str(path), *options])
    assert_clean_error(outcome, contains=["limits", *fragments])
    assert outcome.seconds < SYMBOLIC_SECONDS


def test_unset_symbol_refused(tmp_path) -> None:
    # No value for n: formulas are all analyze could show, and they are too large.
    outcome = run_graphcost(["analyze", "--layers", "(n+1)**300,n,1"], cwd=tmp_path)
    assert_clean_error(outcome, contains=["limits", "--set n=VALUE"])
    assert outcome.seconds < SYMBOLIC_SECONDS


SUCCEEDS = [
    pytest.param(_single("(n+1)**200"), ["--set", "n=3"], "forward", id="power-with-values"),
    pytest.param(
        _single("(n+1)**200"), ["--set", "n=3", "--format", "csv"], "forward", id="power-csv"
    ),
    pytest.param(_chain(300, "n**2 + {i}*m + {i}"), [], "speed-up", id="chain-300-polynomials"),
    pytest.param(_chain(200, "n*m"), ["--format", "json"], '"symbolic"', id="chain-products"),
    pytest.param(_wide(20, 10, 10), ["--symbolic"], "formula", id="wide-30-symbols"),
    pytest.param(
        _single(_PRODUCT, _PRODUCT_SYMBOLS, hidden="p0"), [], "speed-up", id="product-60-symbols"
    ),
    pytest.param(_single("(n+1)**30"), ["--latex"], "speed-up", id="power-30-latex"),
]


@pytest.mark.parametrize(("text", "options", "expected"), SUCCEEDS)
def test_symbolic_large_but_bounded(graph_file, text: str, options: list[str], expected) -> None:
    path = graph_file(text)
    outcome = run_graphcost(["analyze", str(path), *options])
    assert outcome.code == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert expected in outcome.stdout
    assert outcome.seconds < SYMBOLIC_SECONDS


def test_sweep_of_large_power_counts(graph_file) -> None:
    # A sweep evaluates the sizes per point; a size of degree 200 is fine there.
    path = graph_file(_single("(n+1)**200"))
    outcome = run_graphcost(["sweep", str(path), "--over", "n=1:5", "--format", "csv"])
    assert outcome.code == 0, outcome.stderr
    assert len(outcome.stdout.splitlines()) == 6
    assert outcome.seconds < SYMBOLIC_SECONDS
