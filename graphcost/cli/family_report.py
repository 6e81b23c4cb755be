"""Edge- and face-elimination strategies in ``analyze --strategy``: names, checks, row cells.

The family strategies (:data:`graphcost.eliminate.families.FAMILY_STRATEGIES`: ``edge-*``,
``face-*``, ``portfolio``) return edge or face sequences, not vertex orders, so they run through
:func:`~graphcost.eliminate.families.run_family_strategy` (each sequence scored by its family's
engine) and get rows of their own in the strategies table beside the vertex strategies.
``--strategy all`` keeps meaning the vertex strategies; ``families`` names every family
strategy. They work on single nodes only, and their sequences are no vertex order, so
``--save-order`` refuses them.
"""

from __future__ import annotations

from typing import Any

from graphcost.errors import UsageError

#: The word of ``--strategy`` that stands for every edge, face and portfolio strategy.
FAMILIES_WORD = "families"

#: How many steps of a sequence the table shows before abbreviating.
SHOWN_STEPS = 3


def family_names() -> list[str]:
    """The family strategies, in registry order (``edge-*``, ``face-*``, ``portfolio``)."""
    import graphcost.eliminate.portfolio  # noqa: F401  (registers edge-*, face-*, portfolio)
    from graphcost.eliminate.families import FAMILY_STRATEGIES

    return list(FAMILY_STRATEGIES)


def is_family(name: str) -> bool:
    """Whether ``name`` is an edge, face or portfolio strategy (not a vertex one)."""
    return name in family_names()


def check_request(specs: tuple[str, ...], problem: Any, save_order: str | None) -> None:
    """Refuse family strategies where they cannot run, before any strategy starts.

    Raises
    ------
    UsageError
        A block-level problem (the fix: ``--nodes``), or ``--save-order``, which writes
        vertex orders.
    """
    chosen = [name for name in specs if is_family(name)]
    if not chosen:
        return
    shown = ", ".join(chosen[:3]) + (", …" if len(chosen) > 3 else "")
    if save_order is not None:
        raise UsageError(
            f"--save-order writes a vertex order, and {shown} may win with an edge or face "
            "sequence",
            fix='drop --save-order (the JSON\'s "steps" hold every sequence in full), or keep '
            "only vertex strategies",
        )
    if problem.level != "node":
        raise UsageError(
            f"{shown} eliminate{'s' if len(chosen) == 1 else ''} edges and faces of single "
            f"nodes, and {problem.graph_name!r} has blocks larger than one node",
            fix="add --nodes to eliminate its node-level expansion",
        )


def run_family(problem: Any, name: str, options: Any) -> Any:
    """Run family strategy ``name``: a :class:`~graphcost.eliminate.families.FamilyResult`."""
    from graphcost.eliminate.families import run_family_strategy

    return run_family_strategy(problem, name, options)


def family_of(result: Any) -> str:
    """``"vertex"``, ``"edge"`` or ``"face"``: the kind of steps a result holds."""
    return getattr(result, "family", "vertex")


def step_texts(result: Any, problem: Any) -> list[str]:
    """Every step compactly: a vertex name, ``x→a (front)``, or a face ``(x→a, a→y)``."""
    family = family_of(result)
    if family == "vertex":
        return list(result.cost.order)
    names = problem.names
    if family == "edge":
        return [f"{names[s.src]}→{names[s.dst]} ({s.direction})" for s in result.steps]
    from graphcost.eliminate.faces import FaceEliminationState

    state, texts = FaceEliminationState(problem), []
    for a, b in result.steps:  # replayed: a fill-in's ends exist once its face is taken
        start, middle, end = (names[v] for v in (state.start[a], state.end[a], state.end[b]))
        texts.append(f"({start}→{middle}, {middle}→{end})")
        state.apply((a, b))
    return texts


def sequence_cell(result: Any, problem: Any) -> str:
    """The table's order cell: the first steps and how many more (the JSON keeps them all)."""
    texts = step_texts(result, problem)
    if not texts:
        return "—"
    shown = ", ".join(texts[:SHOWN_STEPS])
    return shown if len(texts) <= SHOWN_STEPS else f"{shown}, … (+{len(texts) - SHOWN_STEPS})"


def row_dict(result: Any, problem: Any) -> dict[str, Any]:
    """A strategy's JSON entry: the vertex strategies' keys, ``family``, and for edge and face
    sequences ``steps`` that replay them (``[src, dst, "front" | "back"]`` by vertex name for
    :func:`~graphcost.eliminate.edges.eliminate_edges`, ``[a, b]`` dual-vertex ids for
    :func:`~graphcost.eliminate.faces.eliminate_faces`)."""
    family = family_of(result)
    if family == "vertex" and not hasattr(result, "family"):
        return {**result.to_dict(), "family": "vertex"}
    entry = {
        "family": family,
        "multiplications": result.cost.multiplications,
        "additions": result.cost.additions,
        "order": list(result.cost.order),
        "lower_bound": result.lower_bound,
        "proven_optimal": result.proven_optimal,
        "remark": result.remark,
        "seconds": round(result.seconds, 6),
        "approximate": list(result.cost.approximate),
    }
    if family == "edge":
        names = problem.names
        entry["steps"] = [[names[s.src], names[s.dst], s.direction] for s in result.steps]
    elif family == "face":
        entry["steps"] = [[int(a), int(b)] for a, b in result.steps]
    if result.details is not None:
        entry["details"] = result.details
    return entry


def bound_note(result: Any, label: str) -> str | None:
    """The note on a proven bound or optimum; a family's bound holds over its own sequences."""
    if result.lower_bound is None and not result.proven_optimal:
        return None
    family = family_of(result)
    scope = "" if not hasattr(result, "family") else f" among {family} sequences"
    bound = "" if result.lower_bound is None else f"proven lower bound {result.lower_bound:,}"
    proof = f"proven optimal{scope}" if result.proven_optimal else ""
    if bound and not proof:
        bound += scope
    return f"{label}: " + ", ".join(p for p in (bound, proof) if p)
