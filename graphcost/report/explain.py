"""The report of ``graphcost analyze --explain``: each block's term of the two counts.

One row per block with a multiplication term (forward or backward), then a ``total`` row;
each term is shown as its factors (``(2*n/3)·n·(n/3)``, ``20·30·10``), its formula when the
sizes are symbols, and its value. The notes say what the factors count under the convention,
what the other convention counts instead and why its speed-up differs. The terms come from
:func:`graphcost.count.explain.explain`; this module only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphcost.count.explain import BlockTerms, Explanation
from graphcost.report.cells import Math, formula, joined, product
from graphcost.report.render import Report, format_int, format_ratio

#: The two schedules' multiplication quantities, in column order.
_SCHEDULES = (("forward", "forward_multiplications"), ("backward", "backward_multiplications"))

#: What one block's term is, per convention: note lines (under 80 columns).
_TERM_WORDS = {
    "elimination": (
        "elimination convention: a product with a unit seed (Δ_uu = 1) or a structural",
        "zero is free, so forward j costs |j|·(inputs reaching j)·(successors of j)",
        "and backward j costs |j|·(predecessors of j)·(outputs j reaches)",
    ),
    "dense": (
        "dense convention: every local partial is multiplied once per seed direction,",
        "unit seeds included, so forward j costs |V|·(partials into j) and backward",
        "j costs |D'|·(partials out of j)",
    ),
}


@dataclass(frozen=True)
class OtherConvention:
    """The other convention's counts, for the note on why the speed-ups differ."""

    name: str
    forward: int | None
    backward: int | None


def explanation_report(
    numbers: Explanation | None,
    formulas: Explanation | None,
    *,
    other: OtherConvention | None = None,
    latex: bool = False,
) -> Report:
    """The report of the block terms: values from ``numbers``, formulas from ``formulas``.

    Parameters
    ----------
    numbers
        The terms at the symbol values; ``None`` when a symbol has no value.
    formulas
        The terms in the size symbols; ``None`` when no formula is shown.
    other
        The other convention's counts at the same values (for the convention note).
    latex
        Show formulas as LaTeX source in the table too (``--latex``).
    """
    shown = numbers if numbers is not None else formulas
    if shown is None:
        raise ValueError("an explanation needs numbers or formulas")
    rows = [
        _row(
            block,
            None if numbers is None else numbers.blocks[i],
            None if formulas is None else formulas.blocks[i],
            latex,
        )
        for i, block in enumerate(shown.blocks)
        if any(block.values[quantity] != 0 for _, quantity in _SCHEDULES)
    ]
    rows.append(_total_row(numbers, formulas, latex))
    columns = ["block", "role"]
    for schedule, _ in _SCHEDULES:
        columns += [f"{schedule} term"] + ([schedule] if numbers is not None else [])
    return Report(
        title=_title(shown),
        columns=columns,
        rows=[[cell for cell in row if cell is not _ABSENT] for row in rows],
        records=[] if numbers is None else _records(numbers),
        data=_data(numbers, formulas),
        notes=_notes(numbers, formulas, other, latex),
    )


_ABSENT = object()


def _term(parts: BlockTerms | None, quantity: str, latex: bool) -> Math:
    if parts is None:
        return Math("", "")
    return joined(
        [(p.sign, product(p.factors, latex=latex)) for p in parts.parts[quantity]]
        or [(1, Math("0", "0"))]
    )


def _with_formula(term: Math, value: Any, latex: bool) -> Math:
    """``term = formula`` (the formula of a symbolic term), unless they read the same."""
    from graphcost.count.symbolic import present

    shown = formula(present(value), latex=latex)
    if not isinstance(shown, Math) or shown.text == term.text:
        return term
    return Math(f"{term.text} = {shown.text}", f"{term.latex} = {shown.latex}")


def _row(
    block: BlockTerms, numbers: BlockTerms | None, formulas: BlockTerms | None, latex: bool
) -> list[Any]:
    row: list[Any] = [block.block, block.role]
    for _, quantity in _SCHEDULES:
        if formulas is not None:
            term = _with_formula(_term(formulas, quantity, latex), formulas.values[quantity], latex)
        else:
            term = _term(numbers, quantity, latex)
        row.append(term)
        row.append(_ABSENT if numbers is None else format_int(numbers.values[quantity]))
    return row


