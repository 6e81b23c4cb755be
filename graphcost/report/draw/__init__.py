"""Pictures of graphs and of their elimination (``graphcost draw``).

Data flows one way: a graph (or an elimination problem and its steps) becomes a
:class:`~graphcost.report.draw.scene.Scene` (:mod:`~graphcost.report.draw.scene`: what is
shown), a layered :class:`~graphcost.report.draw.layout.Layout` places it
(:mod:`~graphcost.report.draw.layout`), and one writer per format draws it:
:mod:`~graphcost.report.draw.image` (SVG, PNG, PDF with matplotlib, the ``plot`` extra) and
:mod:`~graphcost.report.draw.text` (Graphviz DOT, Mermaid, TikZ), in the colours of
:mod:`~graphcost.report.draw.style`. The registry of formats and the writing of one picture are
in :mod:`~graphcost.report.draw.output`; flip-books of an elimination (frames from
:func:`graphcost.eliminate.steps.elimination_steps`, written to a folder at once) in
:mod:`~graphcost.report.draw.flipbook`.
"""
