"""Symbolic results: formulas against hand derivations, against node-level counts, and their
presentation (factored forms, one-fraction speed-up, leading order, LaTeX, round trips)."""

from __future__ import annotations

import json
import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcost.cli import cli
from graphcost.count.recursions import count
from graphcost.count.symbolic import (
    formula_from_string,
    leading_order,
    present,
    single_fraction,
    symbolic_counts,
)
from graphcost.graph.loader import graph_from_dict, load_graph
from tests.conftest import GRAPHS

V, V1, V2 = sympy.symbols("V V1 V2", positive=True, integer=True)
n = sympy.Symbol("n", positive=True, integer=True)


def same(a: object, b: object) -> bool:
    return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0


def test_exercise_4b_general_formulas() -> None:
    # Seed 000, Exercise 4b (a)-(c), by hand: a V1 node has |V| input ancestors and |V2|
    # successors, a V2 node |V| ancestors and one successor → forward V·V2·(V1 + 1); a V1 node
    # has |V| predecessors, a V2 node |V1|, each reaches the one output → backward V1·(V2 + V).
    s = symbolic_counts(load_graph(GRAPHS / "exercise-4b-general.yaml"))
    assert same(s.forward.multiplications, V * V2 * (V1 + 1))
    assert same(s.backward.multiplications, V1 * (V2 + V))
    assert same(s.speedup, V * V2 * (V1 + 1) / (V1 * (V2 + V)))
    formulas = s.formulas()
    assert formulas["forward"] == "V*V2*(V1 + 1)"
    assert formulas["backward"] == "V1*(V + V2)"


def test_exercise_4b_speedup_is_one_fraction() -> None:
    # Part (d): V1 = 2n/3, V2 = n/3 → n·(n/3)·(2n/3 + 1) / ((2n/3)·(4n/3)) = (2n + 3)/8.
    s = symbolic_counts(load_graph(GRAPHS / "exercise-4b.yaml"))
    assert same(s.speedup, (2 * n + 3) / 8)
    assert s.formulas()["speedup"] == "(2*n + 3)/8"
    assert same(s.forward.multiplications, n * (n / 3) * (2 * n / 3 + 1))
    assert same(s.backward.multiplications, (2 * n / 3) * (n / 3 + n))


def test_general_formula_specialises_to_part_d() -> None:
    general = symbolic_counts(load_graph(GRAPHS / "exercise-4b-general.yaml"))
    part_d = symbolic_counts(load_graph(GRAPHS / "exercise-4b.yaml"))
    rule = {V: n, V1: 2 * n / 3, V2: n / 3}
    assert same(general.speedup.subs(rule), part_d.speedup)


def test_dense_convention_by_hand() -> None:
    # Dense: every local partial once per seed direction: forward |V|·|E|, backward |D'|·|E|,
    # with |E| = V·V1 + V1·V2 + V2 node-level edges; the speed-up is |V|/|D'| = V.
    s = symbolic_counts(load_graph(GRAPHS / "exercise-4b-general.yaml"), convention="dense")
    edges = V * V1 + V1 * V2 + V2
    assert same(s.forward.multiplications, V * edges)
    assert same(s.backward.multiplications, edges)
    assert same(s.speedup, V)


def test_leading_order_of_exercise_4b() -> None:
    s = symbolic_counts(load_graph(GRAPHS / "exercise-4b.yaml"))
    leading = s.leading()
    assert same(leading["speedup"], n / 4)
    assert same(leading["forward"], 2 * n**3 / 9)
    assert same(leading["backward"], 8 * n**2 / 9)
    general = symbolic_counts(load_graph(GRAPHS / "exercise-4b-general.yaml")).leading()
    assert same(general["speedup"], V * V2 / (V + V2))


@pytest.mark.parametrize("name", ["exercise-4b-general", "mlp-relu", "seed-002-network"])
def test_leading_order_is_the_limit(name: str) -> None:
    # Independent check of the method: along s_i = c_i·t the quotient expression / leading
    # term tends to 1 as t → ∞ (sympy's limit, for random directions c).
    s = symbolic_counts(load_graph(GRAPHS / f"{name}.yaml"))
    t = sympy.Symbol("t", positive=True)
    generator = random.Random(name)
    for key, expression in s.expressions().items():
        lead = s.leading()[key]
        direction = {sym: generator.randint(1, 5) * t for sym in s.symbols.values()}
        ratio = (expression / lead).subs(direction)
        assert sympy.limit(ratio, t, sympy.oo) == 1, key


def test_leading_order_without_a_rational_form() -> None:
    m = sympy.Symbol("m", positive=True, integer=True)
    assert leading_order(sympy.floor(m / 2) * m, [m]) is None
    assert leading_order(sympy.Integer(7), [m]) == 7


