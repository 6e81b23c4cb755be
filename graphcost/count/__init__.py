"""The counting layer: forward and backward recursion counts under each convention, symbolic
formulas within a budget, the stable CSV record, factor chains, and vectorised sweeps. Imports
the graph, Jacobian and elimination layers and :mod:`graphcost.parallel`.
"""
