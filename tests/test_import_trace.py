"""The equation walker over the trace file of the ten AlphaGrad tasks (issue 12, point 2).

``tests/data/ad-tensor-graphs.json`` is a copy of the shared trace file (the field's reference
benchmark: structure only, no code), so these tests never depend on ``../shared``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re

import pytest
import yaml

from graphcost.count.recursions import count
from graphcost.eliminate.problem import elimination_problem
from graphcost.eliminate.strategies import run_strategy
from graphcost.errors import GraphValidationError
from graphcost.graph.loader import graph_from_dict, load_graph
from graphcost.importers import graph_from_trace
from graphcost.importers.rules import RULES, edges_of
from tests.conftest import BENCHMARKS, ROOT

TRACE = json.loads((ROOT / "tests" / "data" / "ad-tensor-graphs.json").read_text())
TENSOR = BENCHMARKS / "tensor"
SCALAR_TASKS = ["RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g"]
STRATEGIES = [("forward", "forward"), ("backward", "reverse"), ("markowitz", "markowitz")]


def test_the_trace_holds_the_ten_tasks() -> None:
    assert len(TRACE) == 10
    assert sorted(p.stem for p in TENSOR.glob("*.yaml")) == sorted(TRACE)


def test_every_primitive_of_the_trace_has_a_rule() -> None:
    used = {e["primitive"] for record in TRACE.values() for e in record["eqns"]}
    assert used <= set(RULES)


@pytest.mark.parametrize("name", SCALAR_TASKS)
@pytest.mark.parametrize(("strategy", "key"), STRATEGIES)
def test_scalar_tasks_reproduce_the_published_counts(name: str, strategy: str, key: str) -> None:
    graph = graph_from_dict(graph_from_trace(TRACE[name]))
    problem = elimination_problem(graph)
    cost = run_strategy(problem, strategy).cost
    assert cost.multiplications == TRACE[name]["published"][key]
    assert not cost.approximate


def _number(name: str) -> int:
    return int(re.sub(r"\D", "", name))


@pytest.mark.parametrize("name", SCALAR_TASKS)
def test_scalar_tasks_equal_the_shipped_scalar_graphs_edge_for_edge(name: str) -> None:
    """Inputs in order, the other vertices in evaluation order: the renaming is the order."""
    imported = graph_from_trace(TRACE[name])
    shipped = yaml.safe_load((BENCHMARKS / f"{name}.yaml").read_text())
    ours = list(imported["V"]) + sorted([*imported["D"], *imported["D'"]], key=_number)
    theirs = list(shipped["V"]) + sorted([*shipped["D"], *shipped["D'"]], key=_number)
    assert len(ours) == len(theirs)
    rename = dict(zip(ours, theirs, strict=True))
    assert {rename[v] for v in imported["D'"]} == set(shipped["D'"])
    assert {(rename[s], rename[t]) for s, t, _ in imported["E"]} == {
        (s, t) for s, t, *_ in shipped["E"]
    }
    blocks = [*imported["V"].values(), *imported["D"].values(), *imported["D'"].values()]
    assert all(math.prod(shape) == 1 for shape in blocks)  # g's values are 1x1


def converter():
    spec = importlib.util.spec_from_file_location("convert_tensor", TENSOR / "convert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(TRACE))
def test_shipped_graphs_are_the_converter_output(name: str) -> None:
    assert (TENSOR / f"{name}.yaml").read_text() == converter().render(TRACE[name])
    graph = load_graph(TENSOR / f"{name}.yaml")
    published = graph.extra["published"]
    assert published["forward"] == TRACE[name]["published"]["forward"]
    assert published["graphax"] == TRACE[name]["graphax"]


@pytest.mark.parametrize("name", sorted(TRACE))
@pytest.mark.parametrize("strategy", ["forward", "backward"])
def test_block_counts_equal_node_counts(name: str, strategy: str) -> None:
    """Forward and backward eliminate in the same order at both levels: block counts equal the
    node-level expansion, or are marked approximate and bound it from above. (Markowitz picks
    blocks at block level and nodes at node level: different orders, not compared.)"""
    graph = load_graph(TENSOR / f"{name}.yaml")
    block = run_strategy(elimination_problem(graph, level="block"), strategy).cost
    node = run_strategy(elimination_problem(graph, level="node"), strategy).cost
    if block.approximate:
        assert block.multiplications >= node.multiplications
    else:
        assert block.multiplications == node.multiplications


def test_slices_and_concatenations_are_shifted_edges() -> None:
    """RoeFlux_3d unpacks 3-vectors (``slice``) and packs the flux (``concatenate``): shifted
    signatures, exact at node level, so nothing is an upper bound any more; block level
    holds their supersets and says so."""
    data = graph_from_trace(TRACE["RoeFlux_3d"])
    assert "upper_bounds" not in data
    shifted = {(s, t): k for s, t, k in data["E"] if "+" in k or "-" in k.split("->")[0]}
    assert shifted[("v2", "v3")] == "ab+0->ab"  # v3 = v2[:, 0:1]
    assert shifted[("v2", "v5")] == "ab+2->ab"  # v5 = v2[:, 2:3]
    assert {t for (_, t) in shifted} >= {"v140"}  # the concatenated flux
    graph = graph_from_dict(data)
    block, node = count(graph, level="block"), count(graph, level="node")
    assert set(block.approximate) >= {f"{s} -> {t}" for s, t in shifted}
    assert not node.approximate
    assert node.forward.multiplications <= block.forward.multiplications


def test_over_approximations_are_said_in_the_description() -> None:
    record = _record("reshape", {"new_sizes": [6], "dimensions": None}, [[2, 3]], [6])
    data = graph_from_trace(record)
    assert "reshape [2, 3] -> [6] held as full" in data["description"]
    assert "upper bounds" in data["description"]
    assert data["upper_bounds"] == ["x1 -> v1"]


def _record(primitive: str, params: dict, shapes: list, out: list, dtype="float32") -> dict:
    invars = [{"var": f"x{i + 1}", "shape": s, "dtype": "float32"} for i, s in enumerate(shapes)]
    return {
        "name": "t",
        "inputs": [{**v, "weak_type": False} for v in invars],
        "outputs": ["v1"],
        "eqns": [
            {
                "index": 1,
                "primitive": primitive,
                "params": params,
                "invars": invars,
                "outvars": [{"var": "v1", "shape": out, "dtype": dtype}],
            }
        ],
    }


def test_an_unknown_primitive_is_a_clean_error_naming_it() -> None:
    with pytest.raises(GraphValidationError, match=r"'cumsum'.*not supported"):
        graph_from_trace(_record("cumsum", {"axis": 0}, [[3]], [3]))


@pytest.mark.parametrize(
    ("primitive", "params", "shapes", "out", "signatures"),
    [
        ("mul", {}, [[2, 3], []], [2, 3], ["ab->ab", "->ab"]),
        ("add", {}, [[1, 3], [2, 3]], [2, 3], ["cb->ab", "ab->ab"]),
        (
            "dot_general",
            {"dimension_numbers": [[[1], [1]], [[], []]]},
            [[8, 4], [1, 4]],
            [8, 1],
            ["ac->ab", "bc->ab"],
        ),
        (
            "dot_general",
            {"dimension_numbers": [[[2], [1]], [[0], [0]]]},
            [[5, 2, 3], [5, 3, 4]],
            [5, 2, 4],
            ["abd->abc", "adc->abc"],
        ),
        ("reduce_sum", {"axes": [1]}, [[2, 3]], [2], ["ab->a"]),
        (
            "broadcast_in_dim",
            {"shape": [2, 3], "broadcast_dimensions": [1]},
            [[3]],
            [2, 3],
            ["b->ab"],
        ),
        ("transpose", {"permutation": [1, 0]}, [[2, 3]], [3, 2], ["ab->ba"]),
        ("reshape", {"new_sizes": [3, 1], "dimensions": None}, [[3]], [3, 1], ["a->ab"]),
        ("reshape", {"new_sizes": [6], "dimensions": None}, [[2, 3]], [6], ["ab->c"]),
        ("squeeze", {"dimensions": [0]}, [[1, 3]], [3], ["ba->a"]),
        ("select_n", {}, [[3], [3], [3]], [3], [None, "a->a", "a->a"]),
        ("lt", {}, [[3], [3]], [3], [None, None]),
    ],
)
def test_rules(primitive, params, shapes, out, signatures) -> None:
    got = [e.pattern and str(e.pattern) for e in edges_of(primitive, params, shapes, out)]
    assert got == signatures


def test_constants_integers_and_dead_code_are_no_vertices() -> None:
    f32 = "float32"
    record = {
        "name": "t",
        "inputs": [{"var": "x1", "shape": [3], "dtype": f32}],
        "outputs": ["v4"],
        "eqns": [
            {
                "index": 1,
                "primitive": "gt",
                "params": {},
                "outvars": [{"var": "v1", "shape": [3], "dtype": "bool"}],
                "invars": [
                    {"var": "x1", "shape": [3], "dtype": f32},
                    {"literal": 0.0, "shape": [], "dtype": f32},
                ],
            },
            {
                "index": 2,
                "primitive": "exp",
                "params": {},
                "outvars": [{"var": "v2", "shape": [3], "dtype": f32}],
                "invars": [{"var": "x1", "shape": [3], "dtype": f32}],
            },  # dead
            {
                "index": 3,
                "primitive": "sin",
                "params": {},
                "outvars": [{"var": "v3", "shape": [3], "dtype": f32}],
                "invars": [{"var": "x1", "shape": [3], "dtype": f32}],
            },
            {
                "index": 4,
                "primitive": "select_n",
                "params": {},
                "outvars": [{"var": "v4", "shape": [3], "dtype": f32}],
                "invars": [
                    {"var": "v1", "shape": [3], "dtype": "bool"},
                    {"var": "v3", "shape": [3], "dtype": f32},
                    {"literal": 1.0, "shape": [], "dtype": f32},
                ],
            },
        ],
    }
    data = graph_from_trace(record)
    assert data["D"] == {"v3": [3]}
    assert data["D'"] == {"v4": [3]}
    assert data["E"] == [["x1", "v3", "a->a"], ["v3", "v4", "a->a"]]


def test_an_output_that_feeds_on_gets_a_copy_vertex() -> None:
    f32 = "float32"
    record = {
        "name": "t",
        "inputs": [{"var": "x1", "shape": [], "dtype": f32}],
        "outputs": ["v1", "v2", "x1"],
        "eqns": [
            {
                "index": 1,
                "primitive": "sin",
                "params": {},
                "outvars": [{"var": "v1", "shape": [], "dtype": f32}],
                "invars": [{"var": "x1", "shape": [], "dtype": f32}],
            },
            {
                "index": 2,
                "primitive": "cos",
                "params": {},
                "outvars": [{"var": "v2", "shape": [], "dtype": f32}],
                "invars": [{"var": "v1", "shape": [], "dtype": f32}],
            },
        ],
    }
    data = graph_from_trace(record)
    assert list(data["D"]) == ["v1"]
    assert list(data["D'"]) == ["v1_out", "v2", "x1_out"]
    graph = graph_from_dict(data)
    # eliminating v1 costs |preds|·|succs| = 1·2: the copy v1_out adds one multiplication
    assert run_strategy(elimination_problem(graph), "forward").cost.multiplications == 2
