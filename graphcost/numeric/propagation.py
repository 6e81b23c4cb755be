"""Numeric forward and backward recursion: real Δ values, the multiplications performed, ∂D'/∂V.

Data flow: a :class:`~graphcost.graph.model.Graph` with a ``g:`` section → :func:`build_model`
(sizes,
parsed definitions, parameters θ, compiled node functions) → :func:`evaluate` (the primal values
α_v) → :func:`local_jacobians` (one factor ∂g_v/∂α_w per edge: a dense matrix on a full edge,
a vector on a diag edge) → :func:`forward` / :func:`backward` → :class:`Propagation`.

Both recursions are one engine, :func:`_propagate`: the backward recursion is the forward one run
on the reversed graph with transposed factors and the outputs as seeds. Every product it performs
is counted where it is performed, and it performs exactly the products of the *elimination*
convention (:mod:`graphcost.count.recursions`): a product with a unit seed (Δ_uu = 1) is a copy,
and a
structural zero is never stored, so never multiplied. Per block the sensitivity is a dense matrix
over the seed nodes that reach it through some full edge, plus a vector per seed block that
reaches it only along diag edges (a diagonal, stored as such). At node level every block is a
single node, so each step is one numpy operation over all seed directions at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.errors import (
    EvaluationError,
    GraphTooLargeError,
    GraphValidationError,
    UsageError,
)
from graphcost.graph.definitions import PARAMS_RESERVED, Definition
from graphcost.graph.functions import LAYER_OPS, numpy_functions, sympy_functions
from graphcost.graph.model import INPUT, OUTPUT, Graph

#: Default seed of the random parameters and inputs.
DEFAULT_SEED = 0

#: Most floats a numeric model may hold (node values and parameters) and a recursion may store
#: (its Δ matrices): 5·10⁷ floats, 400 MB. A graph beyond it is refused before anything is
#: allocated, instead of being expanded until memory runs out (or, on a large machine, for hours).
MAX_NUMERIC_ENTRIES = 50_000_000

#: Most multiply-adds the finite differences of ``check`` may cost (4·|V| evaluations of the
#: graph): about ten seconds of numpy.
MAX_DIFFERENCE_WORK = 20_000_000_000


@dataclass
class NumericModel:
    """A graph with everything needed to evaluate it: sizes, definitions, parameters.

    Attributes
    ----------
    graph
        The graph.
    sizes
        The block sizes.
    definitions
        Block index → :class:`~graphcost.graph.definitions.Definition` (every non-input block).
    params
        Parameter name → array (weights ``W_<block>``, biases ``b_<block>``, scalar constants).
    param_sources
        Parameter name → where it came from (``"file"``, the ``.npz`` path, ``"seed N"``).
    inputs, outputs
        Input and output block indices, in file order.
    """

    graph: Graph
    sizes: list[int]
    definitions: dict[int, Definition]
    params: dict[str, np.ndarray]
    param_sources: dict[str, str]
    inputs: list[int]
    outputs: list[int]
    _kernels: dict[int, Any] = field(default_factory=dict, repr=False)

    def node_names(self, blocks: list[int]) -> list[str]:
        """Node names of ``blocks`` laid side by side (``x`` or ``x[0]``, ``x[1]``, ...)."""
        names = []
        for b in blocks:
            name = self.graph.blocks[b].name
            names.extend(
                [name] if self.sizes[b] == 1 else [f"{name}[{i}]" for i in range(self.sizes[b])]
            )
        return names

    def weight_name(self, block: int, parent: int) -> str:
        """The parameter holding θ for the edges ``parent → block`` of a layer op."""
        definition = self.definitions[block]
        name = self.graph.blocks[block].name
        if len(definition.parents) == 1:
            return f"W_{name}"
        return f"W_{name}_{self.graph.blocks[parent].name}"


@dataclass(frozen=True)
class LocalJacobian:
    """The factor ∂g_dst/∂α_src of one edge at the current point.

    ``value`` is a ``(size_dst, size_src)`` matrix on a full edge and a ``(size,)`` vector (the
    diagonal) on a diag edge.
    """

    src: int
    dst: int
    diag: bool
    value: np.ndarray


@dataclass
class Propagation:
    """The result of a numeric forward or backward recursion.

    Attributes
    ----------
    mode
        ``"forward"`` or ``"backward"``.
    values
        Primal value α of every block (a vector of its size).
    deltas
        Per block, the dense matrix of its Δ values: forward ``Δ_uv`` for every input node u
        (shape ``(size_v, |V|)``); backward ``Δ_vy`` for every output node y
        (shape ``(size_v, |D'|)``), i.e. the adjoints.
    jacobian
        ∂D'/∂V, shape ``(|D'|, |V|)``.
    multiplications
        Scalar multiplications performed.
    """

    mode: str
    values: list[np.ndarray]
    deltas: list[np.ndarray]
    jacobian: np.ndarray
    multiplications: int


# ---------------------------------------------------------------------------------------------
# Building the model: definitions, parameters, compiled node functions


def build_model(
    graph: Graph,
    *,
    values: Mapping[str, int] | None = None,
    seed: int = DEFAULT_SEED,
    params_file: str | None = None,
) -> NumericModel:
    """Prepare ``graph`` for numeric evaluation.

    Parameters
    ----------
    graph
        A graph with a ``g:`` section.
    values
        Size symbol overrides (``--set``).
    seed
        Seed of the generator for parameters given neither in the file nor in an ``.npz``
        (see :func:`draw_parameter`).
    params_file
        An ``.npz`` of parameters (overrides ``params: {file: ...}``).

    Raises
    ------
    GraphValidationError, EvaluationError, SizeError

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x"], "D'": ["y"], "g": {"y": "x**2"}})
    >>> build_model(g).sizes
    [1, 1]
    """
    if graph.definitions is None:
        raise GraphValidationError(
            "the graph has no node functions (section g)",
            path=graph.path,
            fix="define every node of D and D' under g:, e.g. g: {v1: x * w}",
        )
    sizes = graph.sizes(values)
    raw_params = graph.extra.get("params")
    model = NumericModel(
        graph=graph,
        sizes=sizes,
        definitions=graph.definitions,
        params={},
        param_sources={},
        inputs=graph.blocks_with_role(INPUT),
        outputs=graph.blocks_with_role(OUTPUT),
    )
    _within_budget(model)
    _resolve_params(model, raw_params, seed, params_file)
    return model


def _within_budget(model: NumericModel) -> None:
    """Refuse a model whose values and parameters exceed :data:`MAX_NUMERIC_ENTRIES`."""
    entries = sum(model.sizes) + sum(
        int(np.prod(shape, dtype=object)) for shape in _expected_params(model).values()
    )
    if entries > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"numeric evaluation of {model.graph.name!r} needs {entries:,} node values and "
            f"parameters, more than {MAX_NUMERIC_ENTRIES:,} (400 MB)",
            path=model.graph.path,
            fix="evaluate a smaller instance (--set); analyze counts the large one",
        )


def evaluation_work(model: NumericModel) -> int:
    """Multiply-adds of one evaluation of the graph: the layer ops' weights plus every node."""
    return sum(int(p.size) for p in model.params.values()) + sum(model.sizes)


def _resolve_params(model: NumericModel, raw: Any, seed: int, params_file: str | None) -> None:
    graph = model.graph
    if raw is not None and not isinstance(raw, Mapping):
        raise GraphValidationError(
            "'params' must be a mapping from parameter name to a number or a list",
            path=graph.path,
            fix="e.g. params: {y: 1, W_z1: [[0.1, 0.2]]} or params: {file: weights.npz}",
        )
    raw = raw or {}
    lines = getattr(raw, "lines", {})
    stored: dict[str, np.ndarray] = {}
    npz = params_file
    source = str(params_file) if params_file else None
    if npz is None and "file" in raw:
        if not isinstance(raw["file"], str):
            raise GraphValidationError(
                "params: file must be a path to an .npz", path=graph.path, line=lines.get("file")
            )
        base = Path(graph.path).parent if graph.path else Path.cwd()
        npz = str(base / raw["file"])
        source = raw["file"]
    if npz is not None:
        stored = _read_npz(npz)
    expected = _expected_params(model)
    for name in raw:
        if name not in PARAMS_RESERVED and name not in expected:
            raise GraphValidationError(
                f"unknown parameter {name!r}",
                path=graph.path,
                line=lines.get(name),
                fix=f"this graph's parameters are: {', '.join(expected) or 'none'}",
            )
    rng = _generator(seed)
    for name, shape in expected.items():
        if name in raw:
            array = _as_array(raw[name], name, graph.path, lines.get(name))
            origin = "file"
        elif name in stored:
            array = stored[name]
            origin = str(source)
        elif not shape:
            raise GraphValidationError(
                f"constant {name!r} has no value",
                path=graph.path,
                fix=f"give it under params:, e.g. params: {{{name}: 1.0}}",
            )
        else:
            array = draw_parameter(rng, shape)
            origin = f"seed {seed}"
        if array.shape != shape:
            raise EvaluationError(
                f"parameter {name!r} has shape {array.shape}, expected {shape}",
                path=graph.path,
                line=lines.get(name),
                fix="rows = size of the block, columns = size of the parent block",
            )
        if not np.all(np.isfinite(array)):
            raise EvaluationError(f"parameter {name!r} has non-finite entries", path=graph.path)
        model.params[name] = array
        model.param_sources[name] = origin


#: Standard deviation of the biases drawn from ``--seed``.
BIAS_SCALE = 0.1


def draw_parameter(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A weight or bias drawn when none is given: zero-mean, He-scaled.

    Weights ``W ~ randn(m, n)·√(2/n)`` (He initialisation, n = fan-in) and biases
    ``b ~ 0.1·randn(m)``. Zero mean is what matters: seed 002's ``rand(m, n)/√m`` is all
    positive, so every unit of a layer sees the same shift ``mean(W)·Σx``, which dominates the
    fan-in's random part on wide layers; on 784-300-100 every first-layer relu unit was then
    inactive at the default point, the Jacobian identically zero and ``check`` vacuous. With
    zero-mean weights about half of the relu units are active, and the √(2/n) scale keeps the
    pre-activations of order one through relu layers.

    Examples
    --------
    >>> w = draw_parameter(np.random.default_rng(0), (300, 784))
    >>> abs(float(w.mean())) < 0.01, round(float(w.std() * np.sqrt(784 / 2)), 1)
    (True, 1.0)
    """
    if len(shape) == 2:
        return rng.standard_normal(shape) * np.sqrt(2.0 / shape[1])
    return rng.standard_normal(shape) * BIAS_SCALE


def _generator(seed: int) -> np.random.Generator:
    """numpy's generator for ``seed``; a seed numpy refuses (negative) is a usage error."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"seed {seed!r} is not a non-negative integer", fix="e.g. --seed 0")
    return np.random.default_rng(seed)


def _expected_params(model: NumericModel) -> dict[str, tuple[int, ...]]:
    """Every parameter the definitions need, with its shape, in a fixed (file) order."""
    expected: dict[str, tuple[int, ...]] = {}
    for block in sorted(model.definitions):
        definition = model.definitions[block]
        if definition.op is None:
            for constant in definition.constants:
                expected[constant] = ()
            continue
        for parent in definition.parents:
            expected[model.weight_name(block, parent)] = (
                model.sizes[block],
                model.sizes[parent],
            )
        if LAYER_OPS[definition.op].bias:
            expected[f"b_{model.graph.blocks[block].name}"] = (model.sizes[block],)
    return expected


def _as_array(value: Any, name: str, path: str | None, line: int | None) -> np.ndarray:
    try:
        array = np.array(value, dtype=float)
    except OverflowError:
        # A YAML integer beyond float range (10**400): name it rather than fail internally.
        raise EvaluationError(
            f"parameter {name!r} has a number too large for a float (beyond 1.8e308)",
            path=path,
            line=line,
            fix="give finite values of moderate size",
        ) from None
    except (TypeError, ValueError):
        raise EvaluationError(
            f"parameter {name!r} is not a number or a (nested) list of numbers: {value!r}",
            path=path,
            line=line,
        ) from None
    return array


def _read_npz(path: str) -> dict[str, np.ndarray]:
    from graphcost.files import open_regular, shown_path

    # open_regular refuses a FIFO or device before opening it (np.load would block on it).
    file = open_regular(
        path,
        what="parameter file",
        shown=shown_path(path),
        limit_bytes=1 << 30,
        too_large_fix="give smaller parameter arrays",
        missing=f"parameter file {shown_path(path)} not found",
        missing_fix="check the path",
        error=UsageError,
    )
    try:
        with file:
            data = np.load(file, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):  # a single .npy array
                raise ValueError("it holds one array (.npy), not named arrays (.npz)")
            with data:
                return {key: np.asarray(data[key], dtype=float) for key in data.files}
    except (OSError, ValueError) as error:
        raise UsageError(
            f"cannot read parameter file {path!r}: {error}",
            fix="give an .npz written by numpy.savez with arrays named W_<block>, b_<block>",
        ) from None


@dataclass(frozen=True)
class _Kernel:
    """An elementwise definition compiled for numpy: its value and one partial per parent."""

    value: Any
    partials: tuple[Any, ...]


def _kernel(model: NumericModel, block: int) -> _Kernel:
    if block in model._kernels:
        return model._kernels[block]
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    # Internal names only: a node's name never reaches generated code.
    arguments = [sympy.Symbol(f"_a{i}", real=True) for i in range(len(definition.parents))]
    symbols: dict[str, Any] = {
        blocks[p].name: arguments[i] for i, p in enumerate(definition.parents)
    }
    for constant in definition.constants:
        symbols[constant] = sympy.Float(float(model.params[constant]))
    expression = definition.expr.to_sympy(symbols, sympy_functions())
    partials = tuple(sympy.diff(expression, a) for a in arguments)
    for what, form in (("value", expression), *(("derivative", d) for d in partials)):
        # sympy folds e.g. 1/(x - x) to zoo and sqrt(-1) to I: undefined or complex everywhere.
        if form.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
            raise EvaluationError(
                f"the {what} of {blocks[block].name} ({definition.text}) is undefined or "
                f"not real everywhere (sympy simplifies it to {form})",
                path=model.graph.path,
                line=definition.line,
                fix="rewrite g so that it is real and finite for some inputs",
            )
    kernel = _Kernel(
        value=_compile(expression, len(arguments)),
        partials=tuple(_compile(d, len(arguments)) for d in partials),
    )
    model._kernels[block] = kernel
    return kernel


@lru_cache(maxsize=4096)
def _compile(expression: Any, count: int) -> Any:
    import sympy

    arguments = [sympy.Symbol(f"_a{i}", real=True) for i in range(count)]
    return sympy.lambdify(arguments, expression, modules=[numpy_functions(), "numpy"])


# ---------------------------------------------------------------------------------------------
# Inputs and the primal evaluation


def input_values(
    model: NumericModel,
    at: Mapping[str, Any] | None = None,
    *,
    seed: int = DEFAULT_SEED,
) -> tuple[dict[int, np.ndarray], dict[str, str]]:
    """The point x: ``at`` overrides the file's ``at:``; the rest is drawn ``randn`` (seeded).

    Returns
    -------
    values, sources
        Input block index → vector, and input name → ``"file"``, ``"--at"`` or ``"seed N"``.

    Raises
    ------
    EvaluationError
        For an unknown input name or a value of the wrong length.
    """
    graph = model.graph
    from_file = graph.extra.get("at") or {}
    if not isinstance(from_file, Mapping):
        raise GraphValidationError(
            "'at' must be a mapping from input name to a value",
            path=graph.path,
            fix="e.g. at: {x: 0.3, w: 0.5}",
        )
    lines = getattr(from_file, "lines", {})
    given = {k: (v, "file") for k, v in from_file.items()}
    given.update({k: (v, "--at") for k, v in (at or {}).items()})
    names = {graph.blocks[b].name: b for b in model.inputs}
    for name in given:
        if name not in names:
            raise EvaluationError(
                f"at: {name!r} is not an input",
                path=graph.path,
                line=lines.get(name) if given[name][1] == "file" else None,
                fix=f"the inputs are: {', '.join(names)}",
            )
    rng = _generator(seed + 1)  # a stream apart from the parameters' one
    values: dict[int, np.ndarray] = {}
    sources: dict[str, str] = {}
    for name, block in names.items():
        size = model.sizes[block]
        draw = rng.standard_normal(size)  # drawn for every input so others stay put
        if name in given:
            raw, origin = given[name]
            vector = _as_array(raw, f"at {name}", graph.path, lines.get(name))
            if vector.ndim == 0:
                vector = np.full(size, float(vector))
            if vector.shape != (size,) or not np.all(np.isfinite(vector)):
                raise EvaluationError(
                    f"value of input {name!r} must be a finite number or a list of {size}",
                    path=graph.path,
                    line=lines.get(name) if origin == "file" else None,
                )
        else:
            vector, origin = draw, f"seed {seed}"
        values[block] = vector.astype(float)
        sources[name] = origin
    return values, sources


def evaluate(model: NumericModel, inputs: Mapping[int, np.ndarray]) -> list[np.ndarray]:
    """The primal values α_v of every block, in block order.

    Raises
    ------
    EvaluationError
        When a node's value is not finite (e.g. ``log`` of a negative number), naming it.
    """
    values: list[np.ndarray] = [np.empty(0)] * len(model.sizes)
    for block in model.graph.order.tolist():
        if block in inputs:
            values[block] = np.asarray(inputs[block], dtype=float)
            continue
        definition = model.definitions[block]
        with np.errstate(all="ignore"):
            if definition.op is not None:
                total = np.zeros(model.sizes[block])
                for parent in definition.parents:
                    total = total + model.params[model.weight_name(block, parent)] @ values[parent]
                if LAYER_OPS[definition.op].bias:
                    total = total + model.params[f"b_{model.graph.blocks[block].name}"]
                result = total
            else:
                kernel = _kernel(model, block)
                result = kernel.value(*(values[p] for p in definition.parents))
        values[block] = _finite(model, block, result, "value")
    return values


def _finite(
    model: NumericModel, block: int, result: Any, what: str, parent: int | None = None
) -> np.ndarray:
    vector = np.broadcast_to(np.asarray(result, dtype=float), (model.sizes[block],)).copy()
    if not np.all(np.isfinite(vector)):
        definition = model.definitions[block]
        name = model.graph.blocks[block].name
        of = f"∂{name}/∂{model.graph.blocks[parent].name}" if parent is not None else name
        raise EvaluationError(
            f"the {what} of {of} ({definition.text}) is not finite at this point",
            path=model.graph.path,
            line=definition.line,
            fix="choose other inputs (--at) or parameters, inside the functions' domains",
        )
    return vector


def local_jacobians(model: NumericModel, values: list[np.ndarray]) -> list[LocalJacobian]:
    """The factor ∂g_v/∂α_w of every edge at the point ``values``, in edge order."""
    edges = model.graph.edges
    factors = []
    for src, dst, diag in zip(
        edges.src.tolist(), edges.dst.tolist(), edges.diag.tolist(), strict=True
    ):
        definition = model.definitions[dst]
        if definition.op is not None:
            matrix = model.params[model.weight_name(dst, src)]
            factors.append(LocalJacobian(src, dst, False, matrix))
            continue
        kernel = _kernel(model, dst)
        position = definition.parents.index(src)
        with np.errstate(all="ignore"):
            raw = kernel.partials[position](*(values[p] for p in definition.parents))
        vector = _finite(model, dst, raw, "derivative", src)
        # A full edge between single nodes carries its partial as a 1 × 1 matrix.
        factors.append(LocalJacobian(src, dst, diag, vector if diag else vector.reshape(1, 1)))
    return factors


# ---------------------------------------------------------------------------------------------
# The chain rule as a person writes it (node-level traces)

#: Combining marks that turn a node name into its adjoint (``x̄``) or its tangent (``ẋ``).
ADJOINT_MARK = "\u0304"
TANGENT_MARK = "\u0307"


def local_partials(model: NumericModel, block: int) -> dict[int, Any]:
    """∂g_v/∂α_u for every parent u of ``block``, as sympy expressions in the node names.

    Constants stay symbols (their names), and a layer op's partial is its weight parameter, so
    the result is for display: the numbers come from :func:`local_jacobians`. Symbols are only
    ever printed, never compiled.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D'": ["y"], "g": {"y": "x * w + 1 / w"}})
    >>> local_partials(build_model(g), 2)
    {0: w, 1: x - 1/w**2}
    """
    import sympy

    definition = model.definitions[block]
    blocks = model.graph.blocks
    if definition.op is not None:
        return {p: sympy.Symbol(model.weight_name(block, p)) for p in definition.parents}
    symbols = {blocks[p].name: sympy.Symbol(blocks[p].name, real=True) for p in definition.parents}
    symbols.update({c: sympy.Symbol(c, real=True) for c in definition.constants})
    expression = definition.expr.to_sympy(symbols, sympy_functions())
    return {p: sympy.diff(expression, symbols[blocks[p].name]) for p in definition.parents}


def chain_rules(model: NumericModel, mode: str) -> list[str] | None:
    """Per block, the recursion that gives its adjoint or tangent, with symbolic partials.

    Backward: ``v̄ = Σ_{w ∈ succ(v)} w̄·∂g_w/∂v`` (successors in evaluation order), ``1`` for an
    output (the seed). Forward: ``v̇ = Σ_{u ∈ P_v} ∂g_v/∂u·u̇`` (parents in the order of the
    definition), ``1`` for an input. A partial that is not a name, a call or a non-negative
    number is parenthesised; terms whose partial is identically zero are left out (``0`` when
    none is left). Only node-level graphs have such rules: ``None`` when a block has more than
    one node.

    Parameters
    ----------
    model
        The numeric model.
    mode
        ``"backward"`` or ``"forward"``.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> chain_rules(build_model(g), "backward")
    ['x̄ = v̄·w', 'w̄ = v̄·x', 'v̄ = ȳ·cos(v)', 'ȳ = 1']
    >>> chain_rules(build_model(g), "forward")
    ['ẋ = 1', 'ẇ = 1', 'v̇ = w·ẋ + x·ẇ', 'ẏ = cos(v)·v̇']
    """
    if any(size != 1 for size in model.sizes):
        return None
    reverse = mode == "backward"
    mark = ADJOINT_MARK if reverse else TANGENT_MARK
    names = [_marked(block.name, mark) for block in model.graph.blocks]
    partials = {block: local_partials(model, block) for block in model.definitions}
    seeds = set(model.outputs if reverse else model.inputs)
    successors: list[list[int]] = [[] for _ in model.sizes]
    for block in model.graph.order.tolist():  # evaluation order
        for parent in partials.get(block, {}):
            successors[parent].append(block)
    rules = []
    for v, name in enumerate(names):
        if v in seeds:
            rules.append(f"{name} = 1")
            continue
        if reverse:
            terms = [
                f"{names[w]}·{_factor(partials[w][v])}"
                for w in successors[v]
                if partials[w][v] != 0
            ]
        else:
            terms = [
                f"{_factor(partial)}·{names[u]}"
                for u, partial in partials.get(v, {}).items()
                if partial != 0
            ]
        rules.append(f"{name} = {' + '.join(terms) or '0'}")
    return rules


def _marked(name: str, mark: str) -> str:
    """``name`` with ``mark`` over its first character, as the seeds write v̄2 and ẋ."""
    return name[:1] + mark + name[1:]


def _factor(expression: Any) -> str:
    """A partial as one factor of a product: parenthesised unless it is a name, call or number."""
    text = str(expression)
    atomic = expression.is_Symbol or expression.is_Function
    if atomic or (expression.is_Number and expression >= 0):
        return text
    return f"({text})"


# ---------------------------------------------------------------------------------------------
# The recursion


@dataclass
class _Sensitivity:
    """Δ of one block w.r.t. the seeds: dense on ``cols``, diagonal per seed block in ``diag``."""

    cols: np.ndarray
    dense: np.ndarray
    diag: dict[int, np.ndarray]


def _propagate(
    order: list[int],
    sizes: list[int],
    incoming: list[list[tuple[int, bool, np.ndarray]]],
    seeds: list[int],
    *,
    transposed: bool = False,
) -> tuple[list[_Sensitivity | None], int, dict[int, int], int]:
    """Δ_{s,v} for every seed node s and block v, visiting ``order``; returns the products made.

    ``incoming[v]`` lists ``(w, is_diag, factor)`` with ``factor`` oriented ``(size_v, size_w)``
    (a vector when diag), or ``(size_w, size_v)`` when ``transposed`` (the backward recursion
    passes the factors of the forward graph untransposed and multiplies from the left, as a
    vector-Jacobian product: BLAS is far faster that way than on a transposed view). Seed
    blocks hold the identity: a factor out of a seed is copied, not multiplied (unit seed).
    Sensitivities hold only structurally non-zero entries, so no product with a structural zero
    is ever formed.
    """
    offsets: dict[int, int] = {}
    total = 0
    for s in seeds:
        offsets[s] = total
        total += sizes[s]
    seed_set = set(seeds)
    sens: list[_Sensitivity | None] = [None] * len(sizes)
    multiplications = 0
    for v in order:
        if v in seed_set:
            continue
        size = sizes[v]
        pieces: list[tuple[np.ndarray, np.ndarray]] = []
        diagonal: dict[int, np.ndarray] = {}
        for w, is_diag, factor in incoming[v]:
            if w in seed_set:
                cols = np.arange(offsets[w], offsets[w] + sizes[w])
                if is_diag and sizes[w] > 1:
                    _accumulate(diagonal, w, factor)
                elif is_diag:
                    pieces.append((cols, factor.reshape(size, 1)))
                else:
                    pieces.append((cols, factor.T if transposed else factor))
                continue
            source = sens[w]
            assert source is not None  # visited earlier: ``order`` is topological
            if is_diag:
                pieces.append((source.cols, factor[:, None] * source.dense))
                multiplications += source.dense.size
                for s, vector in source.diag.items():
                    _accumulate(diagonal, s, factor * vector)
                    multiplications += size
            else:
                product = (source.dense.T @ factor).T if transposed else factor @ source.dense
                pieces.append((source.cols, product))
                multiplications += factor.size * source.dense.shape[1]
                for s, vector in source.diag.items():
                    cols = np.arange(offsets[s], offsets[s] + sizes[s])
                    if transposed:
                        pieces.append((cols, (factor * vector[:, None]).T))
                    else:
                        pieces.append((cols, factor * vector[None, :]))
                    multiplications += factor.size
        sens[v] = _merge(size, pieces, diagonal, offsets, sizes)
    return sens, multiplications, offsets, total


def _accumulate(diagonal: dict[int, np.ndarray], seed: int, vector: np.ndarray) -> None:
    diagonal[seed] = diagonal[seed] + vector if seed in diagonal else vector


def _merge(
    size: int,
    pieces: list[tuple[np.ndarray, np.ndarray]],
    diagonal: dict[int, np.ndarray],
    offsets: dict[int, int],
    sizes: list[int],
) -> _Sensitivity:
    if len(pieces) == 1:
        cols, dense = pieces[0]
    elif not pieces:
        cols, dense = np.empty(0, dtype=np.int64), np.zeros((size, 0))
    else:
        cols = np.unique(np.concatenate([c for c, _ in pieces]))
        dense = np.zeros((size, len(cols)))
        for piece_cols, matrix in pieces:
            if len(piece_cols) == len(cols):
                dense += matrix  # same column set (both sorted and unique)
            else:
                dense[:, np.searchsorted(cols, piece_cols)] += matrix
    owned = len(pieces) != 1  # a single piece may be a parameter array: never write into it
    keep: dict[int, np.ndarray] = {}
    for s, vector in diagonal.items():
        own = np.arange(offsets[s], offsets[s] + sizes[s])
        where = np.searchsorted(cols, own)
        if len(cols) and where[-1] < len(cols) and cols[where[0]] == own[0]:
            # s also reaches this block through a full edge: the diagonal joins the dense part.
            if not owned:
                dense, owned = dense.copy(), True
            dense[np.arange(size), where] += vector
        else:
            keep[s] = vector
    return _Sensitivity(cols, dense, keep)


def _dense(sens: _Sensitivity | None, size: int, width: int, offsets: dict[int, int]) -> np.ndarray:
    out = np.zeros((size, width))
    if sens is None:
        return out
    out[:, sens.cols] = sens.dense
    for s, vector in sens.diag.items():
        out[np.arange(size), offsets[s] + np.arange(size)] = vector
    return out


def forward(
    model: NumericModel, inputs: Mapping[int, np.ndarray], *, values: list[np.ndarray] | None = None
) -> Propagation:
    """Forward recursion Δ_uv = Σ_{w∈P_v} Δ_uw · ∂g_v/∂α_w for every input node u.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> m = build_model(g)
    >>> p = forward(m, {0: [2.0], 1: [3.0]})
    >>> p.multiplications, p.jacobian.round(4).tolist()
    (2, [[2.8805, 1.9203]])
    """
    return _recursion("forward", model, inputs, values)


def backward(
    model: NumericModel, inputs: Mapping[int, np.ndarray], *, values: list[np.ndarray] | None = None
) -> Propagation:
    """Backward recursion Δ_uv = Σ_{w: u∈P_w} ∂g_w/∂α_u · Δ_wv for every output node v.

    The forward engine on the reversed graph, with transposed factors and the outputs as seeds.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x", "w"], "D": ["v"], "D'": ["y"],
    ...     "g": {"v": "x * w", "y": "sin(v)"}})
    >>> p = backward(build_model(g), {0: [2.0], 1: [3.0]})
    >>> p.multiplications, p.jacobian.round(4).tolist()
    (2, [[2.8805, 1.9203]])
    """
    return _recursion("backward", model, inputs, values)


def _recursion(
    mode: str,
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    values: list[np.ndarray] | None,
    factors: list[LocalJacobian] | None = None,
) -> Propagation:
    """Run :func:`_propagate` forward, or backward (reversed edges and order, seeds = outputs)."""
    values = values if values is not None else evaluate(model, _vectors(inputs))
    if factors is None:
        factors = local_jacobians(model, values)
    reverse = mode == "backward"
    incoming: list[list[tuple[int, bool, np.ndarray]]] = [[] for _ in model.sizes]
    for f in factors:
        head, tail = (f.src, f.dst) if reverse else (f.dst, f.src)
        incoming[head].append((tail, f.diag, f.value))
    order = model.graph.order.tolist()
    seeds = model.outputs if reverse else model.inputs
    stored = sum(model.sizes) * sum(model.sizes[s] for s in seeds)
    if stored > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"the {mode} recursion on {model.graph.name!r} would store {stored:,} derivatives "
            f"(nodes × {'outputs' if reverse else 'inputs'}), more than {MAX_NUMERIC_ENTRIES:,}",
            path=model.graph.path,
            fix="evaluate a smaller instance (--set); analyze counts the large one",
        )
    sens, count, offsets, width = _propagate(
        order[::-1] if reverse else order, model.sizes, incoming, seeds, transposed=reverse
    )
    deltas = [
        _identity(size, width, offsets[b])
        if b in offsets
        else _dense(sens[b], size, width, offsets)
        for b, size in enumerate(model.sizes)
    ]
    if not reverse:
        jacobian = np.vstack([deltas[b] for b in model.outputs])
    elif model.inputs:
        jacobian = np.vstack([deltas[b] for b in model.inputs]).T
    else:
        jacobian = np.zeros((width, 0))
    return Propagation(mode, values, deltas, jacobian, count)


def _identity(size: int, width: int, offset: int) -> np.ndarray:
    out = np.zeros((size, width))
    out[np.arange(size), offset + np.arange(size)] = 1.0
    return out


def _vectors(inputs: Mapping[int, Any]) -> dict[int, np.ndarray]:
    return {b: np.atleast_1d(np.asarray(v, dtype=float)) for b, v in inputs.items()}


def outputs_at(model: NumericModel, inputs: Mapping[int, np.ndarray]) -> np.ndarray:
    """The outputs D' stacked into one vector: the function f: R^V → R^D' the graph computes."""
    values = evaluate(model, inputs)
    return np.concatenate([values[b] for b in model.outputs])


def finite_differences(
    model: NumericModel, inputs: Mapping[int, np.ndarray], *, step: float = 1e-6
) -> np.ndarray:
    """∂D'/∂V by central differences (seed 002's check), step ``step·max(1, |x_k|)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(|D'|, |V|)``.
    """
    base = _vectors(inputs)
    work = 4 * sum(model.sizes[b] for b in model.inputs) * evaluation_work(model)
    if work > MAX_DIFFERENCE_WORK:
        raise GraphTooLargeError(
            f"finite differences on {model.graph.name!r} would cost {work:,} multiply-adds "
            f"(4 evaluations per input node), more than {MAX_DIFFERENCE_WORK:,}",
            path=model.graph.path,
            fix="check a smaller instance (--set); the recursions do not depend on the sizes",
        )
    columns = []
    for block in model.inputs:
        for i in range(model.sizes[block]):
            h = step * max(1.0, abs(float(base[block][i])))
            plus = {b: v.copy() for b, v in base.items()}
            minus = {b: v.copy() for b, v in base.items()}
            plus[block][i] += h
            minus[block][i] -= h
            try:
                columns.append((outputs_at(model, plus) - outputs_at(model, minus)) / (2 * h))
            except EvaluationError as error:
                # The point is inside the domain (evaluated before), x ± h is not.
                name = model.node_names([block])[i]
                raise EvaluationError(
                    f"{error.message.replace(' at this point', '')} at {name} ± {h:.3g} "
                    "(the finite-difference step)",
                    path=error.path,
                    line=error.line,
                    fix="use a smaller --step or a point farther from the edge of the domain",
                ) from None
    width = sum(model.sizes[b] for b in model.outputs)
    return np.column_stack(columns) if columns else np.zeros((width, 0))


# ---------------------------------------------------------------------------------------------
# Checks

#: Forward vs backward must agree this much more closely than either with finite differences:
#: both recursions are exact up to rounding (~eps·depth relative to |J|abs), while a central
#: difference carries a truncation error of order step² (1e-12 at the default step) on top.
AGREEMENT_FACTOR = 1e-4


@dataclass(frozen=True)
class Comparison:
    """Two Jacobians compared entry by entry, relative to the magnitude of the terms summed.

    Attributes
    ----------
    name
        What is compared (``"forward vs finite differences"``).
    abs_error
        Largest absolute difference.
    rel_error
        The largest entry of ``max(|actual − reference| − allowance, 0) / scale``: the
        difference beyond what the reference's own error explains, relative to ``scale`` (for
        the recursions the Jacobian of absolute values |J|abs, see :func:`term_magnitudes`).
        An entry whose scale is 0 counts as 0 when the difference is 0 and as ``inf`` otherwise.
    tolerance
        The largest admitted ``rel_error``.
    """

    name: str
    abs_error: float
    rel_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """Whether ``rel_error`` is within ``tolerance`` (and finite)."""
        return bool(np.isfinite(self.rel_error) and self.rel_error <= self.tolerance)


def compare(
    name: str,
    actual: np.ndarray,
    reference: np.ndarray,
    tolerance: float,
    *,
    scale: np.ndarray | float | None = None,
    allowance: np.ndarray | float = 0.0,
) -> Comparison:
    """Compare two Jacobians; see :class:`Comparison`.

    Parameters
    ----------
    name
        What is compared.
    actual, reference
        The two Jacobians (same shape).
    tolerance
        The largest admitted relative error.
    scale
        Per entry (or one number for all) the magnitude the difference is measured against;
        by default the largest absolute entry of ``reference``. Give |J|abs (the magnitude of
        the terms summed) so that cancellation in a sum does not look like an error.
    allowance
        Per entry, the part of the difference the reference's own error explains (finite
        differences: their estimated truncation and rounding error).

    Examples
    --------
    >>> c = compare("a vs b", np.array([[1.0, 2.0]]), np.array([[1.0, 2.002]]), 1e-2)
    >>> round(c.abs_error, 6), round(c.rel_error, 6), c.passed
    (0.002, 0.000999, True)

    A result of 2e-20 summed from terms of size 1 (cancellation): judged against the terms.

    >>> c = compare("f vs b", np.array([[2e-20]]), np.array([[1e-20]]), 1e-10, scale=2.0)
    >>> c.rel_error, c.passed
    (5e-21, True)
    """
    if actual.size == 0:
        return Comparison(name, 0.0, 0.0, tolerance)
    with np.errstate(all="ignore"):
        difference = np.abs(actual - reference)
        if scale is None:
            scale = float(np.max(np.abs(reference)))
            if not scale:
                scale = 1.0  # a zero reference: the absolute difference is the error
        excess = np.maximum(difference - allowance, 0.0)
        scale_array = np.broadcast_to(np.asarray(scale, dtype=float), excess.shape)
        ratio = np.where(excess == 0, 0.0, excess / np.where(scale_array > 0, scale_array, 0.0))
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return Comparison(name, float(np.max(difference)), float(np.max(ratio)), tolerance)


def term_magnitudes(
    model: NumericModel, values: list[np.ndarray], factors: list[LocalJacobian]
) -> np.ndarray:
    """|J|abs: the Jacobian with every local partial replaced by its absolute value.

    Entry (y, x) is Σ over paths x → y of Π |∂g_w/∂α_v|, the magnitude of the terms the chain
    rule sums, where ∂D'/∂V is their signed sum. Rounding errors of either recursion are bounded
    by about eps·depth·|J|abs, whatever cancellation makes of the result, so comparisons are
    made against it (a result of 1e-20 computed as 1 + 1e-20 − 1 is exact to eps·2, not to
    eps·1e-20). It is zero exactly where the Jacobian is zero structurally or through zero
    partials. Computed by the same engine, in the cheaper direction.

    Examples
    --------
    >>> from graphcost.graph.loader import graph_from_dict
    >>> g = graph_from_dict({"V": ["x"], "D": ["u", "v"], "D'": ["y"],
    ...     "g": {"u": "x", "v": "x**2", "y": "x + v - u"}})
    >>> m = build_model(g)
    >>> values = evaluate(m, {0: np.array([1e-10])})
    >>> term_magnitudes(m, values, local_jacobians(m, values)).tolist()
    [[2.0000000002]]
    """
    absolute = [LocalJacobian(f.src, f.dst, f.diag, np.abs(f.value)) for f in factors]
    mode = "forward" if len(model.inputs) <= len(model.outputs) else "backward"
    return _recursion(mode, model, {}, values, absolute).jacobian


def check_jacobians(
    model: NumericModel,
    inputs: Mapping[int, np.ndarray],
    *,
    tolerance: float = 1e-6,
    agreement: float | None = None,
    step: float = 1e-6,
) -> tuple[list[Comparison], Propagation, Propagation]:
    """Forward and backward Jacobians against central finite differences and each other.

    Every difference is measured against the magnitude of the terms summed, |J|abs
    (:func:`term_magnitudes`), not against the result, so cancellation is no failure:

    - forward vs backward: per entry, ``|J_fwd − J_bwd| ≤ agreement·|J|abs``;
    - each against central differences D(h): ``|J − D(h)| − |D(2h) − D(h)| ≤
      tolerance·max|J|abs``. ``|D(2h) − D(h)|`` is three times Richardson's estimate of
      D(h)'s truncation error (of order h²) and also carries its rounding error (of order
      eps·|f|/h), so what finite differences cannot resolve is not counted against the
      recursions; the scale is the largest entry of |J|abs because those errors are of the
      size of the function, not of each entry.

    Parameters
    ----------
    tolerance
        Admitted relative error against finite differences.
    agreement
        Admitted relative difference between forward and backward; by default
        ``tolerance·AGREEMENT_FACTOR`` (1e-10 for the default tolerance).
    step
        Finite-difference step (relative to ``max(1, |x_k|)``).

    Returns
    -------
    comparisons, forward, backward
    """
    if agreement is None:
        agreement = tolerance * AGREEMENT_FACTOR
    values = evaluate(model, _vectors(inputs))
    factors = local_jacobians(model, values)  # one set of factors serves both recursions
    ahead = _recursion("forward", model, inputs, values, factors)
    behind = _recursion("backward", model, inputs, values, factors)
    magnitude = term_magnitudes(model, values, factors)
    reference = finite_differences(model, inputs, step=step)
    allowance = np.abs(finite_differences(model, inputs, step=2 * step) - reference)
    largest = float(np.max(magnitude)) if magnitude.size else 0.0
    comparisons = [
        compare(
            "forward vs finite differences",
            ahead.jacobian,
            reference,
            tolerance,
            scale=largest,
            allowance=allowance,
        ),
        compare(
            "backward vs finite differences",
            behind.jacobian,
            reference,
            tolerance,
            scale=largest,
            allowance=allowance,
        ),
        compare("forward vs backward", ahead.jacobian, behind.jacobian, agreement, scale=magnitude),
    ]
    return comparisons, ahead, behind


def is_vacuous(ahead: Propagation, behind: Propagation) -> bool:
    """Whether both Jacobians are identically zero, so that agreeing on them checks nothing.

    That is the case when no output depends on an input (every entry structurally zero) and
    when every path has a zero partial at the point (dead relu units, saturated functions).
    """
    return not np.any(ahead.jacobian) and not np.any(behind.jacobian)
