"""Where a command's graph comes from: a FILE argument or ``--layers SIZES`` (exactly one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from graphcost.cli.base import load
from graphcost.cli.programs import program_options
from graphcost.errors import UsageError


def graph_source(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add an optional ``FILE`` argument, ``--layers SIZES`` and ``--wrt NAMES`` to a command."""
    function = click.option(
        "--wrt",
        "wrt",
        metavar="NAMES",
        default=None,
        help="Differentiate with respect to these inputs only (comma-separated; default: all "
        "inputs). The other inputs and every block they alone reach are constants and drop out "
        "of the counts. With --layers: affine layers with weights W1, b1, … as inputs; "
        "'params' names them all (--layers 784,300,100,10 --wrt params), and on a file the "
        "weight and bias inputs of its layer ops.",
    )(function)
    function = click.option(
        "--layers",
        "layers",
        metavar="SIZES",
        default=None,
        help="Instead of FILE: a fully connected layered graph with these layer sizes, first "
        "the inputs, last the outputs (784,300,100,10; sizes may use symbols: 'n,2*n/3,n/3,1').",
    )(function)
    function = program_options(function)
    return click.argument("file", metavar="[FILE]", required=False)(function)


def graph_from(file: str | None, layers: str | None, wrt: str | None = None) -> Any:
    """Load ``file`` or build the ``--layers`` graph; with ``wrt``, the part it differentiates.

    ``wrt`` is the ``--wrt`` text: input names, comma-separated (see
    :func:`graphcost.graph.wrt.with_respect_to`). With ``--layers`` it builds the graph with
    weights and biases as inputs (:func:`graphcost.graph.layers.parameter_graph`), where
    ``params`` stands for all of them. Outputs that the chosen inputs do not reach are dropped
    with a warning.

    Raises
    ------
    UsageError
        When both or neither are given, or ``wrt`` names no input, an unknown one, or one that
        is not an input.
    """
    from graphcost.cli.programs import is_program

    if is_program(file) and layers is None:
        return load(file, wrt)  # type: ignore[arg-type]  # the importer applies --wrt
    graph = _graph_from(file, layers, wrt is not None)
    if wrt is None:
        return graph
    from graphcost.graph.layers import PARAMS, parameter_names
    from graphcost.graph.wrt import split_names, with_respect_to

    names: list[str] = []
    for name in split_names(wrt):
        if name == PARAMS and layers is not None:
            names += parameter_names(graph)
        elif name == PARAMS and PARAMS not in graph.index and weight_inputs(graph):
            names += weight_inputs(graph)
        elif name == PARAMS and PARAMS not in graph.index:
            inputs = ", ".join(graph.blocks[i].name for i in graph.blocks_with_role("V"))
            raise UsageError(
                "--wrt params names the weights and biases of a --layers graph, or the weight "
                "and bias inputs of a graph file's layer ops (it has none)",
                fix=f"name this graph's inputs instead: {inputs}",
            )
        else:
            names.append(name)
    counted = with_respect_to(graph, names)
    dropped = counted.extra["wrt"].dropped_outputs
    if dropped:
        from graphcost.cli.base import warn

        shown = ", ".join(repr(name) for name in dropped)
        plural = "s" if len(dropped) > 1 else ""
        warn(
            f"--wrt: output{plural} {shown} depend{'' if plural else 's'} on none of "
            f"{', '.join(names)}: {'their' if plural else 'its'} derivatives are zero, "
            "dropped from the counts"
        )
    return counted


def weight_inputs(graph: Any) -> list[str]:
    """The weight and bias inputs of a graph file's layer ops (:mod:`graphcost.graph.weights`)."""
    bound: set[int] = set()
    for definition in (graph.definitions or {}).values():
        bound.update(w for w in (*definition.weights, definition.bias) if w is not None)
    return [graph.blocks[b].name for b in sorted(bound)]


def _graph_from(file: str | None, layers: str | None, parameters: bool) -> Any:
    if (file is None) == (layers is None):
        raise UsageError(
            "give a graph FILE or --layers SIZES (exactly one of them)",
            fix="e.g. graphs/exercise-4b.yaml, or --layers 784,300,100,10",
        )
    if layers is not None:
        from graphcost.graph.layers import layered_graph, parameter_graph, parse_layers

        build = parameter_graph if parameters else layered_graph
        return build(parse_layers(layers))
    return load(file)  # type: ignore[arg-type]
