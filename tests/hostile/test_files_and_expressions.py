"""Hostile files, YAML, names and expressions: every case is a clean one-line error, quickly.

Covers the files a user names (graph file, ``E: {file: ...}`` edge file, ``--params`` .npz,
``order:PATH``): FIFOs, devices, sockets, folders and link loops are refused before opening;
oversized YAML is refused before it is composed; edge files outside the graph's folder are
never quoted; names that Unicode normalisation or control characters would change, and
numbers beyond a float's range, are refused naming the value (abbreviated) and the line.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

#: A graph whose nodes are declared and whose edges come from ``edges`` (relative path).
EDGE_GRAPH = "V: [x]\nD: [a]\nD': [y]\nE: {{file: {edges}}}\n"
NODE_GRAPH = "V: [x, w]\nD: [v]\nD': [y]\ng: {v: x * w, y: sin(v)}\n"
SECRET = "hunter2-top-secret"
#: Seconds a refusal may take (each is well under one second of own work).
QUICK = 20.0


@dataclass
class Case:
    """A hostile input: ``build(tmp_path)`` writes the files and returns the arguments."""

    build: Callable[[Path], list[str]]
    contains: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _graph(text: str, name: str = "graph.yaml") -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        (folder / name).write_text(text, encoding="utf-8")
        return ["analyze", name]

    return build


def _raw_graph(data: bytes) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        (folder / "graph.yaml").write_bytes(data)
        return ["analyze", "graph.yaml"]

    return build


def _edges(make: Callable[[Path], str], command: str = "analyze") -> Callable[[Path], list[str]]:
    """A graph whose edge file is what ``make(folder)`` creates (it returns the E: path)."""

    def build(folder: Path) -> list[str]:
        (folder / "graph.yaml").write_text(EDGE_GRAPH.format(edges=make(folder)), "utf-8")
        return [command, "graph.yaml"]

    return build


def _fifo(folder: Path, name: str = "pipe") -> str:
    os.mkfifo(folder / name)
    return name


def _secret_outside(folder: Path) -> str:
    """A secret file in a sibling folder, named by a relative path through '..'."""
    outside = folder / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    graphs = folder / "graphs"
    graphs.mkdir()
    return "graphs"


def _leak_relative(folder: Path) -> list[str]:
    _secret_outside(folder)
    (folder / "graphs" / "graph.yaml").write_text(
        EDGE_GRAPH.format(edges="../private/secret.txt"), "utf-8"
    )
    return ["analyze", "graphs/graph.yaml"]


def _leak_unknown_node(folder: Path) -> list[str]:
    _secret_outside(folder)
    (folder / "private" / "secret.txt").write_text(f"x,{SECRET}\n", encoding="utf-8")
    (folder / "graphs" / "graph.yaml").write_text(
        EDGE_GRAPH.format(edges="../private/secret.txt"), "utf-8"
    )
    return ["analyze", "graphs/graph.yaml"]


def _leak_symlink(folder: Path) -> list[str]:
    _secret_outside(folder)
    (folder / "graphs" / "edges.csv").symlink_to(folder / "private" / "secret.txt")
    (folder / "graphs" / "graph.yaml").write_text(EDGE_GRAPH.format(edges="edges.csv"), "utf-8")
    return ["analyze", "graphs/graph.yaml"]


def _params(make: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        (folder / "graph.yaml").write_text(NODE_GRAPH, encoding="utf-8")
        return ["check", "graph.yaml", "--params", make(folder)]

    return build


def _order(make: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        (folder / "graph.yaml").write_text("V: [x]\nD: [a]\nD': [y]\nE: [[x, a], [a, y]]\n")
        return ["analyze", "graph.yaml", "--strategy", f"order:{make(folder)}"]

    return build


def _socket(folder: Path) -> list[str]:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "s.yaml"))  # kept bound while the case runs
    _SOCKETS.append(server)
    return ["analyze", "s.yaml"]


_SOCKETS: list[socket.socket] = []


@pytest.fixture(autouse=True, scope="module")
def _close_sockets() -> Iterator[None]:
    """Close the sockets the cases bound once the module is done (no ResourceWarning)."""
    yield
    while _SOCKETS:
        _SOCKETS.pop().close()


def _loop(folder: Path) -> list[str]:
    (folder / "a.yaml").symlink_to("b.yaml")
    (folder / "b.yaml").symlink_to("a.yaml")
    return ["analyze", "a.yaml"]


def _sparse(folder: Path, name: str, size: int) -> str:
    with open(folder / name, "wb") as file:
        file.truncate(size)  # sparse: the size is refused before any byte is read
    return name


def _npy(folder: Path) -> str:
    np.save(folder / "one.npy", np.zeros(3))
    return "one.npy"


def _text_npz(folder: Path) -> str:
    (folder / "w.npz").write_text(f"{SECRET}\n", encoding="utf-8")
    return "w.npz"


def _big_yaml_edges() -> str:
    names = [f"v{i}" for i in range(400_000)]  # over 8 MiB of YAML
    edges = "".join(f"  - [{a}, {b}]\n" for a, b in itertools.pairwise(names))
    return f"V: [v0]\nD: [{', '.join(names[1:-1])}]\nD': [{names[-1]}]\nE:\n{edges}"


LONG_LIST = "[" + ", ".join(["a"] * 5_000) + "]"
DIGITS = "9" * 90_000

CASES: dict[str, Case] = {
    # -- non-regular files: refused before opening, never a hang ------------------------------
    "graph file is a FIFO": Case(lambda f: ["analyze", _fifo(f)], ["named pipe (FIFO)"]),
    "edge file is a FIFO": Case(_edges(_fifo), ["pipe: is a named pipe (FIFO), not a file"]),
    "--params is a FIFO": Case(_params(lambda f: _fifo(f, "w.npz")), ["w.npz: is a named pipe"]),
    "order file is a FIFO": Case(_order(_fifo), ["pipe: is a named pipe (FIFO)"]),
    "check: edge file is a FIFO": Case(_edges(_fifo, "check"), ["named pipe"]),
    "graph file is a folder": Case(lambda f: ["analyze", "."], ["is a folder, not a file"]),
    "edge file is a folder": Case(_edges(lambda f: "."), ["is a folder, not a file"]),
    "edge file is /dev/zero": Case(_edges(lambda f: "/dev/zero"), ["is a device, not a file"]),
    "edge file is /dev/stdin": Case(_edges(lambda f: "/dev/stdin"), ["not a file"]),
    "graph file is a socket": Case(_socket, ["is a socket, not a file"]),
    "graph file is a link loop": Case(_loop, ["symbolic links"]),
    "edge file is a link loop": Case(
        _edges(lambda f: (_loop(f), "a.yaml")[1]), ["too many levels of symbolic links"]
    ),
    "--params is a folder": Case(_params(lambda f: "."), ["is a directory"]),
    "order file is a folder": Case(_order(lambda f: "."), ["is a folder"]),
    "missing edge file named with a newline": Case(
        _edges(lambda f: '"e\\nvil.csv"'), ["'", "e\\nvil.csv", "edge file not found"]
    ),
    # -- size bounds --------------------------------------------------------------------------
    "YAML edge list of 1.7 MB": Case(
        _graph(_big_yaml_edges()), ["more than the 8,388,608", "E: {file: edges.csv}"]
    ),
    "edge file of 65 MiB, not plain lines": Case(
        _edges(lambda f: _sparse(f, "e.csv", 65 << 20)), ["not plain 'from,to' lines", "64 MB"]
    ),
    "edge file of 1 GiB + 1 byte": Case(
        _edges(lambda f: _sparse(f, "e.csv", (1 << 30) + 1)), ["more than the 1,073,741,824"]
    ),
    "order file of 17 MiB": Case(_order(lambda f: _sparse(f, "o.txt", 17 << 20)), ["order file"]),
    # -- no content from outside the graph's folder -------------------------------------------
    "edge file /etc/passwd": Case(
        _edges(lambda f: "/etc/passwd"),
        ["not quoted", "outside the graph file's folder"],
        ["root:"],
    ),
    "edge file ../../etc/hostname": Case(
        _edges(lambda f: os.path.relpath("/etc/hostname", f)),
        ["etc/hostname"],
        [Path("/etc/hostname").read_text().strip() or "\0"],
    ),
    "edge file /proc/self/environ": Case(
        _edges(lambda f: "/proc/self/environ"), ["not quoted"], [SECRET], {"GC_SECRET": SECRET}
    ),
    "edge file ../private/secret.txt": Case(_leak_relative, ["not quoted"], [SECRET]),
    "unknown node in an outside edge file": Case(
        _leak_unknown_node, ["not declared", "not quoted"], [SECRET]
    ),
    "edge file symlinked to a secret": Case(_leak_symlink, ["not quoted"], [SECRET]),
    "--params is a text file": Case(_params(_text_npz), ["cannot read parameter file"], [SECRET]),
    "--params is an .npy array": Case(_params(_npy), ["one array (.npy)"]),
    # -- encodings ----------------------------------------------------------------------------
    "graph file in UTF-16": Case(
        _raw_graph("V: [x]\nD': [y]\nE: [[x, y]]\n".encode("utf-16")), ["UTF-16", "UTF-8"]
    ),
    "graph file in Latin-1": Case(
        _raw_graph("V: [caf\xe9]\nD': [y]\nE: [[café, y]]\n".encode("latin-1")),
        ["graph.yaml:1: cannot read the graph file: byte 0xe9 is not UTF-8"],
    ),
    "edge file not UTF-8": Case(
        _edges(lambda f: ((f / "e.csv").write_bytes(b"x,a\na,y\n\xff\xfe,y\n"), "e.csv")[1]),
        ["e.csv:3: cannot read the edge file"],
    ),
    "graph file with a NUL byte": Case(_raw_graph(b"V: [x\0]\nD': [y]\n"), ["malformed YAML"]),
    "empty graph file": Case(_raw_graph(b""), ["the file is empty"]),
    "whitespace-only graph file": Case(_raw_graph(b" \n\n   \r\n"), ["the file is empty"]),
    "edge file line of a megabyte": Case(
        _edges(lambda f: ((f / "e.csv").write_text("x,a\n" + "q" * 2**20 + ",y\n"), "e.csv")[1]),
        ["e.csv:2", "unknown node 'qqqq"],
    ),
    # -- names --------------------------------------------------------------------------------
    "node name a 5,000-item list": Case(
        _graph(f"V: [x, {LONG_LIST}]\nD': [y]\nE: []\n"), ["is not a string"]
    ),
    "node name of 20,000 characters": Case(
        _graph(f"V: [x, '{'x y' * 7000}']\nD': [y]\nE: []\n"), ["invalid name 'x yx y"]
    ),
    "full-width x beside x": Case(
        _graph("V: [x]\nD: [ｘ]\nD': [y]\ng: {ｘ: x * 2, y: ｘ * x}\n"),
        ["graph.yaml:2:", "'ｘ'", "'x'", "NFKC"],
    ),
    "full-width x only in g": Case(
        _graph("V: [x]\nD': [y]\ng: {y: ｘ * x}\n"), ["graph.yaml:3:", "'ｘ'", "'x'"]
    ),
    "ligature name": Case(_graph("V: [ﬁ]\nD': [y]\nE: [[ﬁ, y]]\n"), ["'ﬁ'", "'fi'"]),
    "name with an ANSI escape": Case(
        _graph('V: ["x\\e[31m"]\nD\': [y]\nE: []\n'), ["\\x1b[31m", "control character"]
    ),
    "name with a zero-width space": Case(
        _graph('V: [x, "x\\u200b"]\nD\': [y]\nE: []\n'), ["\\u200b"]
    ),
    "name with a newline": Case(_graph('V: ["a\\nb"]\nD\': [y]\nE: []\n'), ["'a\\nb'"]),
    "symbol name ending in a newline": Case(
        _graph('symbols: {"n\\n": 3}\nV: {x: 1}\nD\': [y]\nE: [[x, y]]\n'), ["not an identifier"]
    ),
    # -- numbers ------------------------------------------------------------------------------
    "1e999 in g": Case(_graph("V: [x]\nD': [y]\ng: {y: x * 1e999}\n"), [":3:", "1e999", "float"]),
    "huge integer in g": Case(
        _graph(f"V: [x]\nD': [y]\ng: {{y: x * {'9' * 5000}}}\n"), [":3:", "5,000 characters"]
    ),
    "10**400 in g": Case(_graph("V: [x]\nD': [y]\ng: {y: x * 10**400}\n"), ["10 ** 400", "float"]),
    "1e308 * 10 in g": Case(_graph("V: [x]\nD': [y]\ng: {y: x * (1e308 * 10)}\n"), ["float"]),
    "symbol default of 90,000 digits": Case(
        _graph(f"symbols: {{n: {DIGITS}}}\nV: {{x: n}}\nD': {{y: n}}\ng: {{y: 2*x}}\n"),
        ["graph.yaml:1:", "an integer of 90,000 digits", "too large"],
    ),
    "size 2**10**10": Case(_graph("V: {x: 2**10**10}\nD': [y]\nE: [[x, y]]\n"), ["too large"]),
    "tab-indented graph file": Case(_raw_graph(b"V: [x]\n\tD': [y]\n"), ["malformed YAML"]),
}


@pytest.mark.parametrize("command", ["check", "trace"])  # analyze: in CASES
@pytest.mark.parametrize(
    "name", ["1e999 in g", "huge integer in g", "10**400 in g", "symbol default of 90,000 digits"]
)
def test_huge_numbers_are_clean_in_every_command(tmp_path: Path, name: str, command: str) -> None:
    args = CASES[name].build(tmp_path)
    outcome = run_graphcost([command, *args[1:]], cwd=tmp_path, timeout=QUICK)
    assert_clean_error(outcome, contains=CASES[name].contains)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_or_expression(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    args = case.build(tmp_path)
    outcome = run_graphcost(args, cwd=tmp_path, env=case.env, timeout=QUICK)
    line = assert_clean_error(outcome, contains=case.contains)
    assert len(line) < 600, line  # quoted values are abbreviated
    for secret in case.absent:
        assert secret not in outcome.stderr, outcome.stderr


def test_a_fifo_does_not_block_even_with_a_writer_waiting(tmp_path: Path) -> None:
    """A FIFO that a writer has opened is still refused (the size check happens after fstat)."""
    _fifo(tmp_path)
    writer = os.open(tmp_path / "pipe", os.O_RDWR | os.O_NONBLOCK)  # keeps the pipe open
    try:
        outcome = run_graphcost(["analyze", "pipe"], cwd=tmp_path, timeout=QUICK)
    finally:
        os.close(writer)
    assert_clean_error(outcome, contains=["named pipe (FIFO)"])


def test_shipped_graphs_are_far_below_the_yaml_limit() -> None:
    from graphcost.graph.loader import MAX_GRAPH_FILE_BYTES

    root = Path(__file__).resolve().parents[2] / "graphs"
    sizes = [path.stat().st_size for path in root.rglob("*.yaml")]
    assert sizes
    assert max(sizes) * 20 < MAX_GRAPH_FILE_BYTES
