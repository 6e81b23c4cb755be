"""Where a command's graph comes from: a FILE argument or ``--layers SIZES`` (exactly one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from graphcost.cli.base import load
from graphcost.errors import UsageError


def graph_source(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add an optional ``FILE`` argument and ``--layers SIZES`` to a command."""
    function = click.option(
        "--layers",
        "layers",
        metavar="SIZES",
        default=None,
        help="Instead of FILE: a fully connected layered graph with these layer sizes, first "
        "the inputs, last the outputs (784,300,100,10; sizes may use symbols: 'n,2*n/3,n/3,1').",
    )(function)
    return click.argument("file", metavar="[FILE]", required=False)(function)


def graph_from(file: str | None, layers: str | None) -> Any:
    """Load ``file`` or build the ``--layers`` graph.

    Raises
    ------
    UsageError
        When both or neither are given.
    """
    if (file is None) == (layers is None):
        raise UsageError(
            "give a graph FILE or --layers SIZES (exactly one of them)",
            fix="e.g. graphs/exercise-4b.yaml, or --layers 784,300,100,10",
        )
    if layers is not None:
        from graphcost.graph.layers import layered_graph, parse_layers

        return layered_graph(parse_layers(layers))
    return load(file)  # type: ignore[arg-type]
