"""The portfolio: never worse than any member on any shipped graph, and it names the winner."""

from __future__ import annotations

import pytest

from graphcost.eliminate.families import (
    FAMILY_STRATEGIES,
    run_family_strategy,
    score,
)
from graphcost.eliminate.portfolio import PORTFOLIO
from graphcost.eliminate.problem import elimination_problem
from graphcost.errors import UsageError
from graphcost.graph.loader import load_graph
from graphcost.jacobian.structure import expansion_size
from tests.conftest import BENCHMARKS, GRAPHS

#: Every single heuristic (the cheap members of each family, and the ANGEL-style ones).
HEURISTICS = PORTFOLIO


def small_shipped() -> list:
    """Shipped graphs whose node-level expansion is small enough for the face heuristics."""
    chosen = []
    for path in sorted([*GRAPHS.glob("*.yaml"), *BENCHMARKS.glob("*.yaml")]):
        graph = load_graph(path)
        _nodes, edges = expansion_size(graph, graph.sizes(), graph.shapes())
        if edges <= 400:
            chosen.append(path)
    return chosen


@pytest.mark.parametrize("path", small_shipped(), ids=lambda p: p.name)
def test_portfolio_is_never_worse_than_any_single_heuristic(path) -> None:
    problem = elimination_problem(load_graph(path), level="node")
    result = run_family_strategy(problem, "portfolio")
    assert result.cost == score(problem, result.family, result.steps)
    for name in HEURISTICS:
        single = run_family_strategy(problem, name).cost
        assert (result.cost.multiplications, result.cost.additions) <= (
            single.multiplications,
            single.additions,
        ), name


def test_the_shipped_selection_covers_the_benchmarks_and_witnesses() -> None:
    names = {p.name for p in small_shipped()}
    assert {"witness-edge.yaml", "RoeFlux_1d.yaml", "g.yaml", "Hole.yaml"} <= names


def test_portfolio_names_the_winner_and_its_count() -> None:
    problem = elimination_problem(load_graph(BENCHMARKS / "RoeFlux_1d.yaml"), level="node")
    result = run_family_strategy(problem, "portfolio")
    winner = result.remark.split(" ")[2]
    assert winner in PORTFOLIO
    assert run_family_strategy(problem, winner).cost.multiplications == result.cost.multiplications
    assert f"{result.cost.multiplications} multiplications" in result.remark


def test_portfolio_refuses_block_level() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "mlp-relu.yaml"), level="block")
    with pytest.raises(UsageError, match="node-level") as info:
        run_family_strategy(problem, "portfolio")
    assert "--nodes" in str(info.value)


def test_unknown_names_list_the_family_strategies() -> None:
    problem = elimination_problem(load_graph(GRAPHS / "witness-edge.yaml"))
    with pytest.raises(UsageError, match="unknown strategy") as info:
        run_family_strategy(problem, "edge-fastest")
    assert "edge-markowitz" in str(info.value)
    assert set(PORTFOLIO) - {"forward", "backward", "markowitz"} <= set(FAMILY_STRATEGIES)