def _total_row(numbers: Explanation | None, formulas: Explanation | None, latex: bool) -> list:
    from graphcost.count.symbolic import present

    row: list[Any] = ["total", ""]
    for _, quantity in _SCHEDULES:
        row.append(
            "" if formulas is None else formula(present(formulas.totals[quantity]), latex=latex)
        )
        row.append(_ABSENT if numbers is None else format_int(numbers.totals[quantity]))
    return row


def _title(shown: Explanation) -> str:
    values = ", ".join(f"{k} = {v:,}" for k, v in shown.values.items())
    where = f"{shown.convention} convention" + (f", {values}" if values else "")
    return f"{shown.graph} — each block's term ({where})"


def _notes(
    numbers: Explanation | None,
    formulas: Explanation | None,
    other: OtherConvention | None,
    latex: bool,
) -> list[Any]:
    shown = numbers if numbers is not None else formulas
    assert shown is not None
    notes: list[Any] = [
        "the block terms add up to the totals; additions per block: --format json or csv",
        *_TERM_WORDS.get(shown.convention, ()),
    ]
    if numbers is not None:
        forward = numbers.totals["forward_multiplications"]
        backward = numbers.totals["backward_multiplications"]
        notes.append(f"speed-up (forward / backward): {_ratio(forward, backward)}")
    if formulas is not None:
        from graphcost.count.symbolic import single_fraction

        forward = formulas.totals["forward_multiplications"]
        backward = formulas.totals["backward_multiplications"]
        if backward != 0:
            notes.append(
                ("speed-up formula: ", formula(single_fraction(forward / backward), latex=latex))
            )
    if other is not None:
        notes.extend(_other_note(other))
    return notes


def _ratio(forward: int, backward: int) -> str:
    from fractions import Fraction

    return format_ratio(Fraction(forward, backward) if backward else None)


def _other_note(other: OtherConvention) -> list[str]:
    counted = None
    if other.forward is not None and other.backward is not None:
        counted = (
            f"{format_int(other.forward)} forward, {format_int(other.backward)} backward, "
            f"speed-up {_ratio(other.forward, other.backward)}"
        )
    if other.name == "dense":
        return [
            "--convention dense multiplies every partial once per seed direction instead:",
            f"{counted} (always |V|/|D'|)"
            if counted
            else "its speed-up is always |V|/|D'|, whatever the structure",
        ]
    return [
        f"--convention {other.name} leaves out products with a unit seed or a zero:",
        f"{counted} (set by the structure)"
        if counted
        else "its speed-up is set by the structure, not by |V|/|D'| alone",
    ]


def _records(numbers: Explanation) -> list[dict[str, Any]]:
    return [{"block": block.block, "role": block.role, **block.values} for block in numbers.blocks]


def _data(numbers: Explanation | None, formulas: Explanation | None) -> dict[str, Any]:
    shown = numbers if numbers is not None else formulas
    assert shown is not None
    blocks = []
    for i, block in enumerate(shown.blocks):
        entry: dict[str, Any] = {"block": block.block, "role": block.role}
        for quantity in block.values:
            entry[quantity] = None if numbers is None else numbers.blocks[i].values[quantity]
            if formulas is not None:
                entry.setdefault("formulas", {})[quantity] = str(
                    formulas.blocks[i].values[quantity]
                )
        entry["factors"] = {
            quantity: [
                {
                    "sign": p.sign,
                    "factors": [_json_value(f) for f in p.factors],
                    "labels": list(p.labels),
                }
                for p in parts
            ]
            for quantity, parts in block.parts.items()
        }
        blocks.append(entry)
    return {
        "graph": shown.graph,
        "convention": shown.convention,
        "level": "block",
        "symbols": dict(shown.values),
        "blocks": blocks,
        "totals": None if numbers is None else dict(numbers.totals),
        "formulas": None
        if formulas is None
        else {quantity: str(value) for quantity, value in formulas.totals.items()},
    }


def _json_value(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)
