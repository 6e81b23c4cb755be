"""A live jaxpr (``jax.make_jaxpr``'s result) → a trace record for the equation walker.

The record has the form of the trace file's records (``ad-tensor-graphs.json``), so one walker
(:func:`graphcost.importers.trace.graph_from_trace`) serves both front ends:

- **Flattening.** Calls are inlined: ``jit``/``pjit``, ``closed_call``/``core_call``,
  ``custom_jvp_call``, ``custom_vjp_call``, ``remat``/``checkpoint``. Their equations take
  their place in the top-level list, and equation ``k`` (1-based, in that flattened list)
  gives result ``v{k}``, the vertex name of the graph (Graphax numbers the top-level list the
  same way).
- **Control flow.** ``cond``, ``while`` and ``scan`` are refused, unless ``unroll`` is set:
  then ``scan`` is unrolled (its fixed number of iterations; ``xs`` are sliced and ``ys``
  stacked by ``slice``/``squeeze``/``broadcast_in_dim``/``concatenate`` equations), and
  ``cond`` and ``while`` follow the branch and the iterations taken at the example point, which
  the walker then evaluates alongside (the graph holds only at that point).
- Values are named ``x…`` for the inputs (see :func:`jaxpr_record`) and ``v{k}`` (or
  ``v{k}_{j}`` for the ``j``-th result of a several-result equation) for results.

jax is not imported here: the functions take jax's own objects (duck-typed: ``eqns``,
``invars``, ``outvars``, ``aval``; a literal has ``val``) and, for concrete evaluation,
``bind`` on the primitive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphcost.errors import GraphValidationError

#: Primitives whose sub-jaxpr is inlined, with the parameter that holds it.
INLINED = {
    "pjit": "jaxpr",
    "jit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
    "remat": "jaxpr",
    "remat2": "jaxpr",
    "checkpoint": "jaxpr",
}
CONTROL_FLOW = ("cond", "while", "scan")
#: The most equations an imported (possibly unrolled) program may have.
MAX_EQUATIONS = 200_000


def _dims(shape: Sequence[Any]) -> list[int | str]:
    """A shape with JAX's symbolic dimensions as their expression text."""
    return [int(d) if isinstance(d, int) else str(d) for d in shape]


def _describe(aval: Any) -> tuple[list[int | str], str]:
    return _dims(getattr(aval, "shape", ())), str(getattr(aval, "dtype", "float32"))


