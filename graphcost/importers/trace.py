"""The equation walker: a list of jaxpr equations (a record of the trace file
``ad-tensor-graphs.json``, the ten AlphaGrad benchmark tasks) → a graph dict.

One vertex per equation, named ``v{index}`` (Graphax's numbering: the 1-based position in the
top-level equation list), inputs ``x1..xN``; a block's shape is its value's shape (``[]`` for a
scalar). Each operand edge takes its signature from :mod:`graphcost.importers.rules`.

- Literals and integer/boolean values are not vertices; neither is a value with no edge from
  a vertex (a constant: the result of a zero-derivative primitive such as a comparison or
  ``stop_gradient``, or of an equation on constants only).
- Dead code (a vertex from which no output is reached) is pruned.
- An output that feeds another equation becomes an intermediate, and a copy vertex
  ``v{index}_out`` (a ``diag`` edge) is the output; likewise a returned input (``x3_out``).
  The copy adds one identity edge per entry: every elimination then multiplies by those
  unit partials, i.e. the copy costs what one extra elementwise operation costs.
- ``slice``, ``concatenate`` and ``pad`` edges have shifted signatures (``a+2->a``): exact
  at node level (``--nodes``), a superset at block level, whose counts are marked approximate.
- Where a rule over-approximates (a merging ``reshape``, interior padding), the edge is
  ``full``, listed in ``upper_bounds`` and the description says so: counts are upper bounds.
- An operand used twice with different patterns (``dot_general(x, x)``) would need a union
  pattern; the edge is held as ``full`` and flagged.

Examples
--------
>>> record = {"name": "t", "inputs": [{"var": "x1", "shape": [3], "dtype": "float32"}],
...   "outputs": ["v2"], "eqns": [
...   {"index": 1, "primitive": "sin", "params": {}, "invars": [
...       {"var": "x1", "shape": [3], "dtype": "float32"}],
...    "outvars": [{"var": "v1", "shape": [3], "dtype": "float32"}]},
...   {"index": 2, "primitive": "reduce_sum", "params": {"axes": [0]}, "invars": [
...       {"var": "v1", "shape": [3], "dtype": "float32"}],
...    "outvars": [{"var": "v2", "shape": [], "dtype": "float32"}]}]}
>>> d = graph_from_trace(record)
>>> d["V"], d["D"], d["D'"], d["E"]
({'x1': [3]}, {'v1': [3]}, {'v2': []}, [['x1', 'v1', 'a->a'], ['v1', 'v2', 'a->']])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphcost.errors import GraphValidationError
from graphcost.graph.signature import Pattern, Shifted
from graphcost.importers.rules import RULES, Rule, edges_of

#: The count sections of a trace record nested in the graph's ``published:`` (beside the
#: record's own ``published`` counts, which ``published:`` holds at its top level, as the
#: scalar benchmark graphs do).
COUNT_SECTIONS = ("alphagrad_vertex_game", "graphax", "best_order")


def _is_float(dtype: str) -> bool:
    return dtype.startswith(("float", "bfloat", "complex"))


def graph_from_trace(
    record: Mapping[str, Any], *, rules: Mapping[str, Rule] = RULES
) -> dict[str, Any]:
    """The graph dict of one trace record (see the module docstring).

    Parameters
    ----------
    record
        ``{name, inputs, outputs, eqns, ...}`` as in ``ad-tensor-graphs.json``. Optional
        ``origin``: the first sentence of the description (default: an AlphaGrad benchmark
        task imported from its trace); ``source``: where the program came from; ``unit``:
        what an equation is called there (default ``equations``; ONNX: ``nodes``).
    rules
        Primitive name → rule (:data:`graphcost.importers.rules.RULES`; another front end,
        such as ONNX's, passes its own table).

    Returns
    -------
    dict
        Sections ``name``, ``description``, ``V``, ``D``, ``D'``, ``E``, ``upper_bounds``
        (the edges held as full, when any: the counts are upper bounds) and, when the record
        carries counts, ``published`` — ready for
        :func:`graphcost.graph.loader.graph_from_dict` or ``yaml.safe_dump(...,
        sort_keys=False)``.

    Raises
    ------
    GraphValidationError
        For a primitive without a rule, an equation with several results, or a malformed record.
    """
    name = str(record.get("name", "trace"))
    try:
        inputs = list(record["inputs"])
        eqns = list(record["eqns"])
        outputs = list(dict.fromkeys(record["outputs"]))
    except (KeyError, TypeError) as exc:
        raise GraphValidationError(f"trace record {name!r} lacks {exc}") from None
    shapes: dict[str, list[int]] = {}
    for item in inputs:
        if _is_float(item["dtype"]):
            shapes[item["var"]] = list(item["shape"])
    input_names = list(shapes)
    order: list[str] = []  # equation vertices in evaluation order
    edges: dict[tuple[str, str], Pattern | Shifted] = {}
    notes: dict[str, str] = {}
    for eqn in eqns:
        _walk(eqn, shapes, order, edges, notes, rules)
    users: dict[str, set[str]] = {}
    for source, target in edges:
        users.setdefault(source, set()).add(target)
    live = _live(outputs, edges, shapes)
    outs: dict[str, list[int]] = {}
    copies: list[str] = []
    dropped: list[str] = []
    for var in outputs:
        if var not in live:
            dropped.append(var)
        elif var in input_names or users.get(var, set()) & live:
            copy = f"{var}_out"
            outs[copy] = shapes[var]
            edges[(var, copy)] = Pattern.diag(len(shapes[var]))
            live.add(copy)
            copies.append(var)
        else:
            outs[var] = shapes[var]
    inter = {v: shapes[v] for v in order if v in live and v not in outs}
    V = {v: shapes[v] for v in input_names}
    E = [
        [s, t, str(p)]
        for (s, t), p in edges.items()
        if s in live and t in live and (s in V or s in inter)
    ]
    data: dict[str, Any] = {
        "name": name,
        "description": _description(record, len(order), len(inter), notes, live, copies, dropped),
        "V": V,
        "D": inter,
        "D'": outs,
        "E": E,
    }
    upper = [k for k in notes if all(x in live for x in k.split(" -> "))]
    if upper:
        data["upper_bounds"] = upper
    published = dict(record.get("published") or {})
    published.update({k: record[k] for k in COUNT_SECTIONS if k in record})
    if published:
        data["published"] = published
    return data


def _walk(
    eqn: Mapping[str, Any],
    shapes: dict[str, list[int]],
    order: list[str],
    edges: dict[tuple[str, str], Pattern | Shifted],
    notes: dict[str, str],
    rules: Mapping[str, Rule],
) -> None:
    """Add one equation's vertex and edges (if its result is a float value fed by a vertex)."""
    primitive = eqn["primitive"]
    if not any(v.get("var") in shapes for v in eqn["invars"]):
        return  # on literals and constants only: a constant, whatever the primitive
    if not any(_is_float(v["dtype"]) for v in eqn["outvars"]):
        return  # integer or boolean results carry no derivative
    if len(eqn["outvars"]) != 1:
        raise GraphValidationError(
            f"equation {eqn.get('index')} ({primitive}) has {len(eqn['outvars'])} results",
            fix="the importer handles single-result equations only",
        )
    out = eqn["outvars"][0]
    target = out["var"]
    operand_shapes = [list(v["shape"]) for v in eqn["invars"]]
    operand_edges = edges_of(
        primitive, eqn.get("params") or {}, operand_shapes, list(out["shape"]), rules
    )
    found: dict[str, Pattern | Shifted] = {}
    for operand, edge in zip(eqn["invars"], operand_edges, strict=True):
        source = operand.get("var")
        if edge.pattern is None or source is None or source not in shapes:
            continue  # no edge, a literal, or a constant / integer value
        pattern = edge.pattern
        if source in found and _key(found[source]) != _key(pattern):
            pattern = Pattern.full(len(operand["shape"]), len(out["shape"]))
            notes[f"{source} -> {target}"] = f"{primitive} uses {source} twice: held as full"
        elif edge.note:
            notes[f"{source} -> {target}"] = edge.note
        found[source] = pattern
    if not found:
        return  # a constant
    shapes[target] = list(out["shape"])
    order.append(target)
    for source, pattern in found.items():
        edges[(source, target)] = pattern


def _key(pattern: Pattern | Shifted) -> str:
    """Patterns compare equal up to letter names (a shifted one: as written)."""
    return str(pattern) if isinstance(pattern, Shifted) else str(pattern.canonical())


def _live(
    outputs: list[str], edges: dict[tuple[str, str], Pattern], shapes: dict[str, list[int]]
) -> set[str]:
    """The vertices from which an output is reached (outputs included)."""
    preds: dict[str, list[str]] = {}
    for source, target in edges:
        preds.setdefault(target, []).append(source)
    live = {v for v in outputs if v in shapes}
    stack = list(live)
    while stack:
        for p in preds.get(stack.pop(), []):
            if p not in live:
                live.add(p)
                stack.append(p)
    return live


def _description(
    record: Mapping[str, Any],
    walked: int,
    kept: int,
    notes: dict[str, str],
    live: set[str],
    copies: list[str],
    dropped: list[str],
) -> str:
    origin = record.get("origin") or (
        f"AlphaGrad benchmark task {record.get('name')} imported from its jaxpr trace"
    )
    lines = [
        f"{origin} ({len(record['eqns'])} {record.get('unit', 'equations')}, {walked} with a "
        f"derivative, {kept} "
        f"intermediates after pruning dead code). Source: {record.get('source', 'unknown')}."
    ]
    kept_notes = {k: v for k, v in notes.items() if all(x in live for x in k.split(" -> "))}
    if kept_notes:
        lines.append(
            "Over-approximated edges (held as full, more dependencies than the real Jacobian; "
            "counts are upper bounds): "
            + "; ".join(f"{k}: {v}" for k, v in kept_notes.items())
            + "."
        )
    if copies:
        lines.append(f"Copy vertices for outputs that feed on: {', '.join(copies)}.")
    if dropped:
        lines.append(f"Outputs with no derivative (constants), left out: {', '.join(dropped)}.")
    return " ".join(lines)
