"""The ``graphcost`` command line: a thin layer over the library.

Each command lives in its own module and registers itself on :data:`cli`; library errors are
turned into one ``Error: ...`` line on stderr and an exit code in :mod:`graphcost.cli.base`.
"""

from graphcost.cli import (  # noqa: F401  (registers them)
    analyze,
    check,
    draw,
    examples,
    hessian,
    importer,
    jacobians,
    show,
    sweep,
    trace,
)
from graphcost.cli.base import cli, main

cli.add_command(examples.examples)

__all__ = ["cli", "main"]
