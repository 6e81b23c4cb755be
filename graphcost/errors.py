"""The typed exceptions graphcost raises for user problems.

Every message names what is wrong and how to fix it; the CLI turns these into one
``Error: ...`` line on stderr and exit code 2 (:class:`GraphcostError`) at its edge only.
"""

from __future__ import annotations


class GraphcostError(Exception):
    """Base class of every error graphcost raises for a user problem.

    Parameters
    ----------
    message
        What is wrong, naming the offending value.
    path
        The file the problem is in, when there is one.
    line
        The 1-based line in ``path``, when known.
    fix
        How to fix it, appended to the message.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.fix:
            text += f"; {self.fix}"
        return text


class GraphFileError(GraphcostError):
    """The graph file cannot be read or parsed (missing file, malformed YAML, duplicate keys)."""


class GraphValidationError(GraphcostError):
    """The graph file parses but does not describe a valid compute graph."""


class ExpressionError(GraphcostError):
    """A size or node-function expression is malformed, unsafe, or cannot be evaluated."""


class SizeError(GraphcostError):
    """A block size is not a positive integer for the given symbol values."""


class GraphTooLargeError(GraphcostError):
    """A node-level computation was asked of a graph too large to expand."""


class SymbolicTooLargeError(GraphTooLargeError):
    """A formula in the size symbols would exceed the symbolic budget (degree or terms)."""


class UsageError(GraphcostError):
    """A command-line option has an invalid value (e.g. a malformed ``--set``)."""


class EvaluationError(GraphcostError):
    """Node functions cannot be evaluated: a non-finite value, bad parameters or inputs."""


class CheckFailed(GraphcostError):
    """A check (``graphcost check``) ran and failed: exit code 1, not 2."""
