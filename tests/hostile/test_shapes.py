"""Hostile shapes and index signatures (issue 11): every case is one clean ``Error:`` line that
names the file, the line, what is wrong and how to fix it, quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost

QUICK = 20.0
HEAD = "symbols: {n: 3, m: 4}\n"
#: name: (graph file text, fragments the error line must hold)
CASES: dict[str, tuple[str, list[str]]] = {
    "malformed signature": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 'ik-i']]\n",
        ["graph.yaml:4", "unknown kind", "signature such as"],
    ),
    "upper-case letters": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 'IK->I']]\n",
        ["graph.yaml:4", "not an index signature"],
    ),
    "repeated letter": (
        HEAD + "V: {W: [n, n]}\nD': {h: n}\nE: [[W, h, 'ii->i']]\n",
        ["graph.yaml:4", "repeats"],
    ),
    "too few source letters": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 'i->i']]\n",
        ["graph.yaml:4", "1 letters for the source", "2 dimensions"],
    ),
    "too many target letters": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 'ik->ik']]\n",
        ["graph.yaml:4", "for the target", "1 dimensions"],
    ),
    "paired sizes differ": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 'ki->i']]\n",
        ["graph.yaml:4", "pairs dimension 2 of W (m = 4) with dimension 1 of h (n = 3)"],
    ),
    "diag between ranks": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, diag]]\n",
        ["graph.yaml:4", "diag edge joins blocks of 2 and 1 dimensions"],
    ),
    "diag between shapes": (
        HEAD + "V: {W: [n, m]}\nD': {H: [m, n]}\nE: [[W, H, diag]]\n",
        ["graph.yaml:4", "pairs dimension 1 of W (n = 3) with dimension 1 of H (m = 4)"],
    ),
    "huge rank": (
        HEAD + "V: {W: [1, 1, 1, 1, 1, 1, 1, 1, 1]}\nD': {h: 1}\nE: [[W, h]]\n",
        ["graph.yaml:2", "9 dimensions (at most 8)"],
    ),
    "zero dimension": (
        HEAD + "V: {W: [n, 0]}\nD': {h: n}\nE: [[W, h]]\n",
        ["graph.yaml:2", "dimension 2 of block 'W' is 0"],
    ),
    "dimension not a number": (
        HEAD + "V: {W: [n, [m]]}\nD': {h: n}\nE: [[W, h]]\n",
        ["graph.yaml:2", "dimension 2 of block 'W' must be a positive integer"],
    ),
    "dimension a fraction at the values": (
        HEAD + "V: {W: [n, m/3]}\nD': {h: n}\nE: [[W, h]]\n",
        ["graph.yaml:2", "dimension 2 of block 'W' (m/3)", "not a positive integer"],
    ),
    "signature not a string": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, 7]]\n",
        ["graph.yaml:4", "unknown kind 7"],
    ),
    "very long signature": (
        HEAD + "V: {W: [n, m]}\nD': {h: n}\nE: [[W, h, '" + "a" * 5000 + "->a']]\n",
        ["graph.yaml:4"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_shape_or_signature(tmp_path: Path, name: str) -> None:
    text, fragments = CASES[name]
    (tmp_path / "graph.yaml").write_text(text, encoding="utf-8")
    outcome = run_graphcost(["analyze", "graph.yaml"], cwd=tmp_path, timeout=QUICK)
    line = assert_clean_error(outcome, contains=fragments)
    assert len(line) < 600, line


def test_a_bad_signature_in_an_edge_file(tmp_path: Path) -> None:
    (tmp_path / "edges.csv").write_text("W,h,ik->i\nx,h\nW,h2,ii->i\n", encoding="utf-8")
    (tmp_path / "graph.yaml").write_text(
        HEAD + "V: {W: [n, m], x: m}\nD: {h: n}\nD': {h2: n}\nE: {file: edges.csv}\n",
        encoding="utf-8",
    )
    outcome = run_graphcost(["analyze", "graph.yaml"], cwd=tmp_path, timeout=QUICK)
    assert_clean_error(outcome, contains=["edges.csv:3", "repeats"])
