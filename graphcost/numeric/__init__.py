"""The numeric layer: node functions evaluated at a point, local Jacobians, forward and
backward propagation of Δ, traces and Jacobian checks. Imports the graph layer.

Modules, in the order data flows through them (each imports only those before it):

- :mod:`~graphcost.numeric.model`: :class:`~graphcost.numeric.model.NumericModel`, the
  parameters its definitions need, the memory budget;
- :mod:`~graphcost.numeric.build`: ``build_model`` and ``input_values``: parameters θ
  (``params:``, ``.npz``, ``--seed``) and the point x (``at:``, ``--at``, ``--seed``);
- :mod:`~graphcost.numeric.evaluate`: primal values α_v, compiled kernels, local Jacobians;
- :mod:`~graphcost.numeric.rules`: symbolic local partials and chain-rule text for traces;
- :mod:`~graphcost.numeric.propagation`: the forward and backward recursions and the
  multiplications they perform;
- :mod:`~graphcost.numeric.differences`: central finite differences, all directions of an
  input block in one batched evaluation;
- :mod:`~graphcost.numeric.checks`: comparisons against |J|abs,
  ``check_jacobians``.
"""
