"""The graph layer: what a compute graph is and how it is read.

The model (blocks, sizes, edges), the YAML loader and edge files, safe expressions, node
functions (the ``g:`` section), ``--layers`` graphs and DAG primitives. Imports only
:mod:`graphcost.errors`, :mod:`graphcost.files` and its own modules.
"""
