"""Programs as graph sources: ``jax:MODULE:FUNCTION`` (with ``--arg`` specs) and ``*.onnx``.

Wherever a command takes a graph FILE, it may instead name a program; :func:`load_program`
imports it (:mod:`graphcost.importers`) into a :class:`~graphcost.graph.model.Graph`. The
``--arg``, ``--unroll`` and ``--set`` values reach it through the click context
(:func:`program_options` stores them), so commands need not pass them along.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from graphcost.errors import UsageError

JAX_PREFIX = "jax:"
_META = "graphcost.program"


def is_program(source: str | None) -> bool:
    """Whether a FILE argument names a program rather than a graph file."""
    return source is not None and (
        source.startswith(JAX_PREFIX) or source.lower().endswith(".onnx")
    )


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(_META, {})[param.name] = value
    return value


def program_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--arg SPEC`` (repeatable) and ``--unroll`` for a ``jax:MODULE:FUNCTION`` FILE."""
    function = click.option(
        "--unroll",
        is_flag=True,
        expose_value=False,
        callback=_remember,
        help="With jax:MODULE:FUNCTION: unroll scan/cond/while at the example point (the "
        "graph then holds only there) instead of refusing them.",
    )(function)
    return click.option(
        "--arg",
        "args",
        multiple=True,
        metavar="SPEC",
        expose_value=False,
        callback=_remember,
        help="With jax:MODULE:FUNCTION as FILE: one example argument per --arg, a dtype and "
        "a shape, e.g. --arg 'f32[n,3]' (n a size symbol; --set n=30 gives its value) or "
        "--arg 'f64[]' for a scalar.",
    )(function)


def refuse_program_options() -> None:
    """Refuse ``--arg``/``--unroll`` for a graph file (they describe a JAX program)."""
    meta = _meta()
    if meta.get("args") or meta.get("unroll"):
        raise UsageError(
            "--arg and --unroll apply to jax:MODULE:FUNCTION only",
            fix="drop them, or name a JAX function as jax:MODULE:FUNCTION",
        )


def _meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return {} if ctx is None else dict(ctx.meta.get(_META, {}))


def import_program(
    source: str,
    *,
    wrt: str | None = None,
    args: tuple[str, ...] = (),
    unroll: bool = False,
    symbols: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The graph dict of a program (see the module docstring).

    Raises
    ------
    UsageError
        For a JAX program without ``--arg``, or an import that fails.
    """
    if source.startswith(JAX_PREFIX):
        from graphcost.importers.argspec import parse_arg
        from graphcost.importers.jaxfunc import jax_graph_dict, load_function, require_jax

        target = source[len(JAX_PREFIX) :]
        if not args:
            raise UsageError(
                f"{source} needs its example arguments",
                fix="give one --arg per argument, e.g. --arg 'f32[n,3]' --arg 'f32[]'",
            )
        specs = [parse_arg(a) for a in args]
        require_jax()
        f = load_function(target)
        return jax_graph_dict(
            f,
            *specs,
            wrt=wrt,
            unroll=unroll,
            symbols=symbols,
            source=target,
            name=target.rpartition(":")[2],
        )
    if args or unroll:
        refuse_program_options()
    from graphcost.importers.onnxmodel import graph_from_onnx

    return graph_from_onnx(source, wrt=wrt or "inputs")


def load_program(
    source: str, wrt: str | None = None, symbols: dict[str, int] | None = None
) -> tuple[Any, list[str]]:
    """Import ``source`` with the current command's ``--arg``/``--unroll``; return the graph
    and the warnings a user must see."""
    from graphcost.graph.loader import graph_from_dict

    meta = _meta()
    data = import_program(
        source,
        wrt=wrt,
        args=tuple(meta.get("args") or ()),
        unroll=bool(meta.get("unroll")),
        symbols=symbols,
    )
    notes = []
    if "Unrolled" in data.get("description", ""):
        notes.append("control flow unrolled at the example point: the graph holds only there")
    return graph_from_dict(data), notes
