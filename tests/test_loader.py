"""Loading and validating graph files: the issue's examples load as written, bad input is named."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.errors import (
    GraphcostError,
    GraphFileError,
    GraphValidationError,
    SizeError,
)
from graphcost.graph.edgefile import read_edge_file
from graphcost.graph.expr import parse_expression
from graphcost.graph.loader import (
    MAX_GRAPH_FILE_BYTES,
    graph_from_dict,
    load_graph,
    unreachable_warnings,
)
from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT, Block
from graphcost.graph.yamlfile import parse_yaml
from tests.conftest import GRAPHS

EXERCISE_4B = """
name: exercise-4b
symbols: {n: 30}
V: {x: n}
D: {h1: 2*n/3, h2: n/3}
D': {y: 1}
E: [[x, h1], [h1, h2], [h2, y]]
"""

SMALL = """
name: small
V: [x1, x2]
D: [a, b]
D': [y]
E: [[x1, a], [x2, a], [a, b], [x2, b], [b, y], [a, y]]
"""


def _edges(graph) -> list[tuple[str, str, bool]]:
    names = [block.name for block in graph.blocks]
    e = graph.edges
    return [
        (names[a], names[b], bool(d))
        for a, b, d in zip(e.src.tolist(), e.dst.tolist(), e.diag.tolist(), strict=True)
    ]


def test_exercise_4b_loads_as_written(write_graph: Callable[..., Path]) -> None:
    graph = load_graph(write_graph(EXERCISE_4B))
    assert graph.name == "exercise-4b"
    assert graph.symbols == {"n": 30}
    assert [(b.name, b.role, b.size.text, b.line) for b in graph.blocks] == [
        ("x", INPUT, "n", 3),
        ("h1", INTERMEDIATE, "2*n/3", 4),
        ("h2", INTERMEDIATE, "n/3", 4),
        ("y", OUTPUT, "1", 5),
    ]
    assert _edges(graph) == [("x", "h1", False), ("h1", "h2", False), ("h2", "y", False)]
    assert graph.sizes() == [30, 20, 10, 1]
    assert graph.sizes({"n": 300}) == [300, 200, 100, 1]
    assert not graph.is_node_level


def test_small_loads_as_written(write_graph: Callable[..., Path]) -> None:
    graph = load_graph(write_graph(SMALL))
    assert [(b.name, b.role) for b in graph.blocks] == [
        ("x1", INPUT),
        ("x2", INPUT),
        ("a", INTERMEDIATE),
        ("b", INTERMEDIATE),
        ("y", OUTPUT),
    ]
    assert graph.is_node_level
    assert _edges(graph) == [
        ("x1", "a", False),
        ("x2", "a", False),
        ("a", "b", False),
        ("x2", "b", False),
        ("b", "y", False),
        ("a", "y", False),
    ]
    order = [graph.blocks[i].name for i in graph.order.tolist()]
    for a, b, _ in _edges(graph):
        assert order.index(a) < order.index(b)


def test_name_defaults_to_the_file_stem(write_graph: Callable[..., Path]) -> None:
    path = write_graph("V: [x]\nD': [y]\nE: [[x, y]]\n", name="tiny-graph.yaml")
    assert load_graph(path).name == "tiny-graph"


def test_dprime_is_accepted_and_diag_edges_are_read(write_graph: Callable[..., Path]) -> None:
    graph = load_graph(
        write_graph(
            """
            symbols: {m: 4}
            V: {x: m}
            D: {z: m}
            Dprime: {y: m}
            E: [[x, z], [z, y, diag]]
            """
        )
    )
    assert [b.role for b in graph.blocks] == [INPUT, INTERMEDIATE, OUTPUT]
    assert _edges(graph) == [("x", "z", False), ("z", "y", True)]


@pytest.mark.parametrize("path", sorted(GRAPHS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_graph_loads_and_sizes(path: Path) -> None:
    graph = load_graph(path)
    assert all(size >= 1 for size in graph.sizes())
    assert unreachable_warnings(graph) == []


def test_parse_yaml_records_lines() -> None:
    data = parse_yaml("a: 1\nb:\n  - x\n  - y\n", "f.yaml")
    assert data == {"a": 1, "b": ["x", "y"]}
    assert data.lines == {"a": 1, "b": 2}
    assert data["b"].lines == [3, 4]


def _error(
    write_graph: Callable[..., Path], text: str, kind: type[GraphcostError] = GraphcostError
) -> GraphcostError:
    path = write_graph(text)
    with pytest.raises(kind) as caught:
        load_graph(path).sizes()
    assert caught.value.path == str(path)
    return caught.value


@pytest.mark.parametrize(
    ("text", "kind", "line", "words"),
    [
        ("V: [x\nD': [y]\n", GraphFileError, 2, ["malformed YAML"]),
        ("V: [x]\nD': [y]\nV: [z]\nE: []\n", GraphFileError, 3, ["duplicate key 'V'", "line 1"]),
        ("V: [x]\nD: [x]\nD': [y]\nE: []\n", GraphValidationError, 2, ["'x' is declared twice"]),
        ("V: [x]\nD': [y]\nE:\n  - [x, q]\n", GraphValidationError, 4, ["unknown node 'q'"]),
        (
            "V: [x]\nD: [a, b]\nD': [y]\nE:\n  - [x, a]\n  - [a, b]\n  - [b, a]\n  - [b, y]\n",
            GraphValidationError,
            6,
            ["cycle: a -> b -> a"],
        ),
        ("V: [x, z]\nD': [y]\nE: [[x, y], [x, z]]\n", GraphValidationError, 3, ["input 'z'"]),
        (
            "V: [x]\nD: [a]\nD': [y]\nE: [[x, a], [a, y], [y, a]]\n",
            GraphValidationError,
            4,
            ["output 'y' has a successor"],
        ),
        ("V: {x: m}\nD': [y]\nE: [[x, y]]\n", GraphValidationError, 1, ["unknown symbol 'm'"]),
        ("V: {x: 0}\nD': [y]\nE: [[x, y]]\n", GraphValidationError, 1, ["is 0"]),
        ("V: {x: 1.5}\nD': [y]\nE: [[x, y]]\n", GraphValidationError, 1, ["1.5"]),
        ("V: {x: 'n.real'}\nD': [y]\nE: [[x, y]]\n", GraphValidationError, 1, ["attribute"]),
        ("V: [x]\nD': [y]\nE: [[x, y, wavy]]\n", GraphValidationError, 3, ["kind 'wavy'"]),
        ("V: [x]\nD': [y]\nE: [[x, y], [x, y]]\n", GraphValidationError, 3, ["given twice"]),
        ("V: [x]\nD': [y]\nE: [[x]]\n", GraphValidationError, 3, ["[from, to]"]),
        ("V: [x]\nD': [y]\nF: 1\nE: [[x, y]]\n", GraphValidationError, 3, ["unknown section 'F'"]),
        ("V: [x]\nE: [[x, x]]\n", GraphValidationError, None, ['missing section "D\'"']),
        ("V: [x]\nD': [y]\n", GraphValidationError, None, ["missing section 'E'"]),
        ("V: []\nD': [y]\nE: []\n", GraphValidationError, 1, ["'V' declares no inputs"]),
        ("V:\nD': [y]\nE: []\n", GraphValidationError, 1, ["'V' declares no inputs"]),
        ("V: [x]\nD': {}\nE: []\n", GraphValidationError, 2, ['section "D\'" declares no outputs']),
        ("V: [x]\nDprime: []\nE: []\n", GraphValidationError, 2, ["'Dprime' declares no"]),
        ("V: [x]\nD': [y]\nDprime: [z]\nE: []\n", GraphValidationError, 3, ["both D' and Dprime"]),
        ("V: [x y]\nD': [y]\nE: []\n", GraphValidationError, 1, ["invalid name 'x y'"]),
        ("- 1\n- 2\n", GraphValidationError, None, ["must be a mapping"]),
        ("", GraphFileError, None, ["empty"]),
        (
            "V: !!python/object/apply:os.system ['echo pwned']\nD': [y]\nE: []\n",
            GraphFileError,
            1,
            ["unsupported YAML tag", "python/object/apply:os.system"],
        ),
        (
            "symbols: {n: 10}\nV: {x: n}\nD: {h: 2*n/3}\nD': [y]\nE: [[x, h], [h, y]]\n",
            SizeError,
            3,
            ["'h'", "2*n/3", "20/3", "n = 10", "not a positive integer"],
        ),
        (
            "symbols: {n: 3}\nV: {x: n}\nD: {h: n+1}\nD': [y]\nE: [[x, h, diag], [h, y]]\n",
            SizeError,
            5,
            ["diag edge [x, h]", "n = 3", "n+1 = 4"],
        ),
        ("V: {x: 2**10**10}\nD': [y]\nE: [[x, y]]\n", SizeError, 1, ["'x'", "exponent"]),
        ("symbols: {n: 0}\nV: {x: 6/n}\nD': [y]\nE: [[x, y]]\n", SizeError, 2, ["division"]),
    ],
)
def test_validation_errors_name_file_line_and_value(
    write_graph: Callable[..., Path],
    text: str,
    kind: type[GraphcostError],
    line: int | None,
    words: list[str],
) -> None:
    error = _error(write_graph, text, kind)
    assert type(error) is kind
    assert error.line == line
    for word in words:
        assert word in error.message
    assert "\n" not in str(error)


def test_cycle_names_its_nodes_in_a_larger_graph(write_graph: Callable[..., Path]) -> None:
    error = _error(
        write_graph,
        """
        V: [x]
        D: [a, b, c, d]
        D': [y]
        E: [[x, a], [a, b], [b, c], [c, d], [d, b], [d, y]]
        """,
        GraphValidationError,
    )
    assert "the graph has a cycle: b -> c -> d -> b" in error.message


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="no such file"):
        load_graph(tmp_path / "absent.yaml")


def test_aliased_collections_are_refused(write_graph: Callable[..., Path]) -> None:
    path = write_graph("V: &b {x: 1}\nD': [y]\nE: [[x, y]]\nat: *b\n")
    with pytest.raises(GraphFileError, match="YAML alias") as caught:
        load_graph(path)
    assert caught.value.line == 1


def test_aliased_scalars_are_fine(write_graph: Callable[..., Path]) -> None:
    graph = load_graph(write_graph("V: [&x x]\nD': [&y y]\nE: [[*x, *y]]\n"))
    assert _edges(graph) == [("x", "y", False)]


def test_billion_laughs_is_refused_at_once(
    write_graph: Callable[..., Path], peak_allocation: Callable[..., int]
) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = write_graph("\n".join(lines) + "\n")
    with pytest.raises(GraphFileError, match="YAML alias"):
        load_graph(path)
    # Expanding the aliases would build 9**10 strings; refusing costs a few hundred kB.
    assert peak_allocation(_refused, path) < 2 * 1024**2


def _refused(path: Path) -> None:
    with pytest.raises(GraphFileError):
        load_graph(path)


def test_recursive_alias_is_refused(write_graph: Callable[..., Path]) -> None:
    with pytest.raises(GraphFileError, match="YAML alias"):
        load_graph(write_graph("a: &a [x, *a]\nV: [x]\n"))


def test_unknown_symbol_in_overrides_lists_the_graph_symbols(
    write_graph: Callable[..., Path],
) -> None:
    graph = load_graph(write_graph(EXERCISE_4B))
    with pytest.raises(SizeError) as caught:
        graph.sizes({"m": 3})
    assert str(caught.value).endswith("unknown symbol 'm' in --set; this graph's symbols are: n")


# -- E: {file: ...} ------------------------------------------------------------------------

EDGE_FILE_GRAPH = """
V: [x1, x2]
D: [a, b]
D': [y]
E: {file: edges.csv}
"""


def test_edge_file_matches_the_inline_edges(
    write_graph: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "edges.csv").write_text(
        "from,to\n# comment\nx1,a\n x2 , a\n\na,b\nx2,b\nb,y\na,y\n", encoding="utf-8"
    )
    from_file = load_graph(write_graph(EDGE_FILE_GRAPH))
    inline = load_graph(write_graph(SMALL, name="inline.yaml"))
    assert _edges(from_file) == _edges(inline)
    assert from_file.edges.line.tolist() == [3, 4, 6, 7, 8, 9]


def test_edge_file_diag_column(write_graph: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("x,z,diag\nz,y\n", encoding="utf-8")
    graph = load_graph(write_graph("V: {x: 3}\nD: {z: 3}\nD': [y]\nE: {file: e.csv}\n"))
    assert _edges(graph) == [("x", "z", True), ("z", "y", False)]


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("x1,a\na;y\n", 2, ["expected 'from,to'", "'a;y'"]),
        ("x1,a\na,y,wavy\n", 2, ["'a,y,wavy'"]),
        ("x1,a\na,y,z,w\n", 2, ["'a,y,z,w'"]),
        ("x1,a\n\na,q\n", 3, ["unknown node 'q'"]),
        ("x1,a\nx1,a\n", 2, ["edge [x1, a] is given twice"]),
        ("x1,a\ny,a\n", 2, ["output 'y' has a successor"]),
    ],
)
def test_edge_file_errors_name_the_edge_file_and_line(
    write_graph: Callable[..., Path],
    tmp_path: Path,
    content: str,
    line: int,
    words: list[str],
) -> None:
    (tmp_path / "edges.csv").write_text(content, encoding="utf-8")
    with pytest.raises(GraphcostError) as caught:
        load_graph(write_graph(EDGE_FILE_GRAPH))
    assert caught.value.line == line
    for word in words:
        assert word in caught.value.message


def test_missing_edge_file(write_graph: Callable[..., Path]) -> None:
    with pytest.raises(GraphFileError, match="edge file not found"):
        load_graph(write_graph(EDGE_FILE_GRAPH))


def test_edge_file_must_be_text(write_graph: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "edges.csv").write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(GraphFileError, match="cannot read the edge file"):
        load_graph(write_graph(EDGE_FILE_GRAPH))


# -- unreachable nodes ---------------------------------------------------------------------


def test_unreachable_and_dead_nodes_are_warned_about() -> None:
    graph = graph_from_dict(
        {
            "V": ["x1", "x2"],
            "D": ["a", "b", "c", "d"],
            "D'": ["y"],
            "E": [["x1", "a"], ["a", "y"], ["b", "a"], ["x2", "c"], ["a", "d"]],
        }
    )
    first, second = unreachable_warnings(graph)
    assert first.startswith("node 'b' reached by no input")
    assert "forward recursion counts no products" in first
    assert second.startswith("nodes 'x2', 'c', 'd' reach no output")
    assert "backward recursion counts no products" in second
    # Each warning is a whole sentence, not one cut off after a pronoun.
    assert first.endswith("still counts its products")
    assert second.endswith("still counts their products")


def test_graph_without_edges_between_blocks_is_legal() -> None:
    graph = graph_from_dict({"V": ["x"], "D'": ["y"], "E": []})
    assert len(graph.edges) == 0
    assert len(unreachable_warnings(graph)) == 2
    assert np.array_equal(np.sort(graph.order), [0, 1])


def _reference_edge_rows(text: str) -> list[tuple[str, str, bool, int]]:
    """The edge-file format read line by line, plainly: (from, to, diag, line)."""
    rows: list[tuple[str, str, bool, int]] = []
    header_seen = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [part.strip() for part in stripped.split(",")]
        if not header_seen and fields[:2] in (["from", "to"], ["source", "target"]):
            header_seen = True
            continue
        header_seen = True
        rows.append((fields[0], fields[1], len(fields) == 3 and fields[2] == "diag", number))
    return rows


_PADDING = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def _edge_files(draw: st.DrawFn) -> str:
    names = [f"n{i}" for i in range(6)]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(3, 5)), unique=True, min_size=1, max_size=9
        )
    )
    # Clean files (one plain from,to per line) take the loader's fast path, others the general.
    clean = draw(st.booleans())
    heads = ["from,to", "source,target"] if clean else ["source, target", "# comment", ""]
    lines = draw(st.lists(st.sampled_from(heads), max_size=1))
    for a, b in pairs:
        kind = "" if clean else draw(st.sampled_from(["", ",full", ",diag", " , diag "]))
        pad = ["" if clean else draw(_PADDING) for _ in range(4)]
        lines.append(f"{pad[0]}{names[a]}{pad[1]},{pad[2]}{names[b]}{pad[3]}{kind}")
        if not clean:
            lines.extend(draw(st.lists(st.sampled_from(["", "# a, b", "  "]), max_size=1)))
    ending = st.sampled_from(["", "\n"] if clean else ["", "\n", "\r\n"])
    separator = "\n" if clean else draw(st.sampled_from(["\n", "\r\n"]))
    return separator.join(lines) + draw(ending)


@settings(max_examples=60, deadline=None)
@given(_edge_files())
def test_edge_file_reader_agrees_with_a_plain_reader(text: str) -> None:
    one = parse_expression(1)
    blocks = [Block(f"n{i}", INPUT if i < 3 else OUTPUT, one) for i in range(6)]
    index = {block.name: i for i, block in enumerate(blocks)}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "edges.csv"
        path.write_text(text, encoding="utf-8")
        edges = read_edge_file(path, index, blocks)
    got = [
        (blocks[a].name, blocks[b].name, bool(d), int(line))
        for a, b, d, line in zip(
            edges.src.tolist(),
            edges.dst.tolist(),
            edges.diag.tolist(),
            edges.line.tolist(),
            strict=True,
        )
    ]
    assert got == _reference_edge_rows(text)


def test_empty_edge_file(write_graph: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "edges.csv").write_text("# nothing yet\n", encoding="utf-8")
    graph = load_graph(write_graph(EDGE_FILE_GRAPH))
    assert len(graph.edges) == 0


def test_size_error_beyond_float_range_shows_the_exact_fraction(
    write_graph: Callable[..., Path],
) -> None:
    graph = load_graph(write_graph(EXERCISE_4B))
    with pytest.raises(SizeError) as caught:
        graph.sizes({"n": 10**400})
    assert f"is {2 * 10**400}/3 at n = {10**400}, not a positive integer" in caught.value.message


def test_an_edge_file_that_is_a_device_is_refused(write_graph: Callable[..., Path]) -> None:
    path = write_graph("V: [x]\nD': [y]\nE: {file: /dev/zero}\n")
    with pytest.raises(GraphFileError, match="is a device, not a file"):
        load_graph(path)


# -- hostile files (issue 9): refused before opening, bounded, never quoted from outside ----


def test_a_fifo_graph_file_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(GraphFileError, match=r"is a named pipe \(FIFO\), not a file"):
        load_graph(tmp_path / "pipe.yaml")


def test_a_fifo_edge_file_is_refused_without_blocking(write_graph: Callable[..., Path]) -> None:
    path = write_graph("V: [x]\nD': [y]\nE: {file: pipe}\n")
    os.mkfifo(path.parent / "pipe")
    with pytest.raises(GraphFileError, match="named pipe"):
        load_graph(path)


def test_a_large_yaml_graph_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("V: [x]\nD': [y]\nE: [[x, y]]\n" + "#" * MAX_GRAPH_FILE_BYTES, "utf-8")
    with pytest.raises(GraphFileError, match=r"E: \{file: edges.csv\}"):
        load_graph(path)


def test_an_edge_file_outside_the_graph_folder_is_not_quoted(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x,s3cr3t\nroot:x:0:0\n", encoding="utf-8")
    (tmp_path / "graphs").mkdir()
    path = tmp_path / "graphs" / "graph.yaml"
    path.write_text("V: [x]\nD': [y]\nE: {file: ../secret.txt}\n", encoding="utf-8")
    with pytest.raises(GraphcostError) as caught:
        load_graph(path)
    assert "s3cr3t" not in str(caught.value)
    assert "not quoted" in str(caught.value)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("ｘ", "'x'"), ("ﬁ", "'fi'"), ("x\x1b[31m", "control character"), ("a\u200b", "invisible")],
)
def test_names_that_do_not_read_as_written_are_refused(name: str, fragment: str) -> None:
    with pytest.raises(GraphValidationError, match=re.escape(fragment)):
        graph_from_dict({"V": ["x", name], "D'": ["y"], "E": [["x", "y"]]})


def test_a_huge_symbol_default_is_refused_naming_its_size() -> None:
    with pytest.raises(GraphValidationError, match="an integer of 90,000 digits"):
        graph_from_dict({"symbols": {"n": 10**89_999}, "V": {"x": "n"}, "D'": ["y"], "E": []})


def test_a_long_non_string_name_is_abbreviated() -> None:
    with pytest.raises(GraphValidationError) as caught:
        graph_from_dict({"V": ["x", ["a"] * 5000], "D'": ["y"], "E": []})
    assert len(str(caught.value)) < 200
