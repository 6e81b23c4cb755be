"""``graphcost import jax|onnx``: a program → a graph file (YAML) that every command reads."""

from __future__ import annotations

from typing import Any

import click

from graphcost.cli.base import cli, parse_assignments, set_option, warn


@cli.group("import")
def import_group() -> None:
    """Import a program (a JAX function, an ONNX model) as a graph file.

    One vertex per equation (JAX) or node (ONNX), each edge with the index structure of its
    Jacobian block. Every command also takes the program directly in place of FILE:
    jax:MODULE:FUNCTION with --arg specs, or a .onnx file.

    \b
    Examples:
      graphcost import jax mymodel:loss --arg 'f32[784]' --arg 'f32[10,784]' -o loss.yaml
      graphcost import onnx model.onnx --wrt params -o model.yaml
      graphcost analyze jax:mymodel:loss --arg 'f32[n]' --arg 'f32[10,n]' --set n=784
    """


def _emit(data: dict[str, Any], output: str | None) -> None:
    import yaml

    from graphcost.report.writers import write_atomic

    header = (
        "# Written by graphcost import: one vertex per equation (JAX) or node (ONNX).\n"
        "# Edit freely, or import again.\n"
    )
    text = header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    if output and output != "-":
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def _say(data: dict[str, Any]) -> None:
    upper = data.get("upper_bounds") or []
    if upper:
        warn(
            f"{len(upper)} edge{'s' if len(upper) > 1 else ''} held as full (no offset "
            f"signatures yet: {', '.join(upper[:3])}{', …' if len(upper) > 3 else ''}): "
            "counts of this graph are upper bounds"
        )
    if "Unrolled" in data.get("description", ""):
        warn("control flow unrolled at the example point: the graph holds only there")


_OUTPUT = click.option(
    "--output",
    "-o",
    default=None,
    metavar="FILE",
    help="Write the graph file here (atomically; - or none: stdout).",
)
_WRT = click.option(
    "--wrt",
    default=None,
    metavar="NAMES",
    help="Differentiate with respect to these inputs only (comma-separated; default all).",
)


@import_group.command("jax")
@click.argument("target", metavar="MODULE:FUNCTION")
@click.option(
    "--arg",
    "args",
    multiple=True,
    metavar="SPEC",
    required=True,
    help="One example argument per --arg: a dtype and a shape, e.g. 'f32[n,3]' (n a size "
    "symbol), 'f64[]' (a scalar), 'i32[5]'.",
)
@click.option(
    "--unroll",
    is_flag=True,
    help="Unroll scan/cond/while at the example point (the graph then holds only there) "
    "instead of refusing them.",
)
@_WRT
@set_option
@_OUTPUT
def import_jax(
    target: str,
    args: tuple[str, ...],
    unroll: bool,
    wrt: str | None,
    assignments: tuple[str, ...],
    output: str | None,
) -> None:
    """Trace the JAX function MODULE:FUNCTION and write its graph.

    MODULE is a module name (found from the current folder first) or a path to a .py file.
    The function is traced with jax.make_jaxpr at example arguments of the given shapes (random
    normal floats, seed 0, or symbolic shapes when a dimension is a symbol). Needs the jax
    extra: pip install '.[jax]'.

    \b
    Examples:
      graphcost import jax mymodel:loss --arg 'f32[4]' --arg 'f32[3,4]'
      graphcost import jax path/to/model.py:predict --arg 'f32[n,3]' --set n=100 -o p.yaml
      graphcost import jax mymodel:loss --arg 'f32[4]' --arg 'f32[3,4]' --wrt W
    """
    from graphcost.cli.programs import JAX_PREFIX, import_program

    data = import_program(
        JAX_PREFIX + target,
        wrt=wrt,
        args=args,
        unroll=unroll,
        symbols=parse_assignments(assignments),
    )
    _say(data)
    _emit(data, output)


@import_group.command("onnx")
@click.argument("model", metavar="MODEL.onnx")
@_WRT
@_OUTPUT
def import_onnx(model: str, wrt: str | None, output: str | None) -> None:
    """Read the ONNX model MODEL.onnx and write its graph.

    Shapes come from ONNX shape inference. By default the model's inputs are the graph's
    inputs and its initializers (weights) constants; --wrt params makes the float
    initializers inputs too. Needs the onnx extra: pip install '.[onnx]'.

    \b
    Examples:
      graphcost import onnx graphs/onnx/mlp.onnx
      graphcost import onnx graphs/onnx/mlp.onnx --wrt params -o mlp-params.yaml
      graphcost import onnx example:onnx/mlp.onnx
    """
    from graphcost.cli.examples import example_path, is_example
    from graphcost.importers.onnxmodel import graph_from_onnx
    from graphcost.report.writers import protect_input

    if is_example(model):  # example:onnx/mlp.onnx, the installed copy
        model = example_path(model)
    protect_input(model)
    data = graph_from_onnx(model, wrt=wrt or "inputs")
    _say(data)
    _emit(data, output)
