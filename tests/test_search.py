"""The ``search`` strategy (graphcost.eliminate.search): annealing with incremental costs,
reproducible."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.eliminate.engine import EliminationState, eliminate
from graphcost.eliminate.kernels import BitKernel, StateKernel, kernel_for, order_cost
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.registry import StrategyOptions
from graphcost.eliminate.search import Restart, anneal, search_order, start_order
from graphcost.eliminate.strategies import run_strategy
from graphcost.errors import UsageError
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import BENCHMARKS, GRAPHS
from tests.test_elimination import block_graphs, node_graphs


def cheap_costs(problem) -> list[int]:
    return [
        run_strategy(problem, name).cost.multiplications
        for name in ("forward", "backward", "markowitz")
    ]


@settings(max_examples=60, deadline=None)
@given(node_graphs(most_intermediates=9), st.integers(0, 2**16), st.integers(0, 300))
def test_never_worse_than_its_start_and_the_engine_agrees(
    data: dict, seed: int, iterations: int
) -> None:
    problem = elimination_problem(graph_from_dict(data))
    options = StrategyOptions(seed=seed, iterations=iterations)
    cost, order, start_cost = search_order(problem, options)
    assert start_cost == min(cheap_costs(problem))
    assert cost <= start_cost
    assert eliminate(problem, order).multiplications == cost
    result = run_strategy(problem, "search", options)
    assert result.cost.multiplications == cost
    if result.lower_bound is not None:
        assert result.lower_bound <= cost


@settings(max_examples=40, deadline=None)
@given(node_graphs(most_intermediates=9), st.randoms(use_true_random=False))
def test_bit_kernel_equals_the_engine_step_by_step(data: dict, rng: random.Random) -> None:
    """The bitmask kernel and EliminationState are two implementations of one cost."""
    problem = elimination_problem(graph_from_dict(data))
    order = list(problem.intermediates)
    rng.shuffle(order)
    kernel, bits, sets = BitKernel(problem), None, EliminationState(problem)
    bits = kernel.fresh()
    for vertex in order:
        assert kernel.cost(bits, vertex) == sets.cost(vertex)
        assert kernel.step(bits, vertex) == sets.eliminate(vertex)[0]


@settings(max_examples=40, deadline=None)
@given(node_graphs(most_intermediates=9), st.integers(0, 2**32))
def test_incremental_totals_match_a_full_rescoring(data: dict, seed: int) -> None:
    """anneal re-scores only the window a move touches; its answer must still be exact."""
    rng = random.Random(seed)
    problem = elimination_problem(graph_from_dict(data))
    kernel = kernel_for(problem)
    start = list(problem.intermediates)
    rng.shuffle(start)
    cost, order, done = anneal(kernel, start, rng=rng, iterations=500)
    assert sorted(order) == sorted(start)
    assert cost == order_cost(kernel, order) <= order_cost(kernel, start)
    assert done == (500 if len(start) >= 2 else 0)


@settings(max_examples=25, deadline=None)
@given(block_graphs())
def test_block_level_search_is_scored_by_the_engine(data: dict) -> None:
    problem = elimination_problem(graph_from_dict(data), level="block")
    assert isinstance(kernel_for(problem), StateKernel)
    cost, order, start_cost = search_order(problem, StrategyOptions(iterations=100))
    assert cost <= start_cost == min(cheap_costs(problem))
    assert eliminate(problem, order).multiplications == cost


@pytest.mark.parametrize("name", ["RoeFlux_1d", "g"])
def test_same_seed_and_budget_give_the_same_order(name: str) -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / f"{name}.yaml"))
    options = StrategyOptions(seed=7, iterations=3000)
    first = run_strategy(problem, "search", options)
    second = run_strategy(problem, "search", options)
    assert first.order == second.order
    assert first.cost == second.cost
    other = run_strategy(problem, "search", StrategyOptions(seed=8, iterations=3000))
    assert other.cost.multiplications <= min(cheap_costs(problem))


def test_search_improves_on_the_cheap_strategies() -> None:
    """RoeFlux_1d: reverse mode (364) is the best cheap order; a short search beats it."""
    problem = elimination_problem(load_graph(BENCHMARKS / "RoeFlux_1d.yaml"))
    start = start_order(problem, kernel_for(problem))
    assert order_cost(kernel_for(problem), start) == min(cheap_costs(problem)) == 364
    result = run_strategy(problem, "search", StrategyOptions(seed=0, iterations=20_000))
    assert result.cost.multiplications < 364
    assert result.lower_bound <= result.cost.multiplications
    assert not result.proven_optimal


def test_jobs_run_independent_restarts_on_processes_with_the_same_answer() -> None:
    """--jobs 2 = restarts 0 and 1 run here one after the other, keeping the cheaper."""
    problem = elimination_problem(load_graph(BENCHMARKS / "RobotArm_6DOF.yaml"))
    options = StrategyOptions(seed=3, iterations=1500, jobs=2)
    cost, order, _ = search_order(problem, options)
    start = start_order(problem, kernel_for(problem))
    restart = Restart(problem, tuple(start), 3, 1500, None)
    runs = [restart(0), restart(1)]
    best = min(runs, key=lambda run: run[0])
    assert (cost, order) == (best[0], best[1])
    alone, _, _ = search_order(problem, StrategyOptions(seed=3, iterations=1500))
    assert alone == runs[0][0]


@pytest.mark.slow  # several seconds: run with -m slow (README: slow cases and benchmarks)
def test_the_search_stops_at_a_proven_lower_bound() -> None:
    """PropaneCombustion: the min-cut bound (88) is reached, so the order is proven optimal and
    the search stops there, before its iteration budget is used up."""
    from graphcost.eliminate.bound import lower_bound

    problem = elimination_problem(load_graph(BENCHMARKS / "PropaneCombustion.yaml"))
    bound = lower_bound(problem)
    start = start_order(problem, kernel_for(problem))
    budget = 400_000
    cost, order, done = Restart(problem, tuple(start), 0, budget, None, target=bound)(0)
    assert cost == bound == eliminate(problem, order).multiplications
    assert done < budget
    assert bound < min(cheap_costs(problem))


def test_a_time_limit_alone_stops_the_search() -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / "g.yaml"))
    kernel = kernel_for(problem)
    start = start_order(problem, kernel)
    cost, _, done = anneal(kernel, start, rng=random.Random(0), seconds=0.05)
    assert done > 0
    assert cost <= order_cost(kernel, start)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (StrategyOptions(iterations=-1), "--iterations"),
        (StrategyOptions(time_limit=0), "--time-limit"),
    ],
)
def test_bad_budgets_are_usage_errors(options: StrategyOptions, message: str) -> None:
    problem = elimination_problem(load_graph(GRAPHS / "seed-004-expression.yaml"))
    with pytest.raises(UsageError, match=message):
        run_strategy(problem, "search", options)


def test_symbolic_sizes_are_refused() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "exercise-4b.yaml"), symbolic=True)
    with pytest.raises(UsageError, match="numeric sizes"):
        run_strategy(problem, "search")


def test_restarts_on_dask_give_the_same_answer_as_on_processes(dask_scheduler: str) -> None:
    """--scheduler ADDRESS: the restarts run on a Dask cluster (on loopback), same answer."""
    problem = elimination_problem(load_graph(BENCHMARKS / "RobotArm_6DOF.yaml"))
    local = search_order(problem, StrategyOptions(seed=3, iterations=1500, jobs=2))
    options = StrategyOptions(seed=3, iterations=1500, jobs=2, scheduler=dask_scheduler)
    assert search_order(problem, options) == local


@settings(max_examples=30, deadline=None)
@given(node_graphs(most_intermediates=9), st.integers(0, 2**16), st.integers(0, 400))
def test_reheated_rounds_are_reproducible_and_never_worse_than_the_start(
    data: dict, seed: int, iterations: int
) -> None:
    from graphcost.eliminate.search import anneal_in_rounds

    problem = elimination_problem(graph_from_dict(data))
    kernel = kernel_for(problem)
    start = list(problem.intermediates)
    runs = [
        anneal_in_rounds(kernel, start, rng=random.Random(seed), iterations=iterations)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    cost, order, done = runs[0]
    assert cost <= order_cost(kernel, start)
    assert eliminate(problem, order).multiplications == cost
    assert sorted(order) == sorted(start)
    assert done <= iterations + 5  # each of the five rounds runs at least one iteration
