"""Elimination orders in Graphax's numbering: 1-based jaxpr equation indices, in and out.

Graphax (``graphax.jacve(f, order=[...])``) and AlphaGrad name a vertex by the 1-based position
of its equation in the top-level jaxpr; graphcost's importers name that vertex ``v{index}``
(inputs ``x1, x2, …``, an output's copy ``v{index}_out``). So an order converts name by name,
except for what the importer left out of the graph:

- **Out** (:func:`to_graphax`): Graphax refuses an order that does not list every non-output
  equation, including those graphcost pruned (constants, zero-derivative operations, dead
  code). Their indices are the gaps in the numbering below the highest ``v{index}`` of the
  graph; they go first, highest index first, so that dead code (eliminated from its end, with
  no successor left) costs Graphax nothing and no later elimination touches it.
- **In** (:func:`from_graphax`): an index that is no intermediate vertex of the graph (a pruned
  equation, or an output) is dropped and reported; intermediates the order does not name are
  appended in forward (topological) order and reported. The ``graphax`` strategy
  (``--strategy graphax:PATH`` or ``graphax:12,15,3``) does this and scores the result with the
  one cost model, which is how AlphaGrad's published best orders are re-scored.

The text form (:func:`format_graphax_order`, :func:`parse_graphax_order`) is a Python list on
one line, ``[12, 15, 3]``: it pastes into ``graphax.jacve(f, order=[12, 15, 3])`` and loads with
``json.load``; reading also accepts the indices separated by commas, spaces or newlines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graphcost.eliminate.engine import eliminate
from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.eliminate.registry import StrategyOptions, StrategyOutcome, register
from graphcost.errors import GraphFileError, UsageError
from graphcost.graph.model import INPUT, INTERMEDIATE

#: The name the importers give equation ``k``'s vertex.
EQUATION_NAME = re.compile(r"v([1-9][0-9]*)")
#: Largest order file read (an index list of a million equations is ~8 MB).
MAX_ORDER_BYTES = 16 << 20


def equation_index(name: str) -> int | None:
    """Graphax's index of the vertex ``name`` (``"v12"`` → 12), or ``None`` for another name.

    Examples
    --------
    >>> equation_index("v12"), equation_index("v12_out"), equation_index("h1")
    (12, None, None)
    """
    match = EQUATION_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def check_graphax_numbering(problem: EliminationProblem) -> None:
    """Refuse a problem whose vertices do not carry Graphax's equation numbering.

    Every intermediate must be an equation vertex ``v{k}`` (k ≥ 1) and no input may be named
    like one (the scalar benchmark files number inputs ``v0..``, so their ``v{k}`` are not
    equation indices).

    Raises
    ------
    UsageError
        Naming the first vertex that breaks the numbering.
    """
    for vertex, role in enumerate(problem.roles):
        name = problem.names[vertex]
        if role == INPUT and EQUATION_NAME.fullmatch(name):
            raise UsageError(
                f"input {name!r} of {problem.graph_name!r} is named like an equation vertex, so "
                "its v-numbers are not Graphax equation indices",
                fix="use a graph imported from a jaxpr (inputs x1, x2, …; equations v1, v2, …), "
                "e.g. graphs/benchmarks/tensor/",
            )
        if role == INTERMEDIATE and equation_index(name) is None:
            level = " (drop --nodes: Graphax eliminates whole equations)" if "[" in name else ""
            raise UsageError(
                f"vertex {name!r} of {problem.graph_name!r} is not a jaxpr equation vertex "
                f"v<index>{level}",
                fix="Graphax orders exist for graphs imported from a jaxpr, whose vertices keep "
                "the equation numbering",
            )


def pruned_equations(problem: EliminationProblem) -> list[int]:
    """The equation indices below the graph's highest ``v{k}`` that are no vertex of it.

    These are the equations the importer pruned (constants, zero-derivative operations, dead
    code); Graphax still expects them in an order. Equations after the last vertex of the
    graph cannot be known from it.
    """
    present = {k for k in map(equation_index, problem.names) if k is not None}
    return [k for k in range(1, max(present, default=0) + 1) if k not in present]


def to_graphax(problem: EliminationProblem, order: Iterable[str]) -> list[int]:
    """The order as Graphax's equation indices, the graph's pruned equations first.

    Parameters
    ----------
    problem
        A problem with Graphax numbering (:func:`check_graphax_numbering`).
    order
        Every intermediate once, by name.

    Returns
    -------
    list of int
        The pruned equations (:func:`pruned_equations`), highest first, then ``order``.

    Raises
    ------
    UsageError
        When the graph lacks the numbering or ``order`` is not a permutation of D.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x1", "v2"), ("v2", "v4"), ("v4", "v5")],
    ...     inputs=["x1"], intermediates=["v2", "v4"], outputs=["v5"])
    >>> to_graphax(p, ["v4", "v2"])
    [3, 1, 4, 2]
    """
    check_graphax_numbering(problem)
    resolved = problem.resolve_order(list(order))
    indices = [equation_index(problem.names[v]) for v in resolved]
    return sorted(pruned_equations(problem), reverse=True) + [k for k in indices if k is not None]


@dataclass(frozen=True)
class ImportedOrder:
    """A Graphax order mapped onto a graph (:func:`from_graphax`).

    Attributes
    ----------
    order
        Every intermediate once, by name.
    pruned
        Indices dropped because the graph has no such vertex (the importer pruned them).
    outputs
        Indices dropped because the vertex is an output (or an input), never eliminated.
    appended
        Intermediates the order did not name, appended in forward order.
    """

    order: tuple[str, ...]
    pruned: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()
    appended: tuple[str, ...] = ()

    def remark(self) -> str | None:
        """One sentence on what was dropped or appended, ``None`` when nothing was."""
        parts = []
        if self.pruned:
            parts.append(
                f"dropped {_counted(self.pruned, 'equation')} that are no vertex of "
                f"this graph (pruned by the importer: {_listed(self.pruned)})"
            )
        if self.outputs:
            parts.append(f"dropped {_counted(self.outputs, 'output')} ({_listed(self.outputs)})")
        if self.appended:
            parts.append(
                f"appended {_counted(self.appended, 'intermediate')} the order does "
                f"not name, in forward order ({_listed(self.appended)})"
            )
        return "; ".join(parts) or None


def _counted(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _listed(items: Sequence[object], shown: int = 8) -> str:
    text = ", ".join(str(i) for i in items[:shown])
    return text + (f", … (+{len(items) - shown})" if len(items) > shown else "")


def from_graphax(problem: EliminationProblem, indices: Sequence[int]) -> ImportedOrder:
    """Map a Graphax / AlphaGrad order (equation indices) onto ``problem``'s vertices.

    Indices whose vertex ``v{k}`` is not in the graph, or is an output, are dropped; the
    intermediates the order does not name are appended in forward order.

    Raises
    ------
    UsageError
        When the graph lacks Graphax numbering or an index repeats.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x1", "v2"), ("v2", "v4"), ("v4", "v5")],
    ...     inputs=["x1"], intermediates=["v2", "v4"], outputs=["v5"])
    >>> from_graphax(p, [4, 3, 5])
    ImportedOrder(order=('v4', 'v2'), pruned=(3,), outputs=(5,), appended=('v2',))
    """
    check_graphax_numbering(problem)
    position = problem.position
    seen: set[int] = set()
    order: list[int] = []
    pruned: list[int] = []
    outputs: list[int] = []
    for k in indices:
        if k in seen:
            raise UsageError(
                f"the Graphax order names equation {k} twice", fix="list every equation index once"
            )
        seen.add(k)
        vertex = problem.index.get(f"v{k}")
        if vertex is None:
            pruned.append(k)
        elif vertex not in position:
            outputs.append(k)
        else:
            order.append(vertex)
    named = set(order)
    appended = [v for v in problem.topological_order() if v not in named]
    names = problem.names
    return ImportedOrder(
        tuple(names[v] for v in order + appended),
        tuple(pruned),
        tuple(outputs),
        tuple(names[v] for v in appended),
    )


def rescore(
    problem: EliminationProblem, indices: Sequence[int]
) -> tuple[EliminationCost, ImportedOrder]:
    """Score a Graphax / AlphaGrad order with graphcost's one cost model.

    Returns
    -------
    cost, imported
        :func:`~graphcost.eliminate.engine.eliminate` of the mapped order, and the mapping
        (:class:`ImportedOrder`: what was dropped or appended).
    """
    imported = from_graphax(problem, indices)
    return eliminate(problem, imported.order), imported


def format_graphax_order(indices: Iterable[int]) -> str:
    """The text of a Graphax order file: a Python list on one line.

    Examples
    --------
    >>> format_graphax_order([3, 1, 4, 2])
    '[3, 1, 4, 2]\\n'
    """
    return "[" + ", ".join(str(int(k)) for k in indices) + "]\n"


def parse_graphax_order(text: str, *, source: str = "the Graphax order") -> list[int]:
    """Equation indices from ``[12, 15, 3]`` or indices separated by commas, spaces, newlines.

    ``#`` starts a comment to the end of its line.

    Raises
    ------
    UsageError
        For a word that is not a positive integer, or no index at all.

    Examples
    --------
    >>> parse_graphax_order("[12, 15,\\n 3]  # best")
    [12, 15, 3]
    """
    body = " ".join(line.split("#", 1)[0] for line in text.splitlines())
    body = body.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    words = [w for w in re.split(r"[\s,]+", body) if w]
    if not words:
        raise UsageError(
            f"{source} holds no equation index", fix="write the indices as a list, e.g. [12, 15, 3]"
        )
    indices = []
    for word in words:
        if not word.isdecimal() or int(word) < 1:
            raise UsageError(
                f"{source} holds {word!r}, which is not an equation index",
                fix="Graphax orders are 1-based equation indices, e.g. [12, 15, 3]",
            )
        indices.append(int(word))
    return indices


def read_graphax_order(path: str | os.PathLike[str]) -> list[int]:
    """Read a Graphax order file (:func:`parse_graphax_order`).

    Raises
    ------
    GraphFileError
        When the file cannot be read.
    UsageError
        When it holds something other than equation indices.
    """
    from graphcost.files import read_text_file

    text = read_text_file(
        path,
        what="Graphax order file",
        limit_bytes=MAX_ORDER_BYTES,
        missing="cannot read the Graphax order file: no such file",
    )
    return parse_graphax_order(text, source=f"{Path(path)}")


@register(
    "graphax",
    description="a Graphax / AlphaGrad order of 1-based equation indices: graphax:PATH or "
    "graphax:12,15,3 (pruned equations and outputs dropped, unnamed vertices appended)",
    takes_argument=True,
)
def graphax_order(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The Graphax order in ``options.argument`` (a file, else an index list), mapped."""
    argument = (options.argument or "").strip()
    if os.path.lexists(argument):
        indices = read_graphax_order(argument)
    elif re.fullmatch(r"[\[\]\d\s,]+", argument):
        indices = parse_graphax_order(argument)
    else:
        raise GraphFileError(
            "no such Graphax order file, and not a list of equation indices either",
            path=argument or "''",
            fix="give graphax:PATH of an existing file, or graphax:12,15,3",
        )
    imported = from_graphax(problem, indices)
    return StrategyOutcome(imported.order, remark=imported.remark())
