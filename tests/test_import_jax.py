"""The JAX front end (issue 12, point 1): functions traced live, walked by the one walker.

For every function of ``tests/data/jax_programs.py``: the input→output reachability of the
node-level expansion equals the non-zero pattern of ``jax.jacfwd`` (a superset exactly where
the importer says an edge is held as full), and the block-level counts equal the node-level
ones. The CLI takes the same functions as ``jax:tests.data.jax_programs:NAME``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

jax = pytest.importorskip("jax")  # the test extra installs it; a user's checkout may not
import jax.numpy as jnp  # noqa: E402
from click.testing import CliRunner  # noqa: E402

import graphcost  # noqa: E402
from graphcost.cli import cli  # noqa: E402
from graphcost.count.recursions import count  # noqa: E402
from graphcost.errors import GraphValidationError, UsageError  # noqa: E402
from graphcost.graph.loader import graph_from_dict  # noqa: E402
from graphcost.graph.shifts import shifted_edges  # noqa: E402
from graphcost.importers.argspec import parse_arg  # noqa: E402
from graphcost.importers.jaxfunc import jax_graph_dict  # noqa: E402
from graphcost.jacobian.expansion import expand  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.data import jax_programs as programs  # noqa: E402

jax.config.update("jax_enable_x64", True)

#: name → (argument shapes, exact): exact False where an edge is held as full (a superset).
CASES = {
    "mlp": ([(3,), (4, 3), (4,), (2, 4), (2,)], True),
    "outer": ([(3,), (4,)], True),
    "batched": ([(2, 3, 4), (2, 4, 5)], True),
    "softmax_rows": ([(3, 4)], True),
    "branches": ([(5,), (5,)], True),
    "reshapes": ([(3, 4)], True),
    "copies": ([(3,), (3,)], True),
    "remat": ([(4,)], True),
    "slices": ([(4,)], True),
    "padded": ([(2, 3)], True),
    "merged": ([(2, 3)], False),
}


def _arguments(shapes: list[tuple[int, ...]], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [jnp.asarray(rng.standard_normal(s)) for s in shapes]


def _jacobian_pattern(f, shapes: list[tuple[int, ...]]) -> np.ndarray:
    """Non-zeros of the whole Jacobian (outputs × inputs, row-major), OR-ed over 8 points so
    that a relu or a select that is off at one point does not hide a dependency."""
    pattern = None
    for seed in range(8):
        args = _arguments(shapes, seed)
        jac = jax.jacfwd(f, argnums=tuple(range(len(args))))(*args)
        outs = jac if isinstance(jac, tuple) and isinstance(jac[0], tuple) else (jac,)
        rows = []
        for out_blocks, out in zip(outs, _outputs(f, args), strict=True):
            rows.append(
                np.hstack([np.asarray(j).reshape(max(out.size, 1), -1) for j in out_blocks])
            )
        here = np.vstack(rows) != 0
        pattern = here if pattern is None else pattern | here
    return pattern


def _outputs(f, args) -> list:
    out = f(*args)
    return list(out) if isinstance(out, tuple) else [out]


def _reachability(graph) -> np.ndarray:
    """Output nodes × input nodes: which input node reaches which output node, by a plain
    walk over the node-level expansion in topological block order."""
    sizes = graph.sizes({})
    nodes = expand(graph, sizes, graph.shapes({}))
    total = int(nodes.offsets[-1])
    roles = [b.role for b in graph.blocks]
    inputs = [i for i, r in enumerate(roles) if r == "V"]
    outputs = [i for i, r in enumerate(roles) if r == "D'"]
    input_nodes = [n for b in inputs for n in range(nodes.offsets[b], nodes.offsets[b + 1])]
    reach = np.zeros((total, len(input_nodes)), dtype=bool)
    for column, node in enumerate(input_nodes):
        reach[node, column] = True
    level = np.repeat(np.asarray(graph.level), sizes)  # the level of each node's block
    order = np.argsort(level[nodes.dst], kind="stable")
    src, dst = nodes.src[order], nodes.dst[order]
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        reach[b] |= reach[a]
    output_nodes = [n for b in outputs for n in range(nodes.offsets[b], nodes.offsets[b + 1])]
    return reach[output_nodes]


def _graph(name: str):
    shapes, _ = CASES[name]
    return graphcost.from_jax(getattr(programs, name), *_arguments(shapes, 0))


@pytest.mark.parametrize("name", sorted(CASES))
def test_reachability_equals_the_jacobian_pattern(name: str) -> None:
    shapes, exact = CASES[name]
    graph = _graph(name)
    reach = _reachability(graph)
    pattern = _jacobian_pattern(getattr(programs, name), shapes)
    assert reach.shape == pattern.shape
    assert not (pattern & ~reach).any(), "a dependency of the program is missing"
    if exact:
        assert (reach == pattern).all()
    else:
        assert (reach & ~pattern).any(), "an edge held as full should over-approximate here"
        assert graph.extra.get("upper_bounds")


@pytest.mark.parametrize("name", sorted(CASES))
def test_block_level_counts_equal_the_node_level_expansion(name: str) -> None:
    graph = _graph(name)
    block, node = count(graph, level="block"), count(graph, level="node")
    if shifted_edges(graph):  # block level holds supersets of slices, concatenations, pads
        assert set(block.approximate) >= set(shifted_edges(graph))
        assert block.forward.multiplications >= node.forward.multiplications
        assert block.backward.multiplications >= node.backward.multiplications
    else:
        assert block.forward == node.forward
        assert block.backward == node.backward


def test_mlp_counts_by_hand() -> None:
    """x[3] → a = W1x+b1 [4] → relu [4] → W2·+b2 [2] → tanh → square → sum.

    Vertices (one per equation): v1 = W1@x, v2 = v1+b1, v3 = relu, v4 = W2@v3, v5 = v4+b2,
    v6 = tanh, v7 = square, v8 = sum. Inputs: x 3, W1 12, b1 4, W2 8, b2 2 (29 nodes).
    Backward (unit seed at v8; a product is counted per partial and path step):
    v7: 2 nodes, 1 successor each with unit seed → 0; v6: 2; v5: 2; v4: 2;
    v3: 4 nodes × 2 successors (v4 rows) = 8; v2: 4; v1: 4;
    x: 3 × 4 = 12; W1: 12 × 1 = 12; b1: 4; W2: 8; b2: 2. Total 60.
    """
    graph = _graph("mlp")
    assert [b.name for b in graph.blocks][:5] == ["x", "W1", "b1", "W2", "b2"]
    assert count(graph).backward.multiplications == 60


def test_copies_and_pruning_are_said() -> None:
    data = jax_graph_dict(programs.copies, *_arguments(CASES["copies"][0], 0))
    assert list(data["D'"]) == ["v2_out", "v3", "y_out"]
    assert "Copy vertices for outputs that feed on: v2, y" in data["description"]
    # v1 = gt, v5 = stop_gradient(y), v7 = floor(x): no derivative, so no vertex; the final
    # add (v8) has one edge, from v6 = select * stop_gradient(y).
    pruned = jax_graph_dict(programs.branches, *_arguments(CASES["branches"][0], 0))
    assert sorted(pruned["D"]) == ["v2", "v3", "v4", "v6"]
    assert [e for e in pruned["E"] if e[1] == "v8"] == [["v6", "v8", "a->a"]]


def test_symbolic_shapes_give_formulas() -> None:
    data = jax_graph_dict(
        programs.outer, parse_arg("f32[n]"), parse_arg("f32[m]"), symbols={"n": 5}
    )
    assert data["symbols"] == {"n": 5, "m": 10}
    assert data["V"] == {"x": ["n"], "y": ["m"]}
    graph = graph_from_dict(data)
    for n, m in [(5, 10), (2, 7)]:
        concrete = graphcost.from_jax(programs.outer, jnp.ones(n), jnp.ones(m))
        assert count(graph, values={"n": n, "m": m}).forward == count(concrete).forward


def test_wrt_makes_the_other_inputs_constants() -> None:
    args = _arguments(CASES["mlp"][0], 0)
    graph = graphcost.from_jax(programs.mlp, *args, wrt="W2,b2")
    assert [b.name for b in graph.blocks if b.role == "V"] == ["W2", "b2"]
    assert graphcost.from_jax(programs.mlp, *args, wrt=[3, 4]).blocks[0].name == "W2"
    with pytest.raises(UsageError, match="'W3', which is not an input"):
        graphcost.from_jax(programs.mlp, *args, wrt="W3")


def test_control_flow_is_refused_unless_unrolled() -> None:
    x = jnp.asarray([0.5, -1.0, 2.0])
    for f in (programs.loop, programs.cond, programs.while_loop):
        with pytest.raises(GraphValidationError, match="control flow"):
            graphcost.from_jax(f, x)
    loop = graphcost.from_jax(programs.loop, x, unroll=True)
    assert sum(b.role == "D" for b in loop.blocks) == 5  # 3 × (sin, mul) − the output
    taken = graphcost.from_jax(programs.cond, x, unroll=True)  # x[0] > 0: the sin branch
    assert "sin" not in [b.name for b in taken.blocks]
    iterations = graphcost.from_jax(programs.while_loop, x, unroll=True)
    # c ← 2c + 1 from sum 1.5: 6.0, 15.0 → 2 iterations of (mul, add), the last one the output
    assert len(iterations.blocks) == 1 + 4


def test_unrolled_scan_matches_the_jacobian_pattern() -> None:
    xs = jnp.asarray(np.random.default_rng(1).standard_normal((3, 2)))
    graph = graphcost.from_jax(programs.scanned, xs, unroll=True)
    reach = _reachability(graph)
    pattern = _jacobian_pattern(programs.scanned, [(3, 2)])
    assert not (pattern & ~reach).any()  # slices/concatenate held as full: a superset


def test_unsupported_primitive_is_named() -> None:
    with pytest.raises(GraphValidationError, match="'cumsum' is not supported"):
        graphcost.from_jax(programs.unsupported, jnp.ones(3))


def test_argument_specs() -> None:
    assert parse_arg("f32[n,3]").dims == ("n", 3)
    for bad in ["f32", "f32[n", "q7[3]", "f32[0]", "f32[-1]", "f32[2*n]", "f32[" + "1," * 9 + "1]"]:
        with pytest.raises(UsageError):
            parse_arg(bad)


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_import_and_analyze_agree(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    target = "tests.data.jax_programs:mlp"
    specs = [
        "--arg",
        "f32[3]",
        "--arg",
        "f32[4,3]",
        "--arg",
        "f32[4]",
        "--arg",
        "f32[2,4]",
        "--arg",
        "f32[2]",
    ]
    out = tmp_path / "mlp.yaml"
    result = _cli("import", "jax", target, *specs, "-o", str(out))
    assert result.exit_code == 0, result.output
    from_file = _cli("analyze", str(out), "--format", "csv")
    direct = _cli("analyze", f"jax:{target}", *specs, "--format", "csv")
    assert direct.exit_code == 0, direct.output
    assert from_file.stdout.splitlines()[1:] == direct.stdout.splitlines()[1:]
    assert ",60," in direct.stdout  # backward, as derived by hand above


def test_cli_symbolic_analyze(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _cli(
        "analyze",
        "jax:tests.data.jax_programs:outer",
        "--arg",
        "f32[n]",
        "--arg",
        "f32[m]",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert '"symbolic"' in result.stdout


def _readme_examples(section: str) -> list[tuple[list[str], str]]:
    """The ``$ graphcost …`` console blocks of a README section: (arguments, output)."""
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    body = text[start : text.index("\n## ", start + 1)]
    examples = []
    for block in re.findall(r"```console\n(.*?)```\n", body, flags=re.S):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = part.partition("\n")
            words = shlex.split(command)
            assert words[0] == "graphcost"
            examples.append((words[1:], output))
    return examples


def test_readme_importing_programs_examples_are_true(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    examples = _readme_examples("Importing programs")
    assert len(examples) >= 4  # JAX: import, analyze; ONNX: import, analyze, --wrt params
    for args, expected in examples:
        result = CliRunner(env={"COLUMNS": "120"}).invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert result.stdout == expected, " ".join(args)


def test_readme_primitive_table_lists_every_rule() -> None:
    from graphcost.importers.rules import RULES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| primitive | edge from each operand")
    table = text[start : text.index("\n\n", start)]
    named = set()
    for row in table.splitlines()[2:]:
        named.update(re.findall(r"`([a-z_0-9 ]+)`", row.split("|")[1]))
    words = {w for group in named for w in group.split()}
    assert set(RULES) <= words
