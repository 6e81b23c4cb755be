"""The sweep's sympy-free compilation and its chunked CSV (issue 16, point 1).

Two independent computations are compared: the counts compiled with
:mod:`graphcost.count.polynomials` against those compiled with sympy (the previous path, kept as
the fallback), at points where int64 suffices and where it overflows; and the CSV text a chunk
formats at once against the bytes of the ``csv`` module, row by row.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from graphcost.count.compiled import (
    _compile_polynomials,
    _compile_with_sympy,
    compile_counts,
    evaluate_counts,
)
from graphcost.count.polynomials import Poly, tree_polynomial
from graphcost.count.recursions import count, get_convention
from graphcost.count.sweep import SweepChunk, _speedup_cells, run_sweep
from graphcost.count.sweep_plan import parse_over, plan_sweep
from graphcost.graph.expr import parse_expression
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS, ROOT
from tests.test_symbolic import block_graphs

VECTOR_GRAPHS = [
    path
    for path in sorted(GRAPHS.glob("*.yaml"))
    if not load_graph(path).is_shaped and load_graph(path).free_symbols
]


def test_polynomials_by_hand() -> None:
    n, m = Poly.variable(0, 2), Poly.variable(1, 2)
    p = (n + 1) * (n - 1) - m**2 + Fraction(1, 2) * n
    assert p.evaluate([3, 2]) == 9 - 1 - 4 + Fraction(3, 2)
    assert p - p == 0
    assert p != 0
    assert p.integer_terms() == (2, [(-2, (0, 0)), (-2, (0, 2)), (1, (1, 0)), (2, (2, 0))])
    assert tree_polynomial(parse_expression("n/m").tree, ["m", "n"]) is None
    assert tree_polynomial(parse_expression("(n+m)**1000").tree, ["m", "n"]) is None
    assert tree_polynomial(parse_expression("-(2*n)**2/4").tree, ["n"]).evaluate([5]) == -25


def _points(compiled, values: list[int]) -> dict[str, np.ndarray]:
    return {
        name: np.array([v + k for v in values], dtype=object if max(values) > 2**62 else np.int64)
        for k, name in enumerate(compiled.symbols)
    }


def _same(first, second, columns) -> None:
    a, b = evaluate_counts(first, columns), evaluate_counts(second, columns)
    assert a.admissible.tolist() == b.admissible.tolist()
    assert [c.tolist() for c in a.counts] == [c.tolist() for c in b.counts]


@pytest.mark.parametrize("path", VECTOR_GRAPHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("convention", ["elimination", "dense"])
def test_polynomial_compilation_equals_sympy_on_shipped_graphs(path, convention) -> None:
    graph = load_graph(path)
    chosen = get_convention(convention)
    fast = _compile_polynomials(graph, chosen)
    assert fast is not None, "every shipped vector graph has polynomial sizes"
    slow = _compile_with_sympy(graph, chosen)
    _same(fast, slow, _points(fast, list(range(1, 40))))
    # Beyond int64: the polynomial bound sends both to Python ints.
    big = _points(fast, [3 * 10**6, 3 * 10**9, 3 * 10**18 + 3])
    _same(fast, slow, big)
    assert any(c.dtype == object for c in evaluate_counts(fast, big).counts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=block_graphs())
def test_polynomial_compilation_equals_count_on_random_graphs(data: dict) -> None:
    graph = graph_from_dict(data)
    compiled = compile_counts(graph)
    columns = {"a": np.array([2, 4, 6, 2**40], dtype=np.int64)}
    columns["b"] = np.array([2, 6, 4, 2**21], dtype=np.int64)
    result = evaluate_counts(compiled, columns)  # columns it does not use are ignored
    at = 0
    for i in range(4):
        values = {"a": int(columns["a"][i]), "b": int(columns["b"][i])}
        if not result.admissible[i]:
            continue
        expected = count(graph, values=values)
        got = [int(c[at]) for c in result.counts]
        assert got == [
            expected.forward.multiplications,
            expected.forward.additions,
            expected.backward.multiplications,
            expected.backward.additions,
        ]
        at += 1


def _csv_rows(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("approximate", "evaluation"),
    [
        ([], None),
        (['a" -> b', "c -> d"], lambda row: row[0] * 7),
        (["x,y -> z"], lambda row: None if row[0] % 2 else row[0]),
    ],
)
def test_chunk_csv_is_the_csv_module_bytes(approximate, evaluation) -> None:
    plan = plan_sweep(load_graph(GRAPHS / "exercise-4b.yaml"), [parse_over("n=1:60")])
    chunks = list(run_sweep(plan, chunk_points=7))
    text = "".join(chunk.csv_text(approximate, evaluation) for chunk in chunks)
    cells = "; ".join(approximate)
    expected = [
        (*row, cells, "" if evaluation is None or evaluation(row) is None else evaluation(row))
        for chunk in chunks
        for row in chunk.rows
    ]
    assert text == _csv_rows(expected)
    assert sum(len(chunk) for chunk in chunks) == 20


def test_chunk_csv_with_strategy_names_and_huge_ints() -> None:
    rows = [(3, 10**40, 1, 2, 3, "1.5", 'a"b', 7, 8), (6, 1, 1, 2, 3, "inf", "c,d", 7, 8)]
    chunk = SweepChunk.of_rows(rows, 2, 0, symbols=1)
    assert chunk.csv_text(["p -> q"], lambda row: row[0]) == _csv_rows(
        [(*row, "p -> q", row[0]) for row in rows]
    )


def test_speedup_cells_are_correctly_rounded_beyond_float_exactness() -> None:
    forward = np.array([2**60 + 1, 2**62 - 1, 9, 10**18 + 7], dtype=np.int64)
    backward = np.array([3, 2**53 + 1, 8, 10**17 + 3], dtype=np.int64)
    expected = [repr(f / b) for f, b in zip(forward.tolist(), backward.tolist(), strict=True)]
    assert _speedup_cells(forward, backward) == expected
    as_objects = np.array([10**400, 3], dtype=object), np.array([1, 0], dtype=object)
    assert _speedup_cells(*as_objects) == ["inf", ""]


def test_a_block_sweep_imports_no_sympy() -> None:
    script = (
        "import sys; from graphcost.cli import main; sys.argv = ['graphcost', 'sweep', "
        f"{str(GRAPHS / 'exercise-4b.yaml')!r}, '--over', 'n=3:30:3']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('sympy' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.count("\n") == 11
    assert done.stderr.strip().endswith("False")
