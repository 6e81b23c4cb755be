"""Proven lower bounds on vertex elimination for the ten AlphaGrad tasks (issue 15, point 5).

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_vertex_bounds.py`` (about six
minutes). Per task, at node level (the tensor tasks with their nodes expanded, as ``--nodes``):

min cut
    Σ κ_in(j)·κ_out(j) over the intermediates (:class:`~graphcost.eliminate.bound.CutBound`).
groups
    The group bound of :func:`~graphcost.eliminate.groups.root_table`: groups of up to
    :data:`~graphcost.eliminate.groups.MAX_GROUP` neighbours solved exactly, packed by the LP,
    within :data:`GROUP_SECONDS` per task (the groups left unsolved only weaken it).

No vertex order costs less than either; a best order that meets one is proven optimal. The bounds
hold for vertex orders only, not for edge or face sequences. Each bound is checked against the
forward and backward costs (an order each), so a broken bound cannot pass unnoticed.
"""

from __future__ import annotations

import resource
import time

import pytest

from graphcost.eliminate.bound import CutBound
from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.groups import root_table
from graphcost.eliminate.kernels import kernel_for
from graphcost.eliminate.problem import elimination_problem
from graphcost.graph.loader import load_graph
from tests.benchmarks.test_beyond_vertex import SCALAR, TENSOR
from tests.conftest import BENCHMARKS

GROUP_SECONDS = 60.0
ROWS: list[tuple] = []


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.benchmark
@pytest.mark.parametrize("name", [*SCALAR, *(f"tensor/{n}" for n in TENSOR)])
def test_proven_vertex_bounds(name: str) -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / f"{name}.yaml"), level="node")
    began = _cpu()
    cuts = CutBound(problem)
    min_cut = sum(cuts.weights(*kernel_for(problem).fresh(), 0))
    table = root_table(problem, cuts, deadline=time.perf_counter() + GROUP_SECONDS)
    seconds = _cpu() - began
    order = list(problem.intermediates)
    cheapest = min(
        eliminate(problem, order).multiplications, eliminate(problem, order[::-1]).multiplications
    )
    assert min_cut <= table.bound <= cheapest
    ROWS.append((name, len(problem.intermediates), min_cut, table.bound, seconds))
    print(
        f"\n{name}: |D| {len(problem.intermediates)}; min cut {min_cut}, groups {table.bound} "
        f"({table.evaluated}/{table.candidates} groups, {seconds:.1f} CPU s)"
    )


@pytest.mark.benchmark
def test_zz_bounds_table() -> None:
    if not ROWS:
        pytest.skip("run with the task benchmarks")
    print("\n| task | |D| | min cut | groups | CPU s |")
    print("|---|---:|---:|---:|---:|")
    for name, size, min_cut, groups, seconds in ROWS:
        print(f"| {name} | {size} | {min_cut} | {groups} | {seconds:.1f} |")
