"""The numeric model of a graph: :class:`NumericModel` (sizes, definitions, parameters θ) and
what it holds.

A model is built from a graph's ``g:`` section by :func:`graphcost.numeric.build.build_model`;
this module owns the dataclass, the parameters its definitions need
(:func:`expected_params`), the memory budget every numeric step is held to
(:data:`MAX_NUMERIC_ENTRIES`) and the cost of one evaluation (:func:`evaluation_work`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphcost.graph.definitions import Definition
from graphcost.graph.functions import LAYER_OPS
from graphcost.graph.model import Graph

#: Most floats a numeric model may hold (node values and parameters) and a recursion may store
#: (its Δ matrices): 5·10⁷ floats, 400 MB. A graph beyond it is refused before anything is
#: allocated, instead of being expanded until memory runs out (or, on a large machine, for hours).
MAX_NUMERIC_ENTRIES = 50_000_000


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
    shapes
        The block shapes (``(size,)`` for a vector); a matrix input ``W: [n, m]`` holds its
        n·m values row-major, named ``W[i][j]`` (as at node level).
    """

    graph: Graph
    sizes: list[int]
    definitions: dict[int, Definition]
    params: dict[str, np.ndarray]
    param_sources: dict[str, str]
    inputs: list[int]
    outputs: list[int]
    shapes: list[tuple[int, ...]] = field(default_factory=list)
    _kernels: dict[int, Any] = field(default_factory=dict, repr=False)
    #: What the numeric passes work out once per model and reuse at every point: the edge
    #: list with its definitions (evaluate, key "edges") and the recursions' plans
    #: (propagation, keyed by mode, wrt and factor structure).
    _structure: dict[Any, Any] = field(default_factory=dict, repr=False)

    def node_names(self, blocks: list[int]) -> list[str]:
        """Node names of ``blocks`` laid side by side (``x`` or ``x[0]``, ``x[1]``, ...; a
        matrix block row-major: ``W[0][0]``, ``W[0][1]``, ...)."""
        names = []
        for b in blocks:
            name = self.graph.blocks[b].name
            shape = self.shapes[b] if self.shapes else (self.sizes[b],)
            if self.sizes[b] == 1 and len(shape) <= 1:
                names.append(name)
            elif len(shape) == 1:
                names.extend(f"{name}[{i}]" for i in range(self.sizes[b]))
            else:
                names.extend(
                    name + "".join(f"[{i}]" for i in index) for index in np.ndindex(*shape)
                )
        return names

    def weight(self, block: int, parent: int, values: list[np.ndarray]) -> np.ndarray:
        """θ of the edges ``parent → block`` of a layer op, (size(block), size(parent)): the
        weight input's values (row-major) when ``V`` declares it, else the parameter."""
        definition = self.definitions[block]
        source = definition.weights[definition.parents.index(parent)]
        if source is None:
            return self.params[self.weight_name(block, parent)]
        return values[source].reshape(self.sizes[block], self.sizes[parent])

    def bias(self, block: int, values: list[np.ndarray]) -> np.ndarray:
        """The bias of an ``affine`` block: its bias input's values, or the parameter."""
        source = self.definitions[block].bias
        if source is None:
            return self.params[f"b_{self.graph.blocks[block].name}"]
        return values[source]

    def weight_name(self, block: int, parent: int) -> str:
        """The parameter holding θ for the edges ``parent → block`` of a layer op."""
        definition = self.definitions[block]
        name = self.graph.blocks[block].name
        if len(definition.parents) == 1:
            return f"W_{name}"
        return f"W_{name}_{self.graph.blocks[parent].name}"


def expected_params(model: NumericModel) -> dict[str, tuple[int, ...]]:
    """Every parameter the definitions need, with its shape, in a fixed (file) order."""
    expected: dict[str, tuple[int, ...]] = {}
    for block in sorted(model.definitions):
        definition = model.definitions[block]
        if definition.op is None:
            for constant in definition.constants:
                expected[constant] = ()
            continue
        for parent, source in zip(definition.parents, definition.weights, strict=True):
            if source is None:  # else the weight is an input block (graphcost.graph.weights)
                expected[model.weight_name(block, parent)] = (
                    model.sizes[block],
                    model.sizes[parent],
                )
        if LAYER_OPS[definition.op].bias and definition.bias is None:
            expected[f"b_{model.graph.blocks[block].name}"] = (model.sizes[block],)
    return expected


def evaluation_work(model: NumericModel) -> int:
    """Multiply-adds of one evaluation of the graph: the layer ops' weights plus every node."""
    inputs = sum(
        model.sizes[w]
        for definition in model.definitions.values()
        for w in definition.weights
        if w is not None
    )
    return sum(int(p.size) for p in model.params.values()) + inputs + sum(model.sizes)
