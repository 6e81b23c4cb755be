"""The graph layer: what a compute graph is and how it is read.

The model (blocks, sizes, edges), the YAML loader and edge files, safe expressions, node
functions (the ``g:`` section), ``--layers`` graphs and DAG primitives. Imports only
:mod:`graphcost.errors`, :mod:`graphcost.files` and its own modules. Lowest first:

- ``quoting``: how messages quote a user's value;
- ``arithmetic``: the bounded exact evaluator and the sympy translation of expression trees;
- ``expr``: safe expressions (the :mod:`ast` whitelist);
- ``model``: blocks, sizes, edges, :class:`~graphcost.graph.model.Graph`;
- ``dag``: levels, reachability and other DAG primitives;
- ``yamlfile``: the safe YAML reader whose values remember their lines;
- ``edgefile``: the edge-file reader (``E: {file: ...}``);
- ``declarations``: the ``symbols`` and the blocks of V, D and D';
- ``functions``, ``definition_checks``, ``definitions``: the ``g:`` section;
- ``loader``: load and validate a whole graph file;
- ``layers``: the ``--layers`` graphs.
"""
