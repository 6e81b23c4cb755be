"""The one record layout shared by analyze and sweep."""

from __future__ import annotations

from fractions import Fraction

from graphcost.count.records import COUNT_COLUMNS, count_record, record_columns, speedup_cell
from graphcost.count.recursions import count
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS


def test_columns() -> None:
    assert record_columns(["n"]) == [
        "n", "forward_multiplications", "forward_additions", "backward_multiplications",
        "backward_additions", "speedup",
    ]  # fmt: skip
    assert COUNT_COLUMNS[-1] == "speedup"


def test_speedup_cell_is_the_correctly_rounded_fraction() -> None:
    for forward, backward in [(63, 8), (1, 3), (2**80 + 1, 3), (10**40, 7), (5, 0)]:
        expected = repr(float(Fraction(forward, backward))) if backward else ""
        assert speedup_cell(forward, backward) == expected


def test_record_of_a_count() -> None:
    result = count(load_graph(GRAPHS / "exercise-4b.yaml"))
    record = count_record(
        result.values, result.forward.multiplications, result.forward.additions,
        result.backward.multiplications, result.backward.additions,
    )  # fmt: skip
    assert record == {
        "n": 30, "forward_multiplications": 6300, "forward_additions": 5970,
        "backward_multiplications": 800, "backward_additions": 750, "speedup": "7.875",
    }  # fmt: skip