class _Flattener:
    """Walks a jaxpr, inlining calls, and collects the flat list of equation records."""

    def __init__(self, unroll: bool, evaluate: bool) -> None:
        self.unroll = unroll
        self.evaluate = evaluate  # carry concrete values (needed by cond/while under unroll)
        self.eqns: list[dict[str, Any]] = []
        self.unrolled: list[str] = []

    # ---- values ----------------------------------------------------------------------------
    def _ref(self, var: Any, env: dict[Any, Any]) -> dict[str, Any]:
        """The record of an operand: ``{var, shape, dtype}`` (``var`` None for a literal)."""
        shape, dtype = _describe(var.aval)
        if hasattr(var, "val"):  # a literal
            return {"var": None, "shape": shape, "dtype": dtype}
        return {"var": env[var][0], "shape": shape, "dtype": dtype}

    def _value(self, var: Any, env: dict[Any, Any]) -> Any:
        return var.val if hasattr(var, "val") else env[var][1]

    # ---- equations -------------------------------------------------------------------------
    def emit(
        self, primitive: str, params: dict[str, Any], invars: list[dict], outs: list[Any]
    ) -> list[str]:
        """Append one equation record; return the names of its results."""
        index = len(self.eqns) + 1
        if index > MAX_EQUATIONS:
            raise GraphValidationError(
                f"the program has more than {MAX_EQUATIONS:,} equations (after inlining"
                + (" and unrolling)" if self.unrolled else ")"),
                fix="import a smaller function, or fewer loop iterations",
            )
        names = [f"v{index}"] if len(outs) == 1 else [f"v{index}_{j}" for j in range(len(outs))]
        outvars = []
        for name, aval in zip(names, outs, strict=True):
            shape, dtype = _describe(aval)
            outvars.append({"var": name, "shape": shape, "dtype": dtype})
        self.eqns.append(
            {
                "index": index,
                "primitive": primitive,
                "params": params,
                "invars": invars,
                "outvars": outvars,
            }
        )
        return names

    def run(self, jaxpr: Any, consts: Sequence[Any], args: list[tuple[str | None, Any]]) -> list:
        """Walk ``jaxpr`` with ``args`` (name, value) bound to its invars; return its outputs."""
        env: dict[Any, Any] = {}
        for var, value in zip(jaxpr.constvars, consts, strict=True):
            env[var] = (None, value)  # a constant: no vertex
        for var, arg in zip(jaxpr.invars, args, strict=True):
            env[var] = arg
        for eqn in jaxpr.eqns:
            self._equation(eqn, env)
        out = []
        for var in jaxpr.outvars:
            out.append((None, var.val) if hasattr(var, "val") else env[var])
        return out

    def _equation(self, eqn: Any, env: dict[Any, Any]) -> None:
        name = eqn.primitive.name
        args = [(None, v.val) if hasattr(v, "val") else env[v] for v in eqn.invars]
        if name in INLINED:
            results = self._inline(eqn, args)
        elif name in CONTROL_FLOW:
            results = self._control_flow(eqn, args)
        else:
            invars = [self._ref(v, env) for v in eqn.invars]
            for ref, (var_name, _) in zip(invars, args, strict=True):
                ref["var"] = var_name  # a constant bound by a call has no name
            names = self.emit(name, dict(eqn.params), invars, [v.aval for v in eqn.outvars])
            values = self._bind(eqn, [a[1] for a in args])
            results = list(zip(names, values, strict=True))
        for var, result in zip(eqn.outvars, results, strict=True):
            env[var] = result

    def _bind(self, eqn: Any, values: list[Any]) -> list[Any]:
        if not self.evaluate:
            return [None] * len(eqn.outvars)
        out = eqn.primitive.bind(*values, **eqn.params)
        return list(out) if eqn.primitive.multiple_results else [out]

    def _inline(self, eqn: Any, args: list) -> list:
        sub = eqn.params[INLINED[eqn.primitive.name]]
        if hasattr(sub, "jaxpr"):  # a ClosedJaxpr
            return self.run(sub.jaxpr, sub.consts, args)
        return self.run(sub, [], args)

    # ---- control flow ----------------------------------------------------------------------
    def _control_flow(self, eqn: Any, args: list) -> list:
        name = eqn.primitive.name
        if not self.unroll:
            raise GraphValidationError(
                f"the program uses {name!r} (control flow), whose graph depends on the values",
                fix="pass --unroll (unroll=True) to unroll it at the example point, or rewrite "
                "the loop in Python so that the trace unrolls it",
            )
        self.unrolled.append(name)
        if name == "scan":
            return _unroll_scan(self, eqn, args)
        if any(value is None for _, value in args):
            raise GraphValidationError(
                f"unrolling {name!r} needs concrete example values",
                fix="give example arrays (not shapes with symbols) to follow the branch or "
                "the iterations taken at that point",
            )
        if name == "cond":
            index = int(args[0][1])
            branches = eqn.params["branches"]
            branch = branches[max(0, min(index, len(branches) - 1))]
            return self.run(branch.jaxpr, branch.consts, args[1:])
        return _unroll_while(self, eqn, args)


def _unroll_while(walk: _Flattener, eqn: Any, args: list) -> list:
    """``while``: evaluate the condition at each carry, inline the body while it holds."""
    import jax

    p = eqn.params
    cond_consts = args[: p["cond_nconsts"]]
    body_consts = args[p["cond_nconsts"] : p["cond_nconsts"] + p["body_nconsts"]]
    carry = args[p["cond_nconsts"] + p["body_nconsts"] :]
    cond = p["cond_jaxpr"]
    while True:
        (keep,) = jax.core.eval_jaxpr(
            cond.jaxpr, cond.consts, *[v for _, v in cond_consts], *[v for _, v in carry]
        )
        if not bool(keep):
            return carry
        body = p["body_jaxpr"]
        carry = walk.run(body.jaxpr, body.consts, body_consts + carry)


def _unroll_scan(walk: _Flattener, eqn: Any, args: list) -> list:
    """``scan``: the body ``length`` times; ``xs[i]`` sliced out, the ``ys`` stacked."""
    p = eqn.params
    nconsts, ncarry, length = p["num_consts"], p["num_carry"], p["length"]
    consts, carry, xs = args[:nconsts], args[nconsts : nconsts + ncarry], args[nconsts + ncarry :]
    x_avals = [v.aval for v in eqn.invars[nconsts + ncarry :]]
    body = p["jaxpr"]
    ys: list[list] = []
    steps = range(length - 1, -1, -1) if p["reverse"] else range(length)
    for i in steps:
        sliced = [_index(walk, x, aval, i) for x, aval in zip(xs, x_avals, strict=True)]
        out = walk.run(body.jaxpr, body.consts, consts + carry + sliced)
        carry, y = out[:ncarry], out[ncarry:]
        ys.append(y)
    if p["reverse"]:
        ys.reverse()
    y_avals = [v.aval for v in eqn.outvars[ncarry:]]
    stacked = [_stack(walk, [y[j] for y in ys], aval) for j, aval in enumerate(y_avals)]
    return carry + stacked