def test_floor_sizes_stay_exact() -> None:
    graph = graph_from_dict(
        {
            "symbols": {"m": 7},
            "V": {"x": "m"},
            "D": {"h": "m//2"},
            "D'": {"y": 1},
            "E": [["x", "h"], ["h", "y"]],
        }
    )
    s = symbolic_counts(graph)
    assert s.leading()["forward"] is None
    for m in range(2, 12):
        numeric = count(graph, values={"m": m})
        value = s.forward.multiplications.subs(s.symbols["m"], m)
        assert value == numeric.forward.multiplications


def test_presentation_helpers() -> None:
    a, b = sympy.symbols("a b")
    assert str(present(a * b + a)) == "a*(b + 1)"
    assert str(present((a + 1) ** 2 - 1)) in ("a*(a + 2)", "a**2 + 2*a")
    assert str(single_fraction(a / 4 + sympy.Rational(3, 8))) == "(2*a + 3)/8"


@pytest.mark.parametrize(
    "name", ["exercise-4b", "exercise-4b-general", "mlp-relu", "seed-002-network"]
)
def test_strings_parse_back(name: str) -> None:
    s = symbolic_counts(load_graph(GRAPHS / f"{name}.yaml"))
    for key, text in s.formulas().items():
        expression = s.expressions()[key]
        assert same(formula_from_string(text, s.symbols), expression)
        # Plain sympify (symbols without assumptions) reads the same expression too.
        plain = {sym: sympy.Symbol(name) for name, sym in s.symbols.items()}
        assert sympy.simplify(sympy.sympify(text) - expression.subs(plain)) == 0


def test_symbol_names_sympy_treats_as_constants() -> None:
    graph = graph_from_dict(
        {
            "symbols": {"E": 4, "N": 3},
            "V": {"x": "E"},
            "D": {"h": "N"},
            "D'": {"y": 1},
            "E": [["x", "h"], ["h", "y"]],
        }
    )
    s = symbolic_counts(graph)
    assert s.formulas()["forward"] == "E*N"
    assert formula_from_string("E*N", s.symbols) == s.forward.multiplications


def test_latex() -> None:
    s = symbolic_counts(load_graph(GRAPHS / "exercise-4b.yaml"))
    latex = s.latex()
    assert latex["speedup"] == r"\frac{2 n + 3}{8}"
    assert sympy.latex(s.forward.multiplications) == latex["forward"]


# --- property: symbolic counts evaluated at admissible values equal node-level counts -------

SYMBOLS = ("a", "b")
SIZE_FORMS = ["a", "b", "2*a", "a + b", "a*b", "3", "1", "2*b/2", "(a + 1)*b"]


@st.composite
def block_graphs(draw: st.DrawFn) -> dict:
    """A random block graph: sizes from SIZE_FORMS, full edges forward in block order, and diag
    edges between blocks whose sizes are written identically."""
    inputs = draw(st.integers(1, 2))
    middle = draw(st.integers(0, 3))
    outputs = draw(st.integers(1, 2))
    names = [f"x{i}" for i in range(inputs)] + [f"h{i}" for i in range(middle)]
    names += [f"y{i}" for i in range(outputs)]
    sizes = {name: draw(st.sampled_from(SIZE_FORMS)) for name in names}
    edges = []
    for j, target in enumerate(names):
        if target.startswith("x"):
            continue
        sources = [s for s in names[:j] if not s.startswith("y")]
        chosen = (
            draw(st.lists(st.sampled_from(sources), unique=True, max_size=3)) if sources else []
        )
        for source in chosen:
            diag = sizes[source] == sizes[target] and draw(st.booleans())
            edges.append([source, target, "diag"] if diag else [source, target])
    return {
        "symbols": {"a": 2, "b": 2},
        "V": {name: sizes[name] for name in names if name.startswith("x")},
        "D": {name: sizes[name] for name in names if name.startswith("h")} or None,
        "D'": {name: sizes[name] for name in names if name.startswith("y")},
        "E": edges,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=block_graphs(),
    values=st.fixed_dictionaries({"a": st.integers(1, 4), "b": st.integers(1, 4)}),
    convention=st.sampled_from(["elimination", "dense"]),
)
def test_symbolic_counts_equal_node_counts(data: dict, values: dict, convention: str) -> None:
    if data["D"] is None:
        del data["D"]
    graph = graph_from_dict(data)
    s = symbolic_counts(graph, convention=convention)
    numeric = count(graph, convention=convention, values=values, level="node")
    point = {s.symbols[k]: v for k, v in values.items() if k in s.symbols}
    exprs = s.expressions()
    assert sympy.sympify(exprs["forward"]).subs(point) == numeric.forward.multiplications
    assert sympy.sympify(exprs["backward"]).subs(point) == numeric.backward.multiplications
    assert sympy.sympify(exprs["forward_additions"]).subs(point) == numeric.forward.additions
    assert sympy.sympify(exprs["backward_additions"]).subs(point) == numeric.backward.additions
    if exprs["speedup"] is not None:
        assert exprs["speedup"].subs(point) == sympy.Rational(
            numeric.forward.multiplications, numeric.backward.multiplications
        )


