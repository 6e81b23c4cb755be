"""Pictures of graphs and of their elimination (``graphcost draw``).

Data flows one way: a graph (or an elimination problem and its steps) becomes a
:class:`~graphcost.report.draw.scene.Scene` (:mod:`~graphcost.report.draw.scene`: what is
shown), a layered :class:`~graphcost.report.draw.layout.Layout` places it
(:mod:`~graphcost.report.draw.layout`), and one writer per format draws it:
:mod:`~graphcost.report.draw.image` (SVG, PNG, PDF with matplotlib, the ``plot`` extra) and
:mod:`~graphcost.report.draw.text` (Graphviz DOT, Mermaid, TikZ). The registry of formats and
the writing of files and flip-books are in :mod:`~graphcost.report.draw.output`.
"""
