"""The elimination layer: the one cost model that scores every vertex elimination order, the
strategy registry and its strategies (forward, backward, Markowitz, chain DP, given orders),
exact search (``optimal``) with its lower bound, and local search (``search``). Imports the
graph and Jacobian layers and :mod:`graphcost.parallel`.

Modules, lowest first: ``problem`` (a graph prepared for elimination), ``bitmatrix`` and
``engine`` (scoring an order), ``registry`` (what a strategy is, and where it is found),
``heuristics`` (the cheap strategies), ``kernels`` and ``bound`` (fast elimination kernels and
the min-cut lower bound), ``search``, ``exact``, and ``strategies`` (running and scoring any of
them). Importing the package imports :mod:`graphcost.eliminate.strategies`, which imports every
strategy module, so :data:`graphcost.eliminate.registry.STRATEGIES` is complete wherever it is
looked up.
"""

import graphcost.eliminate.strategies  # noqa: F401  (registers every strategy)