class _Aval:
    """A shape and dtype standing in for a jax aval in synthesized equations."""

    def __init__(self, shape: Sequence[Any], dtype: Any) -> None:
        self.shape, self.dtype = tuple(shape), dtype


def _index(walk: _Flattener, x: tuple, aval: Any, i: int) -> tuple:
    """``x[i]`` as a ``slice`` and a ``squeeze`` equation (a constant ``x``: its value)."""
    name, value = x
    part = None if value is None else value[i]
    if name is None:
        return (None, part)
    rest = tuple(aval.shape[1:])
    ref = {"var": name, "shape": _dims(aval.shape), "dtype": str(aval.dtype)}
    start = (i,) + (0,) * len(rest)
    limit = (i + 1, *rest)
    params = {"start_indices": start, "limit_indices": limit, "strides": None}
    (s,) = walk.emit("slice", params, [ref], [_Aval((1, *rest), aval.dtype)])
    ref = {"var": s, "shape": _dims((1, *rest)), "dtype": str(aval.dtype)}
    (q,) = walk.emit("squeeze", {"dimensions": (0,)}, [ref], [_Aval(rest, aval.dtype)])
    return (q, part)


def _stack(walk: _Flattener, items: list[tuple], aval: Any) -> tuple:
    """Stack the per-iteration ``ys`` along a new first axis (``broadcast_in_dim`` each, then
    one ``concatenate``)."""
    rest = tuple(aval.shape[1:])
    value = None
    if all(v is not None for _, v in items):
        import numpy as np

        value = np.stack([np.asarray(v) for _, v in items])
    if all(name is None for name, _ in items):
        return (None, value)
    refs = []
    for name, _ in items:
        ref = {"var": name, "shape": _dims(rest), "dtype": str(aval.dtype)}
        params = {"shape": (1, *rest), "broadcast_dimensions": tuple(range(1, len(rest) + 1))}
        (b,) = walk.emit("broadcast_in_dim", params, [ref], [_Aval((1, *rest), aval.dtype)])
        refs.append({"var": b, "shape": _dims((1, *rest)), "dtype": str(aval.dtype)})
    (c,) = walk.emit("concatenate", {"dimension": 0}, refs, [aval])
    return (c, value)


def jaxpr_record(
    closed: Any,
    *,
    names: Sequence[str],
    values: Sequence[Any] | None = None,
    unroll: bool = False,
    name: str = "program",
    source: str = "unknown",
    is_input: Callable[[int], bool] | None = None,
) -> dict[str, Any]:
    """The trace record of a closed jaxpr (see the module docstring).

    Parameters
    ----------
    closed
        ``jax.make_jaxpr(f)(*args)``.
    names
        One name per flattened input (the graph's input names).
    values
        The concrete example values (needed to unroll ``cond`` and ``while``), or ``None``.
    unroll
        Unroll control flow instead of refusing it.
    name, source
        The graph's name and where the program came from (for its description).
    is_input
        Which flattened inputs are inputs of the graph (default: all); the others are
        constants (their derivative is not asked for).

    Returns
    -------
    dict
        ``{name, origin, source, inputs, outputs, eqns, unrolled}``.

    Raises
    ------
    GraphValidationError
        For control flow without ``unroll``, or a program over :data:`MAX_EQUATIONS`.
    """
    jaxpr = closed.jaxpr
    walk = _Flattener(unroll, values is not None)
    chosen = is_input or (lambda i: True)
    args = []
    inputs = []
    for i, var in enumerate(jaxpr.invars):
        value = None if values is None else values[i]
        if chosen(i):
            shape, dtype = _describe(var.aval)
            inputs.append({"var": names[i], "shape": shape, "dtype": dtype})
            args.append((names[i], value))
        else:
            args.append((None, value))
    outs = walk.run(jaxpr, closed.consts, args)
    outputs = [out_name for out_name, _ in outs if out_name is not None]
    return {
        "name": name,
        "origin": f"{name} imported from its jaxpr",
        "source": source,
        "inputs": inputs,
        "outputs": outputs,
        "eqns": walk.eqns,
        "unrolled": sorted(set(walk.unrolled)),
    }
