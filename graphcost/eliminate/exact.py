"""The ``optimal`` strategy: the cheapest vertex elimination order, proven, by A* over subsets.

Dynamic programming over subsets
    The graph left after eliminating a set T of intermediates does not depend on the order
    in which T was eliminated: an edge u→v exists iff the original graph has a path
    u→…→v whose interior vertices all lie in T (by induction on |T|: eliminating j joins
    every predecessor of j to every successor of j). So the cost of eliminating j next
    depends only on T, and the cheapest order is a shortest path from ∅ to D in the lattice
    of subsets, 2^|D| states instead of |D|! orders.

Branch and bound (A*)
    The shortest path is searched best-first (A*) with

    - an **upper bound** U from the cheap strategies and a short, seeded run of ``search``:
      only states that might lead to an order cheaper than U are kept;
    - an **admissible, consistent lower bound** h(T) on the cost of finishing from T (below);
    - **memoised states**: one dict entry per subset (a bitmask) holding the cheapest cost
      found to reach it and the vertex eliminated last (to rebuild the order).

    A state's graph is not stored; it is rebuilt from the original graph when the state is
    expanded (|T| eliminations, in any order, by the property above), so memory is one dict
    entry per state.

The lower bound, and why it is admissible
    Let κ_in(j) be the fewest vertices (inputs allowed, j itself not) that meet every path
    from an input to j in the original graph G, and κ_out(j) the same for paths from j to an
    output (Menger: the most vertex-disjoint such paths; computed by max-flow). Take any set
    T of eliminated vertices with j ∉ T. Every input→j path of G, followed backwards from j,
    meets a first vertex u ∉ T (inputs are never eliminated), and the part of the path
    between u and j lies in T, so u→j is an edge of the graph after eliminating T: u is a
    current predecessor of j. Hence the current predecessors of j meet every input→j path,
    and |preds_T(j)| ≥ κ_in(j); likewise |succs_T(j)| ≥ κ_out(j). Whenever j is eliminated it
    costs |preds_T(j)|·|succs_T(j)| ≥ κ_in(j)·κ_out(j) =: w(j), whatever T is then. So

        h(T) = Σ_{j ∈ D \\ T} w(j)

    never exceeds the true cost of eliminating the rest in any order (admissible), and since
    the actual step cost of j is ≥ w(j) = h(T) − h(T ∪ {j}), it is consistent: A* expands
    every state at most once and stops with a proven optimum as soon as the smallest
    f = g + h in its queue reaches U (then U's order is optimal) or it reaches D.
    ``tests/test_exact.py`` checks h against brute force on random small DAGs. The same bound
    at T = ∅ is what ``search`` reports as its proven lower bound.

    The search uses the stronger *dynamic* form (:class:`CutBound`): the same cuts taken in
    the current graph G_T instead of G. Applying the argument above with G_T as the starting
    graph shows it admissible; a separator in G_T is one in G, so it is at least the static
    bound, and it only grows with T, so it stays consistent. A child is queued with its
    parent's cuts (weaker, still valid) and re-queued with its own when it comes first. On
    random DAGs this cuts the states expanded 3–10× (20 intermediates: 224,640 instead of
    759,168 states for the hardest of three).

    At block level (sizes, diag edges) the bound is taken as 0 (plain Dijkstra over the
    subsets): still exact, but only small block graphs are feasible.

Limits
    More than :data:`MAX_INTERMEDIATES` (node level) or :data:`MAX_BLOCK_INTERMEDIATES` (block
    level) intermediates: refused with a :class:`~graphcost.errors.UsageError`. When the time
    limit (``--time-limit``, default :data:`DEFAULT_SECONDS` s) expires or
    :data:`MAX_STATES` states are stored, the best order found so far is returned with
    ``proven_optimal=False`` and the lower bound proven so far (the smallest f in the queue).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Any

from graphcost.eliminate.engine import EliminationProblem
from graphcost.eliminate.strategies import StrategyOptions, StrategyOutcome, register
from graphcost.errors import UsageError

#: Most intermediates ``optimal`` accepts at node level.
MAX_INTERMEDIATES = 128
#: Most intermediates (blocks) ``optimal`` accepts at block level, where the bound is 0.
MAX_BLOCK_INTERMEDIATES = 24
#: Seconds ``optimal`` runs when no ``--time-limit`` is given.
DEFAULT_SECONDS = 20.0
#: States stored before the search stops as if out of time (bounds the memory, ~150 B each).
MAX_STATES = 4_000_000
#: Iterations of the seeded ``search`` run that gives the first upper bound (per intermediate).
UPPER_BOUND_ITERATIONS = 2000
#: At most this share of the time limit goes to that search.
UPPER_BOUND_SHARE = 0.25
#: Memoised cuts kept before the memo is cleared (bounds its memory).
MAX_CUT_CACHE = 2_000_000
#: The clock is read every this many expansions.
CLOCK_EVERY = 128


def cut_weights(problem: EliminationProblem) -> list[int]:
    """w(j) = κ_in(j)·κ_out(j) for every intermediate j (D's order), node level.

    κ_in(j) is the size of a smallest vertex set (inputs allowed, j not) meeting every path
    from an input to j; κ_out(j) likewise towards the outputs. Computed as unit vertex
    capacity max-flows (networkx) on the split graph (v_in → v_out of capacity 1).

    Examples
    --------
    Two disjoint paths x1→a→c and x2→b→c meet at c: κ_in(c) = 2.

    >>> from graphcost.eliminate.engine import problem_from_edges
    >>> p = problem_from_edges([("x1", "a"), ("x2", "b"), ("a", "c"), ("b", "c"), ("c", "y")],
    ...     inputs=["x1", "x2"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> cut_weights(p)
    [1, 1, 2]
    """
    import networkx as nx
    from networkx.algorithms.flow import edmonds_karp

    if problem.level != "node":
        raise UsageError("min-cut weights are defined at node level only")
    count = len(problem.names)
    big = count + 1  # "infinite": more than any vertex cut
    network = nx.DiGraph()
    for v in range(count):
        network.add_edge(("in", v), ("out", v), capacity=1)
        for s in problem.succs[v]:
            network.add_edge(("out", v), ("in", s), capacity=big)
    for v, role in enumerate(problem.roles):
        if role == "V":
            network.add_edge("source", ("in", v), capacity=big)
        elif role == "D'":
            network.add_edge(("out", v), "sink", capacity=big)
    weights = []
    for j in problem.intermediates:
        into = _cut(network, "source", ("in", j), len(problem.preds[j]), nx, edmonds_karp)
        out = _cut(network, ("out", j), "sink", len(problem.succs[j]), nx, edmonds_karp)
        weights.append(into * out)
    return weights


def _cut(network: Any, source: Any, target: Any, degree: int, nx: Any, flow: Any) -> int:
    if degree == 0 or not nx.has_path(network, source, target):
        return 0
    if degree == 1:  # the one neighbour is a cut of size 1, and a path exists
        return 1
    return int(nx.maximum_flow_value(network, source, target, flow_func=flow))


def lower_bound(problem: EliminationProblem) -> int:
    """A proven lower bound on the multiplications of every elimination order (node level).

    The sum of the min-cut weights κ_in(j)·κ_out(j) (see the module docstring for the proof),
    computed by :class:`CutBound` (bitmask max-flows; :func:`cut_weights` is the networkx
    computation of the same numbers, kept as the reference the tests compare with); 0 at block
    level.

    Examples
    --------
    >>> from graphcost.eliminate.engine import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "y1"), ("a", "y2")],
    ...     inputs=["x"], intermediates=["a"], outputs=["y1", "y2"])
    >>> lower_bound(p)
    2
    """
    if problem.level != "node":
        return 0
    from graphcost.eliminate.search import BitKernel

    return sum(CutBound(problem).weights(*BitKernel(problem).fresh(), 0))


class CutBound:
    """The lower bound h(T) = Σ_{j ∉ T} κ_in(j)·κ_out(j), with the cuts taken in the *current*
    graph G_T (the graph after eliminating T), memoised.

    Taking the cuts in G_T is the same argument as in the module docstring with G_T as the
    starting graph, so it is admissible; it is at least the static bound (a separator in G_T
    is one in G, by the path-through-eliminated-vertices property) and grows with T, so it
    stays consistent: h(T) − h(T ∪ {k}) ≤ κ_in(k)·κ_out(k) in G_T ≤ the cost of eliminating
    k. κ_in(j) in G_T depends only on which *ancestors* of j are eliminated (paths into j run
    through ancestors only), so it is memoised under (j, T ∩ ancestors(j)); likewise κ_out
    under the descendants. Each cut is a unit-capacity max-flow (:func:`vertex_cut`) on the
    bitmask adjacency.

    Examples
    --------
    >>> from graphcost.eliminate.engine import problem_from_edges
    >>> from graphcost.eliminate.search import BitKernel
    >>> p = problem_from_edges([("x1", "a"), ("x2", "b"), ("a", "c"), ("b", "c"), ("c", "y")],
    ...     inputs=["x1", "x2"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> preds, succs = BitKernel(p).fresh()
    >>> CutBound(p).weights(preds, succs, 0)
    [1, 1, 2]
    """

    def __init__(self, problem: EliminationProblem) -> None:
        from graphcost.eliminate.search import BitKernel

        kernel = BitKernel(problem)
        roles = problem.roles
        self.members = list(problem.intermediates)
        self.inputs = sum(1 << v for v, r in enumerate(roles) if r == "V")
        self.outputs = sum(1 << v for v, r in enumerate(roles) if r == "D'")
        inputs = [v for v, r in enumerate(roles) if r == "V"]
        outputs = [v for v, r in enumerate(roles) if r == "D'"]
        order = inputs + problem.topological_order() + outputs
        count = len(roles)
        self.ancestors = [0] * count
        self.descendants = [0] * count
        for v in order:
            for u in _members(kernel.preds[v]):
                self.ancestors[v] |= self.ancestors[u] | (1 << u)
        for v in reversed(order):
            for w in _members(kernel.succs[v]):
                self.descendants[v] |= self.descendants[w] | (1 << w)
        # Memo keys: (eliminated ancestors or descendants) << shift | tag, the tag j for κ_in
        # and count + j for κ_out.
        self.shift = (2 * count).bit_length()
        self.rows = [(j, count + j, self.ancestors[j], self.descendants[j]) for j in self.members]
        self.cache: dict[int, int] = {}

    def weights(self, preds: list[int], succs: list[int], gone: int) -> list[int]:
        """κ_in(j)·κ_out(j) in the current graph for every member j (0 for eliminated ones).

        ``preds``/``succs`` are the bitmask adjacency of G_T, ``gone`` the bitmask of T.
        """
        if len(self.cache) > MAX_CUT_CACHE:
            self.cache.clear()
        cache, shift, inputs, outputs = self.cache, self.shift, self.inputs, self.outputs
        result = []
        for j, out_tag, ancestors, descendants in self.rows:
            if gone >> j & 1:
                result.append(0)
                continue
            # int keys (faster than tuples): the eliminated ancestors, then the vertex (tagged).
            key = (gone & ancestors) << shift | j
            into = cache.get(key)
            if into is None:
                into = cache[key] = vertex_cut(preds, ancestors & ~gone, inputs, j)
            key = (gone & descendants) << shift | out_tag
            out = cache.get(key)
            if out is None:
                out = cache[key] = vertex_cut(succs, descendants & ~gone, outputs, j)
            result.append(into * out)
        return result


def vertex_cut(toward: list[int], alive: int, ends: int, target: int) -> int:
    """The most vertex-disjoint paths from ``ends`` to ``target`` (= the smallest vertex cut).

    ``toward[v]`` is the bitmask of the vertices with an edge *toward* v (predecessors for
    paths from the inputs; successors for paths to the outputs), ``alive`` the vertices that
    paths may use (besides ``target``), ``ends`` where paths start. Every vertex but ``target``
    has capacity 1 (split into an in-node 2v and an out-node 2v+1); augmenting paths by BFS.
    The flow is at most the number of ``target``'s neighbours, which stops it early.
    """
    limit = (toward[target] & alive).bit_count()
    if limit == 0:
        return 0
    # residual[a][b] = capacity left on a→b; node -1 is the super-source, 2·target the sink.
    residual: dict[int, dict[int, int]] = {-1: {}}
    big = limit + 1

    def arc(a: int, b: int, capacity: int) -> None:
        residual.setdefault(a, {})[b] = residual.get(a, {}).get(b, 0) + capacity
        residual.setdefault(b, {}).setdefault(a, 0)

    for v in _members(alive):
        arc(2 * v, 2 * v + 1, 1)
        if ends >> v & 1:
            arc(-1, 2 * v, big)
        for u in _members(toward[v] & alive):
            arc(2 * u + 1, 2 * v, big)
    sink = 2 * target
    for u in _members(toward[target] & alive):
        arc(2 * u + 1, sink, big)
    flow = 0
    while flow < limit:
        parent = {-1: -1}
        frontier = [-1]
        while frontier and sink not in parent:
            following = []
            for a in frontier:
                for b, capacity in residual[a].items():
                    if capacity > 0 and b not in parent:
                        parent[b] = a
                        following.append(b)
            frontier = following
        if sink not in parent:
            break
        b = sink
        while b != -1:
            a = parent[b]
            residual[a][b] -= 1
            residual[b][a] += 1
            b = a
        flow += 1
    return flow


def _members(mask: int) -> list[int]:
    found = []
    while mask:
        low = mask & -mask
        mask ^= low
        found.append(low.bit_length() - 1)
    return found


@dataclass(frozen=True)
class ExactResult:
    """What :func:`solve` found.

    Attributes
    ----------
    order
        The cheapest order found (vertex indices).
    cost
        Its multiplications.
    lower_bound
        Proven: no order costs less (equal to ``cost`` when proven optimal).
    proven_optimal
        Whether the search finished (``cost == lower_bound``).
    expanded
        States expanded.
    stopped
        Why it stopped early: ``"time"``, ``"memory"``, or ``None`` when it finished.
    """

    order: tuple[int, ...]
    cost: int
    lower_bound: int
    proven_optimal: bool
    expanded: int
    stopped: str | None


def solve(
    problem: EliminationProblem,
    *,
    upper: tuple[int, list[int]] | None = None,
    time_limit: float | None = DEFAULT_SECONDS,
    max_states: int = MAX_STATES,
    seed: int = 0,
) -> ExactResult:
    """A* over subsets of eliminated vertices (see the module docstring).

    Parameters
    ----------
    problem
        A numeric elimination problem.
    upper
        A known ``(cost, order)`` to beat; by default the best of the cheap strategies and a
        short seeded ``search``.
    time_limit
        Seconds before giving up the proof (``None``: no limit).
    max_states
        States stored before giving up the proof.
    seed
        Seed of the upper-bound search.

    Returns
    -------
    ExactResult

    Raises
    ------
    UsageError
        Beyond the size limits, or for symbolic sizes.

    Examples
    --------
    >>> from graphcost.eliminate.engine import problem_from_edges
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("b", "c"), ("c", "y"), ("x", "c")],
    ...     inputs=["x"], intermediates=["a", "b", "c"], outputs=["y"])
    >>> result = solve(p)
    >>> result.cost, result.proven_optimal
    (3, True)
    """
    from graphcost.eliminate.search import kernel_for, order_cost, search_order

    began = time.perf_counter()  # the time limit covers the upper-bound search too
    kernel = kernel_for(problem)
    members = list(problem.intermediates)
    count = len(members)
    node = problem.level == "node"
    limit = MAX_INTERMEDIATES if node else MAX_BLOCK_INTERMEDIATES
    if count > limit:
        raise UsageError(
            f"optimal handles at most {limit} intermediate vertices at {problem.level} level; "
            f"{problem.graph_name!r} has {count}",
            fix="use --strategy search (it reports the proven lower bound too)",
        )
    cuts = CutBound(problem) if node else None
    weights = cuts.weights(*kernel.fresh(), 0) if cuts is not None else [0] * count
    root_bound = sum(weights)
    if upper is None:
        budget = None if time_limit is None else UPPER_BOUND_SHARE * time_limit
        cost, order, _ = search_order(
            problem,
            StrategyOptions(
                seed=seed, iterations=UPPER_BOUND_ITERATIONS * count, time_limit=budget
            ),
            target=root_bound,
        )
        upper = (cost, order)
    best_cost, best_order = upper[0], list(upper[1])
    if best_cost != order_cost(kernel, best_order):
        raise ValueError("the upper bound's cost does not match its order")
    full = (1 << count) - 1
    if root_bound >= best_cost:
        return ExactResult(tuple(best_order), best_cost, best_cost, True, 0, None)
    # memo[mask] = (g << 8) | k: cheapest cost found to reach mask, and the member eliminated
    # last on that path (count ≤ 255), so that the order is rebuilt by walking back.
    memo: dict[int, int] = {0: 0}
    # Queue entries (f, -g, mask, evaluated): a child is queued with f from its parent's cuts
    # (a valid but weaker bound) and re-queued once with its own cuts when it comes first.
    queue: list[tuple[int, int, int, bool]] = [(root_bound, 0, 0, True)]
    expanded = 0
    stopped = None
    while queue:
        f, negative_g, mask, evaluated = queue[0]
        if f >= best_cost:
            break  # every unexplored order costs at least best_cost: it is optimal
        heapq.heappop(queue)
        g = -negative_g
        if memo[mask] >> 8 < g:
            continue  # a cheaper path to this state was found after this entry was queued
        if mask == full:
            best_cost, best_order = g, _walk_back(memo, full, members)
            break
        state = kernel.fresh()
        rest = mask
        gone = 0
        while rest:
            low = rest & -rest
            rest ^= low
            vertex = members[low.bit_length() - 1]
            kernel.step(state, vertex)
            gone |= 1 << vertex
        if cuts is not None:
            weights = cuts.weights(state[0], state[1], gone)
            remaining = sum(weights)
            if not evaluated and g + remaining > f:
                if g + remaining >= best_cost:
                    continue  # cannot lead to a cheaper order
                if queue and g + remaining > queue[0][0]:
                    heapq.heappush(queue, (g + remaining, negative_g, mask, True))
                    continue
                # still first in the queue: expand it now instead of rebuilding it later
        else:
            remaining = 0
        expanded += 1
        if expanded % CLOCK_EVERY == 0:
            if time_limit is not None and time.perf_counter() - began > time_limit:
                stopped = "time"
            elif len(memo) > max_states:
                stopped = "memory"
            if stopped:
                heapq.heappush(queue, (f, negative_g, mask, evaluated))
                break
        rest = full & ~mask
        while rest:
            low = rest & -rest
            rest ^= low
            k = low.bit_length() - 1
            g2 = g + kernel.cost(state, members[k])
            f2 = g2 + remaining - weights[k]
            if f2 >= best_cost:
                continue
            child = mask | low
            known = memo.get(child)
            if known is not None and known >> 8 <= g2:
                continue
            memo[child] = (g2 << 8) | k
            heapq.heappush(queue, (f2, -g2, child, False))
    proven = stopped is None
    bound = best_cost if proven else min(queue[0][0], best_cost)
    return ExactResult(tuple(best_order), best_cost, bound, proven, expanded, stopped)


def _walk_back(memo: dict[int, int], mask: int, members: list[int]) -> list[int]:
    order = []
    while mask:
        k = memo[mask] & 0xFF
        order.append(members[k])
        mask ^= 1 << k
    return order[::-1]


@register(
    "optimal",
    description="exact minimum over all orders: A* over subsets with a min-cut lower bound "
    "(--time-limit)",
)
def optimal(problem: EliminationProblem, options: StrategyOptions) -> StrategyOutcome:
    """The ``optimal`` strategy: :func:`solve` with the user's time limit and seed.

    When the time limit expires it returns the best order found, ``proven_optimal=False``
    and the lower bound proven so far.

    Examples
    --------
    >>> from graphcost.eliminate.engine import problem_from_edges
    >>> from graphcost.eliminate.strategies import run_strategy
    >>> p = problem_from_edges([("x", "a"), ("a", "b"), ("x", "b"), ("b", "y")],
    ...     inputs=["x"], intermediates=["a", "b"], outputs=["y"])
    >>> result = run_strategy(p, "optimal")
    >>> result.cost.multiplications, result.proven_optimal
    (2, True)
    """
    from graphcost.eliminate.search import check_budget

    check_budget(options.time_limit, None)
    seconds = DEFAULT_SECONDS if options.time_limit is None else options.time_limit
    result = solve(problem, time_limit=seconds, seed=options.seed)
    remark = {
        None: None,
        "time": f"time limit of {seconds:g} s reached before the proof: best order found so far "
        "(raise --time-limit to prove more)",
        "memory": "state limit reached before the proof: best order found so far",
    }[result.stopped]
    return StrategyOutcome(
        result.order,
        lower_bound=result.lower_bound,
        proven_optimal=result.proven_optimal,
        remark=remark,
    )
