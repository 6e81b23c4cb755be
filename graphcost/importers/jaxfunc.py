"""The JAX front end: a Python function and example arguments → a graph dict.

:func:`jax_graph_dict` traces ``f`` with ``jax.make_jaxpr`` at the example arguments (arrays,
``jax.ShapeDtypeStruct``s, or :class:`~graphcost.importers.argspec.ArgSpec`s such as
``f32[n,3]``, whose symbols become JAX symbolic dimensions), turns the jaxpr into a trace
record (:func:`graphcost.importers.jaxpr.jaxpr_record`) and walks it with the one equation
walker (:func:`graphcost.importers.trace.graph_from_trace`). :func:`load_function` resolves
``MODULE:FUNCTION`` as the CLI's ``graphcost import jax`` takes it.

jax is imported lazily (the ``jax`` extra); without it every entry point raises a
:class:`~graphcost.errors.UsageError` naming the extra.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graphcost.errors import GraphcostError, UsageError
from graphcost.graph.quoting import quote
from graphcost.importers.argspec import ArgSpec
from graphcost.importers.jaxpr import jaxpr_record
from graphcost.importers.trace import graph_from_trace

#: The value a size symbol gets when none is given (``--set n=…`` gives one).
DEFAULT_SYMBOL_VALUE = 10
_VERTEX_NAME = re.compile(r"v\d+(_\d+|_out)?")


def require_jax() -> Any:
    """``import jax``, or a :class:`UsageError` naming the extra to install."""
    try:
        import jax
    except ImportError:
        raise UsageError(
            "importing a JAX function needs jax, which is not installed",
            fix="pip install '.[jax]' (from graphcost's folder; or pip install jax)",
        ) from None
    return jax


def load_function(target: str) -> Callable[..., Any]:
    """The function ``MODULE:FUNCTION`` names.

    ``MODULE`` is a dotted module name (looked up from the current folder first, as
    ``python -m`` does) or a path to a ``.py`` file; ``FUNCTION`` a name in it (dots reach
    attributes: ``Model.apply``). Importing runs the module's code, as ``python`` would.

    Raises
    ------
    UsageError
        When the target does not parse, the module does not import, or the name is missing.
    """
    module_name, sep, attribute = target.rpartition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(
            f"{quote(target)} is not MODULE:FUNCTION",
            fix="e.g. graphcost import jax mymodel:loss or path/to/model.py:loss",
        )
    module = _import(module_name)
    obj: Any = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise UsageError(
                f"module {quote(module_name)} has no {quote(attribute)}",
                fix="check the function's name (MODULE:FUNCTION)",
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{quote(target)} is not callable", fix="name a function")
    return obj


def _import(module_name: str) -> Any:
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise UsageError(
                    f"no Python file {quote(module_name)}", fix="check the path (MODULE:FUNCTION)"
                )
            spec = importlib.util.spec_from_file_location(path.stem, path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        sys.path.insert(0, "")
        try:
            return importlib.import_module(module_name)
        finally:
            sys.path.remove("")
    except GraphcostError:
        raise
    except BaseException as exc:  # the user's module may raise anything, SystemExit included
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(
            f"cannot import {quote(module_name)}: {type(exc).__name__}: {quote(str(exc), 120)}",
            fix=(
                f"check that python {module_name} runs"
                if module_name.endswith(".py")
                else f"check that python -c 'import {module_name}' works in this folder"
            ),
        ) from None


def example_arguments(
    specs: Sequence[ArgSpec], symbols: Mapping[str, int] | None = None, seed: int = 0
) -> tuple[list[Any], dict[str, int]]:
    """JAX example arguments for ``specs`` and the symbols' values.

    Without symbols the arguments are concrete arrays (floats drawn from a normal
    distribution with ``seed``, integers and booleans zero), so control flow can be unrolled
    at that point; with symbols they are ``jax.ShapeDtypeStruct``s with symbolic dimensions.

    Returns
    -------
    (arguments, symbol values)
        The values are ``symbols`` where given, else :data:`DEFAULT_SYMBOL_VALUE`.
    """
    jax = require_jax()
    import numpy as np

    names = list(dict.fromkeys(s for spec in specs for s in spec.symbols))
    values = {n: int((symbols or {}).get(n, DEFAULT_SYMBOL_VALUE)) for n in names}
    if names:
        dims = dict(zip(names, jax.export.symbolic_shape(",".join(names)), strict=True))
        args = [
            jax.ShapeDtypeStruct(tuple(dims.get(d, d) for d in spec.dims), spec.dtype)
            for spec in specs
        ]
        return args, values
    rng = np.random.default_rng(seed)
    args = []
    for spec in specs:
        if spec.dtype.startswith(("float", "bfloat")):
            args.append(jax.numpy.asarray(rng.standard_normal(spec.dims), dtype=spec.dtype))
        else:
            args.append(jax.numpy.zeros(spec.dims, dtype=spec.dtype))
    return args, values


def _input_names(f: Callable[..., Any], args: Sequence[Any], leaves: Sequence[Any]) -> list[str]:
    """One name per flattened input: the parameter names where each argument is one array
    (``x``, ``W``), else ``x1..xN``; a name that would clash with a vertex is prefixed."""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    if len(leaves) == len(args) and len(params) >= len(args):
        names = params[: len(args)]
    else:
        names = [f"x{i}" for i in range(1, len(leaves) + 1)]
    return [f"in_{n}" if _VERTEX_NAME.fullmatch(n) else n for n in names]


def jax_graph_dict(
    f: Callable[..., Any],
    *args: Any,
    wrt: str | Sequence[str | int] | None = None,
    unroll: bool = False,
    name: str | None = None,
    symbols: Mapping[str, int] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The graph dict of ``f`` traced at ``args`` (see the module docstring).

    Parameters
    ----------
    f
        A JAX-traceable function of arrays.
    *args
        Example arguments: arrays, ``jax.ShapeDtypeStruct``s or
        :class:`~graphcost.importers.argspec.ArgSpec`s.
    wrt
        The inputs to differentiate with respect to: names (a comma-separated string or a
        list) or argument positions; default all float inputs. The others are constants.
    unroll
        Unroll ``scan``/``cond``/``while`` at the example point instead of refusing them.
    name
        The graph's name (default: the function's).
    symbols
        Values of the size symbols of ``ArgSpec`` arguments (default 10 each).
    source
        Where ``f`` came from, for the description.

    Raises
    ------
    UsageError
        Without jax, for an unknown ``wrt`` name, or when tracing ``f`` raises.
    GraphValidationError
        For a primitive without a rule, or control flow without ``unroll``.
    """
    jax = require_jax()
    specs = [a for a in args if isinstance(a, ArgSpec)]
    values: dict[str, int] = {}
    if specs:
        if len(specs) != len(args):
            raise UsageError("give every example argument as a spec, or none")
        args_list, values = example_arguments(specs, symbols)
        args = tuple(args_list)
    title = name or getattr(f, "__name__", "program")
    try:
        closed = jax.make_jaxpr(f)(*args)
    except GraphcostError:
        raise
    except Exception as exc:
        raise UsageError(
            f"tracing {quote(title)} raised {type(exc).__name__}: {quote(str(exc), 160)}",
            fix="check the function runs on arguments of these shapes and dtypes",
        ) from None
    leaves = jax.tree_util.tree_leaves(args)
    names = _input_names(f, args, leaves)
    chosen = _chosen(wrt, names)
    concrete = [None if isinstance(v, jax.ShapeDtypeStruct) else v for v in leaves]
    record = jaxpr_record(
        closed,
        names=names,
        values=None if any(v is None for v in concrete) else concrete,
        unroll=unroll,
        name=title,
        source=source or f"{getattr(f, '__module__', '?')}:{getattr(f, '__qualname__', title)}",
        is_input=lambda i: i in chosen,
    )
    data = graph_from_trace(record)
    if values:
        rest = {k: v for k, v in data.items() if k != "name"}
        data = {"name": data["name"], "symbols": values, **rest}
    if record["unrolled"]:
        data["description"] += (
            f" Unrolled {', '.join(record['unrolled'])} at the example point: the graph holds "
            "only there."
        )
    return data


