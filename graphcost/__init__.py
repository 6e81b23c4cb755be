"""graphcost: count what forward and backward derivative recursions cost on a compute graph.

The package reads a compute graph (V, D, D', E) from a YAML file, counts the scalar
multiplications and additions that the forward and the backward recursion need to obtain
every Δ_uv = ∂α_v/∂α_u (u an input, v an output), and reports the speed-up factor.

Public entry points: :func:`graphcost.graph.loader.load_graph`,
:func:`graphcost.count.recursions.count`, and the importers :func:`graphcost.from_jax` (the
``jax`` extra) and :func:`graphcost.from_onnx` (the ``onnx`` extra), loaded on first use.
"""

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "from_jax": ("graphcost.importers.jaxfunc", "from_jax"),
    "from_onnx": ("graphcost.importers.onnxmodel", "from_onnx"),
}


def __getattr__(name: str) -> Any:
    """Load :func:`from_jax` and :func:`from_onnx` on first use (they need their extras)."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'graphcost' has no attribute {name!r}")