# --- analyze: formulas next to values, --symbolic, --latex, JSON, --layers --------------------


def test_analyze_shows_formulas_by_default(runner) -> None:
    result = runner.invoke(cli, ["analyze", str(GRAPHS / "exercise-4b.yaml")])
    assert result.exit_code == 0, result.output
    assert "n**2*(2*n + 3)/9" in result.output
    assert "speed-up formula: (2*n + 3)/8" in result.output
    assert "speed-up ~ n/4" in result.output
    assert "6,300" in result.output


def test_analyze_with_values_hides_formulas_unless_symbolic(runner) -> None:
    path = str(GRAPHS / "exercise-4b.yaml")
    plain = runner.invoke(cli, ["analyze", path, "--set", "n=300"])
    assert plain.exit_code == 0
    assert "formula" not in plain.output
    shown = runner.invoke(cli, ["analyze", path, "--set", "n=300", "--symbolic"])
    assert shown.exit_code == 0
    assert "6,030,000" in shown.output
    assert "(2*n + 3)/8" in shown.output


def test_analyze_json_symbolic_parses_back(runner) -> None:
    result = runner.invoke(
        cli, ["analyze", str(GRAPHS / "exercise-4b-general.yaml"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    symbolic = data["symbolic"]
    assert set(symbolic) >= {"forward", "backward", "speedup"}
    assert same(sympy.sympify(symbolic["forward"]), sympy.sympify("V*V2*(V1 + 1)"))
    assert same(sympy.sympify(symbolic["backward"]), sympy.sympify("V1*(V2 + V)"))
    assert same(sympy.sympify(symbolic["speedup"]), sympy.sympify("V*V2*(V1 + 1)/(V1*(V2 + V))"))
    assert data["forward"]["multiplications"] == 30 * 10 * 21  # the defaults V=30, V1=20, V2=10


def test_analyze_latex(runner) -> None:
    result = runner.invoke(
        cli, ["analyze", str(GRAPHS / "exercise-4b.yaml"), "--latex", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["symbolic"]["latex"]["speedup"] == r"\frac{2 n + 3}{8}"
    table = runner.invoke(cli, ["analyze", str(GRAPHS / "exercise-4b.yaml"), "--latex"])
    assert r"\frac{2 n + 3}{8}" in table.output


def test_analyze_layers_numeric(runner) -> None:
    # 784 → 300 → 100 → 10, by hand: forward: each of the 300 h1 nodes has 784 input ancestors
    # and 100 successors, each of the 100 h2 nodes 784 ancestors and 10 successors;
    # backward: h1 has 784 predecessors and reaches 10 outputs, h2 has 300 and reaches 10.
    result = runner.invoke(cli, ["analyze", "--layers", "784,300,100,10", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["forward"]["multiplications"] == 300 * 784 * 100 + 100 * 784 * 10
    assert data["backward"]["multiplications"] == 300 * 784 * 10 + 100 * 300 * 10
    assert "symbolic" not in data


def test_analyze_layers_symbolic(runner) -> None:
    result = runner.invoke(cli, ["analyze", "--layers", "n,2*n/3,n/3,1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["forward"] is None
    assert same(sympy.sympify(data["symbolic"]["speedup"]), sympy.sympify("(2*n + 3)/8"))
    valued = runner.invoke(cli, ["analyze", "--layers", "n,2*n/3,n/3,1", "--set", "n=30"])
    assert "6,300" in valued.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "exactly one"),
        (["graphs/exercise-4b.yaml", "--layers", "3,2"], "exactly one"),
        (["--layers", "3"], "at least two layers"),
        (["--layers", "3,,2"], "empty layer"),
        (["--layers", "3,0,1"], "not a positive integer"),
        (["--layers", "3,__import__('os'),1"], "--layers"),
        (["--layers", "n,n/2,1", "--format", "csv"], "CSV rows need values"),
    ],
)
def test_analyze_source_errors(runner, arguments: list[str], message: str) -> None:
    result = runner.invoke(cli, ["analyze", *arguments])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_analyze_diag_between_different_symbols(runner, write_graph) -> None:
    path = write_graph(
        """
        symbols: {n: 2, m: 2}
        V: {x: n}
        D: {h: m}
        D': {y: 1}
        E: [[x, h, diag], [h, y]]
        """
    )
    # Formulas need n = m as expressions; the values n = m = 2 are still counted.
    plain = runner.invoke(cli, ["analyze", str(path)])
    assert plain.exit_code == 0, plain.stderr
    assert "formula" not in plain.output
    asked = runner.invoke(cli, ["analyze", str(path), "--symbolic"])
    assert asked.exit_code == 2
    assert "diag edge" in asked.stderr


# --- the symbolic budget: refuse before expanding, never hang ------------------------------


def _power_graph(size: str, symbols: dict[str, int]) -> object:
    return graph_from_dict(
        {
            "symbols": symbols,
            "V": {"x": size},
            "D": {"h": "n"},
            "D'": {"y": 1},
            "E": [["x", "h"], ["h", "y"]],
        }
    )


@pytest.mark.parametrize(
    ("size", "symbols"),
    [("(n+m+k)**1000", {"n": 3, "m": 2, "k": 2}), ("(n+1)**1000", {"n": 3})],
)
def test_large_power_refused_before_expanding(peak_allocation, size, symbols) -> None:
    # Before the budget: (n+m+k)**1000 expanded to half a million terms (gigabytes, minutes).
    from graphcost.count.budget import SymbolicTooLargeError

    graph = _power_graph(size, symbols)

    def derive() -> None:
        with pytest.raises(SymbolicTooLargeError, match=r"block 'x'.*degree 100.*--set n=3"):
            symbolic_counts(graph)

    assert peak_allocation(derive) < 20 * 1024**2


def test_count_beyond_degree_refused() -> None:
    from graphcost.count.budget import SymbolicTooLargeError

    big = {"symbols": {"n": 3}, "V": {"x": "n**40"}, "D": {"h": "n**40"}, "D'": {"y": "n**40"}}
    with pytest.raises(SymbolicTooLargeError, match=r"forward multiplications.*degree up to 120"):
        symbolic_counts(graph_from_dict({**big, "E": [["x", "h"], ["h", "y"]]}))
    small = {"symbols": {"n": 3}, "V": {"x": "n**30"}, "D": {"h": "n**30"}, "D'": {"y": 1}}
    s = symbolic_counts(graph_from_dict({**small, "E": [["x", "h"], ["h", "y"]]}))
    assert s.forward.multiplications == n**60


def _wide_graph(inputs: int, hidden: int, fan: int) -> object:
    return graph_from_dict(
        {
            "symbols": {f"s{i}": 2 for i in range(inputs + hidden)},
            "V": {f"x{i}": f"s{i}" for i in range(inputs)},
            "D": {f"h{j}": f"s{inputs + j}" for j in range(hidden)},
            "D'": {"y": 1},
            "E": [
                [f"x{(j * fan + i) % inputs}", f"h{j}"] for j in range(hidden) for i in range(fan)
            ]
            + [[f"h{j}", "y"] for j in range(hidden)],
        }
    )


def test_many_symbols_derived_quickly() -> None:
    # 30 symbols, 100-term counts: 70 s before (full multivariate factoring, per-symbol subs),
    # now common factors only. The formulas stay exact.
    import time

    graph = _wide_graph(20, 10, 10)
    start = time.monotonic()
    s = symbolic_counts(graph)
    leading = s.leading()
    assert time.monotonic() - start < 15
    values = {sympy.Symbol(name, positive=True, integer=True): 2 for name in s.symbols}
    numeric = count(graph)
    assert s.forward.multiplications.subs(values) == numeric.forward.multiplications
    assert leading["speedup"] is not None


def test_many_blocks_refused_quickly() -> None:
    # 200 symbols, 1,000-term counts: summing them term by term took 25 s before refusing.
    import time

    from graphcost.count.budget import SymbolicTooLargeError

    start = time.monotonic()
    with pytest.raises(SymbolicTooLargeError, match="terms"):
        symbolic_counts(_wide_graph(100, 100, 10))
    assert time.monotonic() - start < 5


def test_leading_order_and_fraction_bounded() -> None:
    from graphcost.count.budget import SymbolicTooLargeError

    m = sympy.Symbol("m", positive=True)
    with pytest.raises(SymbolicTooLargeError):
        leading_order((n + m + 1) ** 300 / (n + 1), [n, m])
    with pytest.raises(SymbolicTooLargeError):
        single_fraction((n + m + 1) ** 300 / (n + 1) + 1)
    with pytest.raises(SymbolicTooLargeError):
        present((n + m) ** 200)
