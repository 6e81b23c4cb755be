"""Shared fixtures: paths to the shipped graphs, a CLI runner, a graph-file writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ROOT / "graphs"


@pytest.fixture
def graphs_dir() -> Path:
    """The repository's graphs/ directory (example graphs that are also test data)."""
    return GRAPHS


@pytest.fixture
def runner() -> CliRunner:
    """A click CliRunner (stdout and stderr kept apart)."""
    return CliRunner()


@pytest.fixture
def write_graph(tmp_path: Path) -> Callable[..., Path]:
    """Write a graph file from (dedented) YAML text and return its path."""

    def write(text: str, name: str = "graph.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
