"""Edge elimination: front- and back-elimination of single edges, scored like vertex elimination.

Griewank & Walther (*Evaluating Derivatives*, 2nd ed., §10.1) and Naumann (Math. Prog. 99,
2004) define, on the current graph with edge values c_ij:

front-elimination of (i, j)   (j an intermediate)
    for every successor k of j: c_ik += c_jk · c_ij (an edge (i, k) is created — *fill-in* —
    when missing; otherwise the product is *absorbed*, one scalar addition); then (i, j) is
    removed. Cost: |succs(j)| multiplications. When j has no predecessor left it is isolated
    from the inputs and is removed with its out-edges (their values are no longer needed).
back-elimination of (i, j)    (i an intermediate)
    for every predecessor h of i: c_hj += c_ij · c_hi; then (i, j) is removed. Cost:
    |preds(i)| multiplications. When i has no successor left it is removed with its in-edges.

Every product is counted: at node level no partial is a unit (those come only from the seeds
of forward and reverse mode) and no edge is a structural zero, the convention of
:mod:`graphcost.eliminate.engine`. Eliminating vertex j *is* front-eliminating all its
in-edges, or back-eliminating all its out-edges (:func:`vertex_steps`); its |preds|·|succs|
products, fill-in and additions are then those of the vertex engine (tested). Edge sequences
therefore include every vertex order and can be strictly cheaper
(``graphs/witness-edge.yaml``). The elimination ends when no edge has an intermediate end,
i.e. the edges left join inputs to outputs and carry the Jacobian.

Node level only (one scalar per vertex); :func:`require_node_level` refuses block-level
problems with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.problem import EliminationCost, EliminationProblem
from graphcost.errors import UsageError
from graphcost.graph.model import INTERMEDIATE

FRONT, BACK = "front", "back"


@dataclass(frozen=True, order=True)
class EdgeStep:
    """One edge elimination: ``direction`` is ``"front"`` or ``"back"`` of edge src → dst."""

    src: int
    dst: int
    direction: str

    def label(self, problem: EliminationProblem) -> str:
        """``"front x -> a"``: the step with vertex names."""
        return f"{self.direction} {problem.names[self.src]} -> {problem.names[self.dst]}"


def require_node_level(problem: EliminationProblem, family: str) -> None:
    """Refuse a block-level or symbolic problem for an edge or face family.

    Raises
    ------
    UsageError
        Naming the fix (``--nodes``).
    """
    if problem.level != "node":
        raise UsageError(
            f"{family} elimination works on node-level graphs; {problem.graph_name!r} is "
            "eliminated at block level",
            fix="add --nodes (elimination_problem(graph, level='node'))",
        )


class EdgeEliminationState:
    """A node-level graph part-way through an edge elimination.

    Attributes
    ----------
    problem
        The problem being eliminated (node level).
    preds, succs
        The current adjacency (do not modify directly).
    steps
        The steps taken so far.
    multiplications, additions
        The running totals.

    Examples
    --------
    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "y"), ("a", "z")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y", "z"])
    >>> state = EdgeEliminationState(p)
    >>> state.apply(EdgeStep(0, 1, "front")), state.done
    ((2, 0), True)
    """

    def __init__(self, problem: EliminationProblem) -> None:
        require_node_level(problem, "edge")
        self.problem = problem
        self.preds: list[set[int]] = [set(p) for p in problem.preds]
        self.succs: list[set[int]] = [set(s) for s in problem.succs]
        self.steps: list[EdgeStep] = []
        self.multiplications = 0
        self.additions = 0
        self._middle = [role == INTERMEDIATE for role in problem.roles]

    def copy(self) -> EdgeEliminationState:
        """An independent copy (for branching searches)."""
        twin = EdgeEliminationState.__new__(EdgeEliminationState)
        twin.problem, twin._middle = self.problem, self._middle
        twin.preds = [set(p) for p in self.preds]
        twin.succs = [set(s) for s in self.succs]
        twin.steps = list(self.steps)
        twin.multiplications, twin.additions = self.multiplications, self.additions
        return twin

    def key(self) -> frozenset[tuple[int, int]]:
        """The current edge set: two states with equal keys have the same future."""
        return frozenset((i, j) for i, out in enumerate(self.succs) for j in out)

    @property
    def done(self) -> bool:
        """Whether no edge has an intermediate end (the Jacobian is accumulated)."""
        return next(self.options(), None) is None

    def options(self) -> Iterator[EdgeStep]:
        """Every step possible now, in a fixed order (edges by source, then destination)."""
        middle = self._middle
        for i, out in enumerate(self.succs):
            for j in sorted(out):
                if middle[j]:
                    yield EdgeStep(i, j, FRONT)
                if middle[i]:
                    yield EdgeStep(i, j, BACK)

    def cost(self, step: EdgeStep) -> int:
        """Multiplications of ``step`` now (the graph is not changed)."""
        return len(self.succs[step.dst]) if step.direction == FRONT else len(self.preds[step.src])

    def fill_in(self, step: EdgeStep) -> int:
        """New edges ``step`` would create now."""
        i, j = step.src, step.dst
        if step.direction == FRONT:
            return len(self.succs[j] - self.succs[i])
        return len(self.preds[i] - self.preds[j])

    def apply(self, step: EdgeStep) -> tuple[int, int]:
        """Take ``step``; return its (multiplications, additions).

        Raises
        ------
        UsageError
            When the edge is not in the current graph or its end is no intermediate.
        """
        i, j = step.src, step.dst
        names = self.problem.names
        if j not in self.succs[i]:
            raise UsageError(
                f"edge {names[i]} -> {names[j]} is not in the graph at step {len(self.steps) + 1}",
                fix="an edge sequence names edges present when their turn comes",
            )
        end = j if step.direction == FRONT else i
        if not self._middle[end] or step.direction not in (FRONT, BACK):
            raise UsageError(
                f"cannot {step.direction}-eliminate {names[i]} -> {names[j]}: "
                f"{names[end]!r} is not an intermediate vertex",
                fix="front-eliminate edges into intermediates, back-eliminate edges out of them",
            )
        if step.direction == FRONT:
            far = self.succs[j]
            fresh = self._link_many(i, far)
        else:
            far = self.preds[i]
            fresh = self._link_many_into(far, j)
        multiplications, additions = len(far), len(far) - fresh
        self.succs[i].discard(j)
        self.preds[j].discard(i)
        if step.direction == FRONT and not self.preds[j]:
            self._drop_out_edges(j)
        if step.direction == BACK and not self.succs[i]:
            self._drop_in_edges(i)
        self.steps.append(step)
        self.multiplications += multiplications
        self.additions += additions
        return multiplications, additions

    def _link_many(self, i: int, targets: set[int]) -> int:
        out = self.succs[i]
        before = len(out)
        out |= targets
        for k in targets:
            self.preds[k].add(i)
        return len(out) - before

    def _link_many_into(self, sources: set[int], j: int) -> int:
        into = self.preds[j]
        before = len(into)
        into |= sources
        for h in sources:
            self.succs[h].add(j)
        return len(into) - before

    def _drop_out_edges(self, j: int) -> None:
        for k in self.succs[j]:
            self.preds[k].discard(j)
        self.succs[j] = set()

    def _drop_in_edges(self, i: int) -> None:
        for h in self.preds[i]:
            self.succs[h].discard(i)
        self.preds[i] = set()

    def vertex_steps(self, vertex: int, direction: str = FRONT) -> list[EdgeStep]:
        """Vertex elimination of ``vertex`` as edge steps: all its in-edges front-eliminated
        (``"front"``), or all its out-edges back-eliminated (``"back"``); a vertex without
        in-edges (out-edges) goes by the other side, which costs nothing."""
        if (direction == FRONT and self.preds[vertex]) or not self.succs[vertex]:
            return [EdgeStep(p, vertex, FRONT) for p in sorted(self.preds[vertex])]
        return [EdgeStep(vertex, s, BACK) for s in sorted(self.succs[vertex])]


def resolve_edge_steps(problem: EliminationProblem, steps: Iterable[Any]) -> list[EdgeStep]:
    """Edge steps from :class:`EdgeStep` or ``(src, dst, direction)`` with names or indices."""
    resolved = []
    for step in steps:
        if isinstance(step, EdgeStep):
            resolved.append(step)
            continue
        try:
            src, dst, direction = step
        except (TypeError, ValueError):
            raise UsageError(
                f"an edge step is (src, dst, 'front' or 'back'), not {step!r}",
                fix="write steps such as ('x', 'a', 'front')",
            ) from None
        ends = [
            problem.index[v] if isinstance(v, str) and v in problem.index else v for v in (src, dst)
        ]
        if not all(isinstance(v, int) and 0 <= v < len(problem.names) for v in ends):
            raise UsageError(
                f"edge step {step!r} names an unknown vertex", fix="use the graph's vertex names"
            )
        resolved.append(EdgeStep(ends[0], ends[1], str(direction)))
    return resolved


def eliminate_edges(problem: EliminationProblem, steps: Iterable[Any]) -> EliminationCost:
    """Score an edge-elimination sequence: the one cost model of the edge family.

    Parameters
    ----------
    problem
        A node-level problem.
    steps
        :class:`EdgeStep` items, or ``(src, dst, "front" | "back")`` with names or indices.

    Returns
    -------
    EliminationCost
        ``order`` holds the steps as text (``"front x -> a"``).

    Raises
    ------
    UsageError
        Block level; a step that is not possible when its turn comes; a sequence that leaves
        an edge with an intermediate end.

    Examples
    --------
    Front-eliminating x→a multiplies it into a→y and a→z: 2 multiplications.

    >>> from graphcost.eliminate.problem import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "y"), ("a", "z")], inputs=["x"],
    ...     intermediates=["a"], outputs=["y", "z"])
    >>> eliminate_edges(p, [("x", "a", "front")]).multiplications
    2
    """
    state = EdgeEliminationState(problem)
    for step in resolve_edge_steps(problem, steps):
        state.apply(step)
    if not state.done:
        left = next(s for s in state.options())
        raise UsageError(
            f"the edge sequence leaves {problem.names[left.src]} -> "
            f"{problem.names[left.dst]} (an intermediate end) uneliminated",
            fix="eliminate edges until only input -> output edges remain",
        )
    return EliminationCost(
        multiplications=state.multiplications,
        additions=state.additions,
        order=tuple(step.label(problem) for step in state.steps),
    )


def vertex_order_as_edges(
    problem: EliminationProblem, order: Iterable[Any], directions: Iterable[str] | None = None
) -> list[EdgeStep]:
    """The edge sequence of a vertex order: each vertex's in-edges front-eliminated (or, where
    ``directions`` says ``"back"``, its out-edges back-eliminated)."""
    vertices = problem.resolve_order(order)
    chosen = list(directions) if directions is not None else [FRONT] * len(vertices)
    state = EdgeEliminationState(problem)
    for vertex, direction in zip(vertices, chosen, strict=True):
        for step in state.vertex_steps(vertex, direction):
            state.apply(step)
    return state.steps
