"""The elimination layer: the one cost model that scores every vertex elimination order, the
strategy registry and its strategies (forward, backward, Markowitz, chain DP, given orders),
exact search (``optimal``) with its lower bound, and local search (``search``). Imports the
graph and Jacobian layers and :mod:`graphcost.parallel`.
"""
