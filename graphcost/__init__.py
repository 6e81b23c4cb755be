"""graphcost: count what forward and backward derivative recursions cost on a compute graph.

The package reads a compute graph (V, D, D', E) from a YAML file, counts the scalar
multiplications and additions that the forward and the backward recursion need to obtain
every Δ_uv = ∂α_v/∂α_u (u an input, v an output), and reports the speed-up factor.

Public entry points: :func:`graphcost.graph.loader.load_graph`,
:func:`graphcost.count.recursions.count`.
"""

__version__ = "0.1.0"
