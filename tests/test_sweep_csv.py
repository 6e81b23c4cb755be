"""The numpy CSV formatter of block-level sweeps (graphcost.count.sweep_csv, issue 16 point 1).

Every byte is compared with an independent computation: ``repr(f / b)`` of Python's correctly
rounded int / int for the speed-up, ``str`` for the integers, and the ``csv`` module (through
:meth:`SweepChunk.csv_text`, the Python formatter, itself tested against ``csv.writer`` in
``test_sweep_compiled.py``) for whole sweeps.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcost.count.sweep_csv as sweep_csv
from graphcost.count.sweep import _numeric_pieces, run_sweep
from graphcost.count.sweep_csv import int_field, numeric_csv, speedup_digits
from graphcost.count.sweep_plan import parse_over, plan_sweep
from graphcost.graph.layers import layered_graph
from graphcost.graph.loader import load_graph
from tests.conftest import GRAPHS

INT64_MAX = 2**63 - 1


def _speedup_text(forward: list[int], backward: list[int]) -> str | None:
    pieces = speedup_digits(np.array(forward, dtype=np.int64), np.array(backward, dtype=np.int64))
    return None if pieces is None else numeric_csv([*pieces, b"\n"]).decode()


def _reprs(forward: list[int], backward: list[int]) -> str:
    return "".join(f"{f / b!r}\n" for f, b in zip(forward, backward, strict=True))


@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        ([9, 60, 189, 0, 8, 5], [8, 32, 72, 3, 8, 4]),  # 1.125 … 0.0, 1.0, 1.25
        ([1, 1], [2**13, 2**14 // 2]),  # 0.0001220703125 (fixed notation, 13 digits)
        ([10**14 + 1, 2**15 - 1], [2, 2**15]),  # 15 significant digits exactly
        ([3 * 2**61, 6 * 10**18], [2**62, 8 * 10**3]),  # near the int64 limit
    ],
)
def test_short_exact_quotients_are_repr(forward: list[int], backward: list[int]) -> None:
    assert _speedup_text(forward, backward) == _reprs(forward, backward)


@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        ([7, 1], [3, 2]),  # 2.3333333333333335: no short decimal
        ([1], [2**14]),  # 6.103515625e-05: repr switches to exponent notation
        ([10**15 + 1], [2]),  # 500000000000000.5: 16 digits, repr may shorten them
        ([INT64_MAX - 1], [2**62]),  # 2 - 2^-61, which repr rounds to 2.0
        ([3], [0]),  # no quotient: the empty cell
    ],
)
def test_other_quotients_are_left_to_python(forward: list[int], backward: list[int]) -> None:
    assert _speedup_text(forward, backward) is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, INT64_MAX),
            st.integers(0, 20),
            st.integers(1, 10**6),
            st.sampled_from([1, 1, 1, 3, 5]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_speedup_digits_equal_repr_whenever_they_answer(rows: list[tuple[int, ...]]) -> None:
    """Denominators 2^j (j up to 20) times an odd factor: most answer, some must not."""
    forward = [f if m == 1 else f // m for f, _, _, m in rows]
    backward = [min(2**j * m * (k % 7 + 1), INT64_MAX) for _, j, k, m in rows]
    text = _speedup_text(forward, backward)
    if text is not None:
        assert text == _reprs(forward, backward)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, INT64_MAX), min_size=3, max_size=3), min_size=1))
def test_integer_fields_are_str(rows: list[list[int]]) -> None:
    columns = [np.array(column, dtype=np.int64) for column in zip(*rows, strict=True)]
    pieces = [int_field(columns[0]), b",", int_field(columns[1]), b";", int_field(columns[2])]
    expected = "".join(f"{a},{b};{c}\n" for a, b, c in rows).encode()
    assert numeric_csv([*pieces, b"\n"]) == expected


def test_runs_and_mask_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 10 ** rng.integers(1, 18, size=5000), dtype=np.int64)
    pieces = [int_field(values), b",", int_field(values // 7), b"\n"]
    by_runs = numeric_csv(pieces)
    monkeypatch.setattr(sweep_csv, "_RUNS_PER_MASK", 10**9)  # always the mask
    assert numeric_csv(pieces) == by_runs
    assert by_runs == "".join(f"{v},{v // 7}\n" for v in values.tolist()).encode()


def _sweep_bytes(graph, over: str, approximate: list[str]) -> tuple[bytes, bytes, bool]:
    plan = plan_sweep(graph, [parse_over(over)])
    numeric, python, fast = [], [], True
    for chunk in run_sweep(plan, chunk_points=4096):
        numeric.append(chunk.csv_bytes(approximate, None))
        python.append(chunk.csv_text(approximate, None).encode())
        if len(chunk):
            fast = fast and _numeric_pieces(chunk.arrays, approximate) is not None
    return b"".join(numeric), b"".join(python), fast


@pytest.mark.parametrize("approximate", [[], ['a" -> b', "c,d -> e"]])
def test_exercise_4b_sweep_bytes_equal_the_python_formatter(approximate: list[str]) -> None:
    """60,000 points, through the numpy formatter (checked: it is taken on every chunk)."""
    numeric, python, fast = _sweep_bytes(
        load_graph(GRAPHS / "exercise-4b.yaml"), "n=1:180000", approximate
    )
    assert fast
    assert numeric == python
    assert numeric.count(b"\n") == 60_000


def test_a_sweep_without_short_speedups_falls_back_to_the_same_bytes() -> None:
    numeric, python, fast = _sweep_bytes(layered_graph(["n", "n", "3", "1"]), "n=1:5000", [])
    assert not fast  # 7/3-like quotients: formatted with Python
    assert numeric == python
