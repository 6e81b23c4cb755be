"""The group lower bound (graphcost.eliminate.groups) against plain brute force: vertex floors and
group minima against every completion order, the bound at every state of 200 random DAGs
against a plain dynamic programme over all subsets, and ``optimal`` with it against the same
programme on graphs with 9 and 10 intermediates."""

from __future__ import annotations

import itertools
import random

import pytest

from graphcost.eliminate import groups as groups_module
from graphcost.eliminate.bound import CutBound, lower_bound
from graphcost.eliminate.exact import solve
from graphcost.eliminate.groups import GroupBound, candidate_groups, root_table
from graphcost.eliminate.kernels import BitKernel, order_cost
from tests.test_exact import random_dag
from tests.test_reductions import optima, plain_cost, plain_graph


def completions(edges: set[tuple[int, int]], gone: frozenset[int], rest: list[int]):
    """Every order of ``rest`` after ``gone``, with what each vertex costs in it (plainly)."""
    for order in itertools.permutations(rest):
        graph = plain_graph(edges, gone)
        costs = {}
        for j in order:
            costs[j] = plain_cost(graph, j)
            graph = plain_graph(graph, frozenset([j]))
        yield order, costs


def state_after(problem, gone) -> list[list[int]]:
    kernel = BitKernel(problem)
    state = kernel.fresh()
    for v in sorted(gone):
        kernel.step(state, v)
    return state


def edge_pairs(problem) -> set[tuple[int, int]]:
    return {(a, b) for a, succs in enumerate(problem.succs) for b in succs}


def test_floors_and_group_minima_never_exceed_any_completion() -> None:
    """floor(v | T, K) ≤ what v costs in every order of the rest that keeps K alive until v
    goes, and M(S) ≤ what S costs in every order of the rest: 60 random DAGs, random T."""
    checked = 0
    for seed in range(60):
        problem, _ = random_dag(500 + seed, 5, density=0.3 + 0.1 * (seed % 3))
        rng = random.Random(seed)
        members = list(problem.intermediates)
        gone = frozenset(rng.sample(members, rng.randint(0, 2)))
        rest = [v for v in members if v not in gone]
        gone_mask = sum(1 << v for v in gone)
        state = state_after(problem, gone)
        bound = GroupBound(problem)
        edges = edge_pairs(problem)
        orders = list(completions(edges, gone, rest))
        group = rng.sample(rest, min(len(rest), rng.randint(2, 4)))
        assert bound.minimum(state, gone_mask, group) <= min(
            sum(costs[v] for v in group) for _, costs in orders
        )
        for v in rest:
            keep = [u for u in rest if u != v and rng.random() < 0.5]
            keep_mask = sum(1 << u for u in keep)
            kept = [
                costs[v]
                for order, costs in orders
                if all(order.index(u) > order.index(v) for u in keep)
            ]
            assert bound.floor(state, gone_mask, v, keep_mask) <= min(kept)
            checked += 1
    assert checked > 100


def test_the_group_bound_is_admissible_at_every_state_of_200_random_graphs() -> None:
    """At every subset T of 200 random DAGs (4-6 intermediates): the min-cut bound ≤ the start
    group bound ≤ the optimum, and rest(T) ≤ the cheapest way to finish from T."""
    stronger = 0
    for seed in range(200):
        problem, _ = random_dag(2000 + seed, 4 + seed % 3, density=0.25 + 0.1 * (seed % 3))
        opt = optima(problem)
        table = root_table(problem, CutBound(problem))
        assert lower_bound(problem) <= table.bound <= opt[frozenset()]
        stronger += lower_bound(problem) < table.bound
        slot = {v: k for k, v in enumerate(problem.intermediates)}
        for gone, best in opt.items():
            assert table.rest(sum(1 << slot[v] for v in gone)) <= best
    assert stronger >= 20  # the groups see costs the cuts miss


@pytest.mark.parametrize("seed", range(4))
def test_optimal_equals_the_plain_programme_with_nine_and_ten_intermediates(seed: int) -> None:
    problem, _ = random_dag(300 + seed, 9 + seed % 2, density=0.3 + 0.05 * seed)
    result = solve(problem, time_limit=None)
    assert result.proven_optimal
    assert result.cost == result.lower_bound == optima(problem)[frozenset()]


def test_optimal_with_the_group_bound_still_searching_equals_the_plain_programme() -> None:
    """Dense 10-intermediate DAGs where the start bounds leave a gap, so that A* runs with the
    (inconsistent) group bound and reopens states: its optimum is the plain programme's."""
    searched = 0
    for seed in range(400, 460):
        problem, _ = random_dag(seed, 10, density=0.5)
        topological = problem.topological_order()  # a quick upper bound: no search per seed
        upper = (order_cost(BitKernel(problem), topological), topological)
        result = solve(problem, upper=upper, time_limit=None)
        if max(dict(result.bounds).values()) == result.cost:
            continue  # proven by the start bounds alone (the other tests cover those)
        assert result.proven_optimal
        assert result.cost == optima(problem)[frozenset()]
        searched += 1
        if searched == 2:
            break
    assert searched == 2


def test_the_greedy_packing_without_scipy_is_valid_and_weaker(monkeypatch) -> None:
    """Without scipy the packing is greedy: still between the min-cut bound and the LP bound."""
    for seed in range(40):
        problem, _ = random_dag(700 + seed, 6, density=0.4)
        with_lp = root_table(problem, CutBound(problem)).bound
        with monkeypatch.context() as patch:

            def missing(*_args):
                raise ImportError("scipy")

            patch.setattr(groups_module, "_lp_packing", missing)
            greedy = root_table(problem, CutBound(problem)).bound
        assert lower_bound(problem) <= greedy <= with_lp


def test_candidate_groups_are_small_connected_neighbourhoods() -> None:
    """x→a→c→y, x→c, a→y and a vertex b beside them: the groups are the edge {a, c} and
    neighbourhoods, never b alone or with a vertex it does not touch."""
    from graphcost.eliminate.problem import problem_from_edges

    problem = problem_from_edges(
        [("x", "a"), ("x", "c"), ("a", "c"), ("a", "y"), ("c", "y"), ("x", "b"), ("b", "y")],
        inputs=["x"],
        intermediates=["a", "b", "c"],
        outputs=["y"],
    )
    a, b, c = problem.intermediates
    found = candidate_groups(BitKernel(problem).fresh(), problem.intermediates, 9)
    assert found == [(a, c)]
    assert candidate_groups(BitKernel(problem).fresh(), problem.intermediates, 1) == []
    assert b not in {v for g in found for v in g}
