"""The numeric layer: node functions evaluated at a point, local Jacobians, forward and
backward propagation of Δ, traces and Jacobian checks. Imports the graph layer.
"""
