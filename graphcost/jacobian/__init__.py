"""The Jacobian-block layer: the one algebra of block structure, and the per-unit quantities
(predecessors, successors, input ancestors, output descendants) every count reads, at block
level (closed form, ints or sympy) or at node level (the expanded graph). Imports the graph
layer.
"""