def _chosen(wrt: str | Sequence[str | int] | None, names: list[str]) -> set[int]:
    if wrt is None:
        return set(range(len(names)))
    items = [w.strip() for w in wrt.split(",") if w.strip()] if isinstance(wrt, str) else wrt
    chosen = set()
    for item in items:
        if isinstance(item, int) and 0 <= item < len(names):
            chosen.add(item)
        elif item in names:
            chosen.add(names.index(item))
        else:
            raise UsageError(
                f"--wrt names {quote(item)}, which is not an input",
                fix=f"the inputs are {', '.join(names)}",
            )
    return chosen


def from_jax(
    f: Callable[..., Any],
    *example_args: Any,
    wrt: str | Sequence[str | int] | None = None,
    unroll: bool = False,
    name: str | None = None,
    symbols: Mapping[str, int] | None = None,
) -> Any:
    """The :class:`~graphcost.graph.model.Graph` of a JAX function (``graphcost.from_jax``).

    Parameters are those of :func:`jax_graph_dict`.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import graphcost
    >>> from graphcost.count.recursions import count
    >>> graph = graphcost.from_jax(lambda x, W: jnp.sum(jnp.tanh(W @ x) ** 2),
    ...                            jnp.ones(4), jnp.ones((3, 4)))
    >>> [b.name for b in graph.blocks]
    ['x', 'W', 'v1', 'v2', 'v3', 'v4']
    >>> result = count(graph)
    >>> result.forward.multiplications, result.backward.multiplications
    (72, 30)
    """
    from graphcost.graph.loader import graph_from_dict

    data = jax_graph_dict(f, *example_args, wrt=wrt, unroll=unroll, name=name, symbols=symbols)
    return graph_from_dict(data)
