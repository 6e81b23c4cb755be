"""The fast paths of loading at 10^6 nodes against the plain ones they stand in for.

:mod:`graphcost.graph.nametable` is checked against a dict lookup; the edge file's table path,
the YAML reader's long lists and the declarations' bulk check against the same files read
with those paths switched off (every value, line and message equal).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphcost.errors import GraphFileError, GraphValidationError
from graphcost.graph import edgefile, yamlfile
from graphcost.graph.loader import load_graph
from graphcost.graph.nametable import name_table

NAME = st.text(alphabet=st.sampled_from("ab_z09é\x00\u2603XY"), min_size=1, max_size=40).filter(
    lambda name: "\x00" not in name
)


def fields_of(fields: list[str]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The fields joined by commas, with where each starts and ends in the bytes."""
    encoded = [field.encode("utf-8") for field in fields]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    starts = np.cumsum(lengths + 1) - lengths - 1
    return b",".join(encoded), starts, starts + lengths


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(NAME, min_size=1, max_size=60, unique=True),
    others=st.lists(st.text(alphabet="ab_z0é\x00", min_size=1, max_size=12), max_size=5),
    picks=st.lists(st.integers(0, 10**6), max_size=80),
)
def test_lookup_is_a_dict_lookup(names: list[str], others: list[str], picks: list[int]) -> None:
    index = {name: 7 * i + 3 for i, name in enumerate(names)}
    table = name_table(index)
    if max(len(n.encode()) for n in names) > 32:
        assert table is None  # long names: the dict path
        return
    assert table is not None
    pool = names + others
    fields = [pool[p % len(pool)] for p in picks]
    data, starts, ends = fields_of(fields)
    found = table.lookup(data, starts, ends)
    if all(field in index for field in fields):
        assert found is not None
        assert found.tolist() == [index[field] for field in fields]
    else:
        assert found is None


def test_prefixes_and_extensions_resolve_exactly() -> None:
    names = [f"n{i}" for i in range(5000)] + [f"n{i}x" for i in range(5000)]
    table = name_table({name: i for i, name in enumerate(names)})
    assert table is not None
    data, starts, ends = fields_of(names[::-1])
    assert table.lookup(data, starts, ends).tolist() == list(range(len(names)))[::-1]
    data, starts, ends = fields_of(["n1", "n5000x"])  # not declared
    assert table.lookup(data, starts, ends) is None


def write_graph(folder: Path, nodes: int, edges: list[str], *, header: bool = False) -> Path:
    names = [f"v{i}" for i in range(nodes)]
    (folder / "edges.csv").write_text(
        ("from,to\n" if header else "") + "\n".join(edges) + "\n", encoding="utf-8"
    )
    graph = folder / "graph.yaml"
    graph.write_text(
        f"name: g\nV: [{', '.join(names[:10])}]\nD: [{', '.join(names[10:-10])}]\n"
        f"D': [{', '.join(names[-10:])}]\nE: {{file: edges.csv}}\n",
        encoding="utf-8",
    )
    return graph


def chain_edges(nodes: int) -> list[str]:
    rng = np.random.default_rng(3)
    edges = {f"v{rng.integers(0, 10)},v{j}" for j in range(10, nodes - 10)}
    for j in range(11, nodes):
        for i in rng.choice(np.arange(max(10, j - 30), min(j, nodes - 10)), 3, replace=True):
            edges.add(f"v{i},v{j}")
    return sorted(edges)


def load_both(monkeypatch: pytest.MonkeyPatch, graph: Path):
    """The graph read with the fast paths, then with all of them off (or the errors)."""

    def read():
        try:
            return load_graph(graph)
        except (GraphFileError, GraphValidationError) as error:
            return str(error)

    fast = read()
    monkeypatch.setattr(edgefile, "_TABLE_EDGES", 10**12)
    monkeypatch.setattr(yamlfile, "LONG_LIST_CHARS", 10**12)
    monkeypatch.setattr("graphcost.graph.declarations._plain_nodes", lambda *args: None)
    return fast, read()


@pytest.mark.parametrize("header", [False, True])
def test_fast_loading_is_the_plain_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: bool
) -> None:
    graph = write_graph(tmp_path, 3000, chain_edges(3000), header=header)
    fast, plain = load_both(monkeypatch, graph)
    assert not isinstance(fast, str)
    for field in ("src", "dst", "diag", "line"):
        assert np.array_equal(getattr(fast.edges, field), getattr(plain.edges, field))
    assert fast.blocks == plain.blocks
    assert np.array_equal(fast.level, plain.level)
    assert fast.blocks[500].line == 3  # the D list's line


@pytest.mark.parametrize(
    "change",
    [
        "unknown name",
        "repeated edge",
        "spaces",
        "crlf",
        "repeated node",
        "invalid node",
        "reserved word",
        "quoted node",
        "not at the top",
    ],
)
def test_fast_loading_fails_as_the_plain_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    edges = chain_edges(3000)
    if change == "unknown name":
        edges[1500] = "v12,w99"
    elif change == "repeated edge":
        edges[2500] = edges[7]
    elif change == "spaces":
        edges[1200] = edges[1200].replace(",", ", ")
    elif change == "crlf":
        edges[900] += "\r"
    graph = write_graph(tmp_path, 3000, edges)
    text = graph.read_text(encoding="utf-8")
    if change == "repeated node":
        text = text.replace(", v2000,", ", v1999,")
    elif change == "invalid node":
        text = text.replace(", v2000,", ", v2:000,")
    elif change == "reserved word":
        text = text.replace(", v2000,", ", No,")
    elif change == "quoted node":
        text = text.replace(", v2000,", ", 'v2000',")
    elif change == "not at the top":
        text = text.replace("\nD: [", "\nother:\n  D: [")
    graph.write_text(text, encoding="utf-8")
    fast, plain = load_both(monkeypatch, graph)
    if change in ("spaces", "crlf", "quoted node"):  # readable all the same
        assert not isinstance(fast, str)
        assert np.array_equal(fast.edges.src, plain.edges.src)
        assert fast.blocks == plain.blocks
    else:
        assert isinstance(fast, str)
        assert fast == plain
