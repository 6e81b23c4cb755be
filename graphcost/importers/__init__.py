"""Importers: build graph dicts (the graph file format as plain data) from traced programs.

:mod:`graphcost.importers.rules` maps one jaxpr equation to the index signature of each
operand's edge (one rule per primitive, in a registry); :mod:`graphcost.importers.trace` walks
a list of equations (the trace file of the AlphaGrad benchmark tasks) with those rules and
returns a graph dict for :func:`graphcost.graph.loader.graph_from_dict`. This layer imports
only :mod:`graphcost.graph` and below.
"""

from graphcost.importers.trace import graph_from_trace

__all__ = ["graph_from_trace"]
