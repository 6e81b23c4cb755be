"""Second-order counts (graphcost.count.second_order) against a plain numeric reference.

The reference below is written independently of the module: on a node-level DAG with a random
quadratic function at every node (so the local first partials c_wv and the dense local second
partials c_ww'v are real numbers), it runs forward-over-reverse, reverse-over-forward and
forward-over-forward literally, with dicts holding only the structurally non-zero values and
a flag for the unit seeds, and counts every multiplication it performs that is not by a unit
seed. Its three Hessians agree with each other and with central differences of the gradient
(so the recursions are right), and its counts equal the module's closed forms at block level
and node level (so the closed forms count what is performed).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from graphcost.count.second_order import (
    MODES,
    count_second_order,
    count_second_order_symbolic,
)
from graphcost.graph.loader import load_graph
from graphcost.jacobian.structure import expand
from tests.conftest import ROOT
from tests.test_properties import block_dags, block_graph, node_dags, node_graph

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the reference ---------------------------------------------------------------------------


@dataclass
class Quadratic:
    """A node-level DAG whose node v computes g_v = Σ a_w α_w + ½ Σ B_ww' α_w α_w' (B dense)."""

    role: list[str]
    edges: list[tuple[int, int]]
    seed: int = 0
    order: list[int] = field(init=False)
    preds: dict[int, list[int]] = field(init=False)
    succs: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        dag = nx.DiGraph(self.edges)
        dag.add_nodes_from(range(len(self.role)))
        self.order = list(nx.lexicographical_topological_sort(dag))
        self.preds = {v: sorted(dag.predecessors(v)) for v in dag}
        self.succs = {v: sorted(dag.successors(v)) for v in dag}
        rng = np.random.default_rng(self.seed)
        self.a = {v: rng.uniform(-1, 1, len(self.preds[v])) for v in dag}
        self.B = {}
        for v in dag:
            k = len(self.preds[v])
            m = rng.uniform(-0.5, 0.5, (k, k))
            self.B[v] = m + m.T
        self.inputs = [v for v in self.order if self.role[v] == "V"]
        self.outputs = [v for v in self.order if self.role[v] == "D'"]

    def values(self, x: np.ndarray) -> dict[int, float]:
        alpha = dict(zip(self.inputs, x.tolist(), strict=True))
        for v in self.order:
            if self.role[v] != "V":
                p = np.array([alpha[w] for w in self.preds[v]])
                alpha[v] = float(self.a[v] @ p + 0.5 * p @ self.B[v] @ p) if len(p) else 0.0
        return alpha

    def partials(self, alpha: dict[int, float]) -> dict[tuple[int, int], float]:
        c = {}
        for v in self.order:
            p = np.array([alpha[w] for w in self.preds[v]])
            for i, w in enumerate(self.preds[v]):
                c[w, v] = float(self.a[v][i] + self.B[v][i] @ p)
        return c

    def second(self, v: int, w: int, w2: int) -> float:
        return float(self.B[v][self.preds[v].index(w), self.preds[v].index(w2)])


class Counter:
    """Counts the products performed; a product with a unit seed is a copy, not counted."""

    def __init__(self) -> None:
        self.n = 0

    def times(self, a: float, b: float, unit: bool) -> float:
        if not unit:
            self.n += 1
        return a * b


def tangents(q: Quadratic, c: dict, k: Counter) -> dict[int, dict[int, float]]:
    """Δ_uv for every input u (a unit seed at u), non-zeros only."""
    delta: dict[int, dict[int, float]] = {v: {} for v in q.order}
    for v in q.order:
        if q.role[v] == "V":
            delta[v] = {v: 1.0}
            continue
        for w in q.preds[v]:
            for u, t in delta[w].items():
                delta[v][u] = delta[v].get(u, 0.0) + k.times(c[w, v], t, unit=w == u)
    return delta


def partial_tangents(q: Quadratic, delta: dict, edges_into: list[int], k: Counter) -> dict:
    """ċ_wv^(u) = Σ_{w'∈P_v} c_ww'v·Δ_uw' on the edges into the nodes listed."""
    cdot: dict[tuple[int, int], dict[int, float]] = {}
    for v in edges_into:
        for w in q.preds[v]:
            row = cdot.setdefault((w, v), {})
            for w2 in q.preds[v]:
                for u, t in delta[w2].items():
                    row[u] = row.get(u, 0.0) + k.times(q.second(v, w, w2), t, unit=w2 == u)
    return cdot


def reaching(q: Quadratic) -> set[int]:
    found = set(q.outputs)
    for v in reversed(q.order):
        if any(s in found for s in q.succs[v]):
            found.add(v)
    return found


def forward_over_reverse(q: Quadratic, x: np.ndarray) -> tuple[dict, int]:
    k = Counter()
    c = q.partials(q.values(x))
    delta = tangents(q, c, k)
    live = reaching(q)
    cdot = partial_tangents(q, delta, [v for v in q.order if q.role[v] != "V" and v in live], k)
    adj: dict[int, dict[int, float]] = {v: {} for v in q.order}
    for y in q.outputs:
        adj[y] = {y: 1.0}
    for w in reversed(q.order):
        for v in q.succs[w]:
            for y, t in adj[v].items():
                adj[w][y] = adj[w].get(y, 0.0) + k.times(t, c[w, v], unit=v == y)
    second: dict[int, dict[tuple[int, int], float]] = {v: {} for v in q.order}
    for w in reversed(q.order):
        for v in q.succs[w]:
            for key, t in second[v].items():
                second[w][key] = second[w].get(key, 0.0) + k.times(t, c[w, v], unit=False)
            for y, t in adj[v].items():
                for u, cd in cdot[w, v].items():
                    value = k.times(t, cd, unit=v == y)
                    second[w][u, y] = second[w].get((u, y), 0.0) + value
    return {
        y: {(w, u): second[w].get((u, y), 0.0) for w in q.inputs for u in q.inputs}
        for y in q.outputs
    }, k.n


def reverse_over_forward(q: Quadratic, x: np.ndarray) -> tuple[dict, int]:
    k = Counter()
    c = q.partials(q.values(x))
    hessians: dict[int, dict[tuple[int, int], float]] = {y: {} for y in q.outputs}
    for u in q.inputs:
        tangent = {u: 1.0}  # the tangent program of direction u: its non-zero α̇ only
        for v in q.order:
            if q.role[v] != "V":
                for w in q.preds[v]:
                    if w in tangent:
                        product = k.times(c[w, v], tangent[w], unit=w == u)
                        tangent[v] = tangent.get(v, 0.0) + product
        for y in q.outputs:
            tbar = {y: 1.0}  # adjoints of the tangents; α̇_u is constant, never adjoined
            bar: dict[int, float] = {}  # adjoints of the values; ᾱ_y = 0
            for v in reversed(q.order):
                if q.role[v] == "V":
                    continue
                if v in tbar and v in tangent:  # reverse of α̇_v = Σ_w c_wv·α̇_w
                    for w in (w for w in q.preds[v] if w in tangent):
                        if w != u:
                            tbar[w] = tbar.get(w, 0.0) + k.times(tbar[v], c[w, v], v == y)
                        cbar = k.times(tbar[v], tangent[w], unit=v == y or w == u)
                        for w2 in q.preds[v]:
                            push = k.times(cbar, q.second(v, w, w2), unit=v == y and w == u)
                            bar[w2] = bar.get(w2, 0.0) + push
                if v in bar:  # reverse of α_v = g_v(α_P)
                    for w in q.preds[v]:
                        bar[w] = bar.get(w, 0.0) + k.times(bar[v], c[w, v], unit=False)
            for w in q.inputs:
                hessians[y][w, u] = bar.get(w, 0.0)
    return hessians, k.n


def forward_over_forward(q: Quadratic, x: np.ndarray) -> tuple[dict, int]:
    k = Counter()
    c = q.partials(q.values(x))
    delta = tangents(q, c, k)
    cdot = partial_tangents(q, delta, [v for v in q.order if q.role[v] != "V"], k)
    second: dict[int, dict[tuple[int, int], float]] = {v: {} for v in q.order}
    for v in q.order:
        for w in q.preds[v]:
            for u, t in delta[w].items():
                for u2, cd in cdot[w, v].items():
                    second[v][u, u2] = second[v].get((u, u2), 0.0) + k.times(t, cd, w == u)
            for key, t in second[w].items():
                second[v][key] = second[v].get(key, 0.0) + k.times(c[w, v], t, unit=False)
    return {
        y: {(w, u): second[y].get((w, u), 0.0) for w in q.inputs for u in q.inputs}
        for y in q.outputs
    }, k.n


REFERENCE = {
    "forward-over-reverse": forward_over_reverse,
    "reverse-over-forward": reverse_over_forward,
    "forward-over-forward": forward_over_forward,
}


def gradient(q: Quadratic, x: np.ndarray, y: int) -> np.ndarray:
    """∂α_y/∂x by a plain reverse sweep (for the differences of the gradient)."""
    c = q.partials(q.values(x))
    adj = dict.fromkeys(q.order, 0.0)
    adj[y] = 1.0
    for w in reversed(q.order):
        adj[w] += sum(adj[v] * c[w, v] for v in q.succs[w])
    return np.array([adj[u] for u in q.inputs])


# -- the reference is right --------------------------------------------------------------------


@SETTINGS
@given(node_dags())
def test_the_reference_modes_compute_the_hessian(dag) -> None:
    q = Quadratic(dag.role, dag.edges)
    x = np.random.default_rng(1).uniform(-1, 1, len(q.inputs))
    results = {name: run(q, x)[0] for name, run in REFERENCE.items()}
    step = 1e-5
    for y in q.outputs:
        columns = [
            (gradient(q, x + step * e, y) - gradient(q, x - step * e, y)) / (2 * step)
            for e in np.eye(len(x))
        ]
        expected = np.array(columns).T  # expected[w, u] = ∂²y/∂x_w∂x_u
        for name, hessians in results.items():
            got = np.array([[hessians[y][w, u] for u in q.inputs] for w in q.inputs])
            np.testing.assert_allclose(got, expected.reshape(got.shape), atol=1e-6, err_msg=name)


# -- performed = counted ---------------------------------------------------------------------


def performed(role: list[str], edges: list[tuple[int, int]]) -> dict[str, int]:
    q = Quadratic(role, edges)
    x = np.random.default_rng(2).uniform(-1, 1, len(q.inputs))
    return {name: run(q, x)[1] for name, run in REFERENCE.items()}


def counted(graph, level: str, values=None) -> dict[str, int]:
    result = count_second_order(graph, level=level, values=values)
    return {name: mode.multiplications for name, mode in result.modes.items()}


@SETTINGS
@given(node_dags())
def test_performed_equals_counted_on_node_graphs(dag) -> None:
    graph = node_graph(dag)
    expected = performed(dag.role, dag.edges)
    assert counted(graph, "block") == expected
    assert counted(graph, "node") == expected


def expanded(graph, values=None) -> tuple[list[str], list[tuple[int, int]]]:
    """The node-level DAG of a block graph (graphcost's expansion, tested elsewhere)."""
    nodes = expand(graph, [int(np.prod(s)) for s in graph.shapes(values)], graph.shapes(values))
    names = {0: "V", 1: "D", 2: "D'"}
    role = [names[int(r)] for r in nodes.role]
    return role, list(zip(nodes.src.tolist(), nodes.dst.tolist(), strict=True))


@SETTINGS
@given(block_dags())
def test_performed_equals_counted_on_block_graphs(dag) -> None:
    graph = block_graph(dag)
    expected = performed(*expanded(graph))
    assert counted(graph, "block") == expected
    assert counted(graph, "node") == expected


SHIPPED = {
    "exercise-4c.yaml": {},
    "exercise-4c-theta.yaml": {"n": 3, "m": 2},
    "exercise-4c-phi.yaml": {},
    "mlp-relu-params.yaml": {"p": 2, "m1": 2, "m2": 2},
    "mlp-weights-small.yaml": None,
    "seed-002-logistic.yaml": None,
    "exercise-4b.yaml": {"n": 6},
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_performed_equals_counted_on_shipped_graphs(name: str) -> None:
    graph = load_graph(ROOT / "graphs" / name)
    values = SHIPPED[name]
    expected = performed(*expanded(graph, values))
    assert counted(graph, "block", values) == expected
    assert counted(graph, "node", values) == expected


# -- closed forms ------------------------------------------------------------------------------


def test_exercise_4c_by_hand() -> None:
    """x (n) → h (m) → y, full edges: derived in the module's terms by hand.

    Forward-over-reverse: tangents m·n, ċ into y m·(m·n), adjoints m·n, ǡ_h·c: zero
    (ǡ_y = 0 and h's ǡ come from y alone) ... ǡ_x: n inputs × n directions × m successors ×
    2 products. Reverse-over-forward: tangents m·n, c̄_hy·c_hh'y m·(m·n) (into y), c̄_xh·c_xx'h
    m·n·n, ᾱ_x m·n·n. Forward-over-forward: tangents m·n, ċ into y m²·n, Δ·ċ into y n·m·n,
    c·Δ² out of h m·n².
    """
    import sympy

    graph = load_graph(ROOT / "graphs" / "exercise-4c.yaml")
    n, m = sympy.symbols("n m", positive=True, integer=True)
    result = count_second_order_symbolic(graph)
    expected = {
        "forward-over-reverse": m * n + m * m * n + m * n + 2 * m * n * n,
        "reverse-over-forward": m * n + m * m * n + 2 * m * n * n,
        "forward-over-forward": m * n + m * m * n + 2 * m * n * n,
    }
    for name, formula in expected.items():
        assert sympy.expand(result.modes[name].multiplications - formula) == 0
    values = count_second_order(graph)  # n = 4, m = 3
    assert values.modes["forward-over-reverse"].multiplications == 156
    assert values.directions == 4
    assert values.outputs == 1


@pytest.mark.parametrize("name", ["exercise-4c-theta.yaml", "mlp-relu-params.yaml"])
def test_symbolic_equals_numeric(name: str) -> None:
    graph = load_graph(ROOT / "graphs" / name)
    formulas = count_second_order_symbolic(graph)
    numbers = count_second_order(graph)
    assert list(formulas.modes) == list(MODES)
    for mode, formula in formulas.modes.items():
        symbols = {str(s): s for s in formula.multiplications.free_symbols}
        point = {symbols[k]: v for k, v in graph.symbol_values().items() if k in symbols}
        assert int(formula.multiplications.subs(point)) == numbers.modes[mode].multiplications


# -- the command -------------------------------------------------------------------------------

EX4C = str(ROOT / "graphs" / "exercise-4c.yaml")


def test_order_2_json_phases_sum_to_the_counts(runner) -> None:
    from graphcost.cli import cli

    result = runner.invoke(cli, ["analyze", EX4C, "--order", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    direct = count_second_order(load_graph(EX4C))
    assert list(data["modes"]) == list(MODES)
    for name, mode in data["modes"].items():
        assert mode["multiplications"] == direct.modes[name].multiplications
        assert sum(mode["phases"].values()) == mode["multiplications"]
        assert Fraction(mode["ratio_exact"]) == direct.ratio(name)
    assert data["symbolic"]["forward-over-reverse"]["multiplications"] == "m*n*(m + 2*n + 2)"


def test_order_2_nodes_equals_block_level(runner) -> None:
    from graphcost.cli import cli

    rows = {}
    for extra in ([], ["--nodes"]):
        args = ["analyze", EX4C, "--order", "2", "--set", "n=5,m=2", "--format", "csv", *extra]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        rows[bool(extra)] = [
            (r["mode"], r["multiplications"]) for r in csv.DictReader(io.StringIO(result.output))
        ]
    assert rows[True] == rows[False]
    assert dict(rows[True])["forward-over-reverse"] == str(5 * 2 * (2 + 2 * 5 + 2))


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex"])
def test_order_2_formats_show_every_mode(runner, fmt: str) -> None:
    from graphcost.cli import cli

    result = runner.invoke(cli, ["analyze", EX4C, "--order", "2", "--format", fmt])
    assert result.exit_code == 0, result.output
    for name in MODES:
        assert name in result.output
    assert "12/13" in result.output  # reverse-over-forward ÷ forward-over-reverse at n=4, m=3


def test_order_2_symbols_without_values_give_formulas(runner) -> None:
    from graphcost.cli import cli

    args = ["analyze", "--layers", "n,h,1", "--wrt", "params", "--order", "2"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "h*(n + 1)*(h*n + 4*h + n + 5)" in result.output  # forward-over-reverse


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--explain"], "--explain is for first order"),
        (["--strategy", "all"], "--strategy is for first order"),
        (["--convention", "dense"], "elimination convention only"),
        (["--order", "3"], "--order"),
    ],
)
def test_order_2_usage_errors(runner, extra: list[str], message: str) -> None:
    from graphcost.cli import cli

    result = runner.invoke(cli, ["analyze", EX4C, "--order", "2", *extra])
    assert result.exit_code == 2
    assert result.output.startswith("Error:")
    assert message in result.output
    assert "Traceback" not in result.output


def test_order_2_csv_needs_values(runner) -> None:
    from graphcost.cli import cli

    args = ["analyze", "--layers", "n,1", "--order", "2", "--format", "csv"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.startswith("Error: CSV rows need values")
