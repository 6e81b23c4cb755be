"""Building a :class:`~graphcost.numeric.model.NumericModel` and choosing its point: where every
number comes from.

:func:`build_model` takes a graph's sizes and definitions and resolves its parameters θ: given
under ``params:``, read from an ``.npz`` (``params: {file: ...}`` or ``--params``), or drawn
from ``--seed`` (:func:`draw_parameter`). :func:`input_values` resolves the point x: the file's
``at:``, ``--at``, or drawn from the seed. Every source is recorded for the trace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.errors import (
    EvaluationError,
    GraphTooLargeError,
    GraphValidationError,
    UsageError,
)
from graphcost.graph.definitions import PARAMS_RESERVED
from graphcost.graph.model import INPUT, OUTPUT, Graph
from graphcost.numeric.model import MAX_NUMERIC_ENTRIES, NumericModel, expected_params

#: Default seed of the random parameters and inputs.
DEFAULT_SEED = 0


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
    shapes = graph.shapes(values)
    sizes = [math.prod(shape) for shape in shapes]
    raw_params = graph.extra.get("params")
    model = NumericModel(
        graph=graph,
        sizes=sizes,
        definitions=graph.definitions,
        params={},
        param_sources={},
        inputs=graph.blocks_with_role(INPUT),
        outputs=graph.blocks_with_role(OUTPUT),
        shapes=shapes,
    )
    _within_budget(model)
    _resolve_params(model, raw_params, seed, params_file)
    return model


def _within_budget(model: NumericModel) -> None:
    """Refuse a model whose values and parameters exceed :data:`MAX_NUMERIC_ENTRIES`."""
    entries = sum(model.sizes) + sum(
        int(np.prod(shape, dtype=object)) for shape in expected_params(model).values()
    )
    if entries > MAX_NUMERIC_ENTRIES:
        raise GraphTooLargeError(
            f"numeric evaluation of {model.graph.name!r} needs {entries:,} node values and "
            f"parameters, more than {MAX_NUMERIC_ENTRIES:,} (400 MB)",
            path=model.graph.path,
            fix="evaluate a smaller instance (--set); analyze counts the large one",
        )


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
    expected = expected_params(model)
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


def _input_scales(model: NumericModel) -> dict[int, float]:
    """The scale of the randn draw of each weight input (√(2/fan-in)) and bias input (0.1)."""
    scales: dict[int, float] = {}
    for definition in model.definitions.values():
        for parent, weight in zip(definition.parents, definition.weights, strict=False):
            if weight is not None:
                scales[weight] = float(np.sqrt(2.0 / model.sizes[parent]))
        if definition.bias is not None:
            scales[definition.bias] = BIAS_SCALE
    return scales


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
    scales = _input_scales(model)
    values: dict[int, np.ndarray] = {}
    sources: dict[str, str] = {}
    for name, block in names.items():
        size = model.sizes[block]
        # Drawn for every input so others stay put; a weight input He-scaled, a bias 0.1·randn.
        draw = rng.standard_normal(size) * scales.get(block, 1.0)
        if name in given:
            raw, origin = given[name]
            vector = _as_array(raw, f"at {name}", graph.path, lines.get(name))
            shape = model.shapes[block] if model.shapes else (size,)
            if vector.ndim == 0:
                vector = np.full(size, float(vector))
            elif vector.shape == shape:
                vector = vector.reshape(size)  # a matrix input, row-major
            if vector.shape != (size,) or not np.all(np.isfinite(vector)):
                dims = "" if len(shape) == 1 else f" (or nested lists of shape {list(shape)})"
                raise EvaluationError(
                    f"value of input {name!r} must be a finite number or a list of {size}{dims}",
                    path=graph.path,
                    line=lines.get(name) if origin == "file" else None,
                )
        else:
            vector, origin = draw, f"seed {seed}"
        values[block] = vector.astype(float)
        sources[name] = origin
    return values, sources
