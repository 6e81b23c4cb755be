"""The ``graphcost`` command line: a thin layer over the library.

Each command lives in its own module and registers itself on :data:`cli`; library errors are
turned into one ``Error: ...`` line on stderr and an exit code in :mod:`graphcost.cli.base`.
"""

from graphcost.cli import analyze, check, draw, hessian, importer, jacobians, show, sweep, trace  # noqa: F401  (registers them)
from graphcost.cli.base import cli, main

__all__ = ["cli", "main"]
