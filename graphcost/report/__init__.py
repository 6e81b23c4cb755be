"""The report layer: a :class:`~graphcost.report.render.Report` rendered as a table, JSON, CSV,
markdown or LaTeX, written atomically or streamed, and plots. Imports only lower layers' plain
values and :mod:`graphcost.files`.
"""
