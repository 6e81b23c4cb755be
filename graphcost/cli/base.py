"""The command group, the error edge, and options shared by several commands."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from graphcost import __version__
from graphcost.errors import CheckFailed, GraphcostError, UsageError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2
# click >= 8.2 raises this for a group called without arguments; older versions print the help.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past click, which would print a blank line first."""


class _ReaderGone(Exception):
    """Standard output's reader went away (``| head``), carried past click, which exits 1."""


class GraphcostGroup(click.Group):
    """A click group whose errors are one ``Error:`` line on stderr, never a traceback.

    Exit codes: 0 success, 1 a check that failed, 2 a usage or input error, 130 interrupted.
    """

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        _allow_long_integers()
        _hold_closed_streams()
        try:
            result = super().main(args, prog_name or "graphcost", standalone_mode=False, **extra)
            # Flush here, where a failure can still be reported: Python's own flush at exit
            # would print "Exception ignored" and change the exit code.
            sys.stdout.flush()
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except _NO_ARGS_IS_HELP as asked:  # bare `graphcost`: the help is the answer, not an error
            click.echo(asked.ctx.get_help() if asked.ctx else asked.format_message())
            sys.exit(EXIT_OK)
        except click.ClickException as error:
            _fail(error.format_message(), EXIT_USAGE)
        except CheckFailed as error:
            _fail(str(error), EXIT_CHECK_FAILED)
        except GraphcostError as error:
            _fail(str(error), EXIT_USAGE)
        except (_Interrupted, click.exceptions.Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        except (_ReaderGone, BrokenPipeError):
            _reader_gone()
        except OSError as error:
            from graphcost.report.writers import WRITE_ERRNOS

            if error.errno not in WRITE_ERRNOS:
                raise
            # A write that no writer named (stdout, or a file written by another path).
            where = repr(error.filename) if error.filename else "standard output"
            _fail(f"cannot write {where}: {error.strerror}", EXIT_USAGE)
        except RecursionError:
            _fail("the input is nested too deeply", EXIT_USAGE)
        except MemoryError:
            _fail("out of memory; try smaller sizes or block-level counting", EXIT_USAGE)
        except Exception as error:  # a bug: say so in one line, keep the traceback opt-in
            if os.environ.get("GRAPHCOST_DEBUG"):
                raise
            _fail(
                f"internal error ({type(error).__name__}: {error}); please report it, "
                "and rerun with GRAPHCOST_DEBUG=1 for the traceback",
                EXIT_USAGE,
            )
        sys.exit(result if isinstance(result, int) else EXIT_OK)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None
        except BrokenPipeError:
            raise _ReaderGone from None


def _reader_gone() -> None:
    """Exit quietly (0) after the reader of stdout went away, as ``| head`` users expect.

    Standard output is pointed at /dev/null first, so that the flush at exit cannot raise
    again (Python's "Note on SIGPIPE").
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    sys.exit(EXIT_OK)


class _ClosedStream(io.TextIOBase):
    """Stands for a standard stream the shell closed (``>&-``): writing it is an error."""

    encoding = "utf-8"
    errors = "strict"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, "it is closed (e.g. by >&-)")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("closed standard stream")


def _hold_closed_streams() -> None:
    """Give a closed stdout or stderr a stand-in, and hold its descriptor with /dev/null.

    Python sets ``sys.stdout`` to ``None`` when descriptor 1 is closed at start; without the
    stand-in every write is an AttributeError. Holding the descriptor keeps the next file
    graphcost opens (an output's temporary file) from becoming descriptor 1 or 2, where a
    worker process's prints would land in it.
    """
    for number, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            if devnull != number:
                os.dup2(devnull, number)
                os.close(devnull)
        setattr(sys, name, _ClosedStream())


#: Decimal digits an exact count may have when printed. Sizes are bounded by the expression
#: evaluator (MAX_RESULT_BITS, about 30,000 digits) and a count multiplies at most three of
#: them, so this covers every count; Python's default guard (4,300 digits) would not.
MAX_PRINTED_DIGITS = 100_000


def _allow_long_integers() -> None:
    current = sys.get_int_max_str_digits()
    if current and current < MAX_PRINTED_DIGITS:
        sys.set_int_max_str_digits(MAX_PRINTED_DIGITS)


def _fail(message: str, code: int) -> None:
    message = " ".join(message.split())
    with contextlib.suppress(OSError):  # stderr closed or full: the exit code still says it
        click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    with contextlib.suppress(OSError):  # a warning that cannot be shown must not stop the work
        click.echo(f"Warning: {message}", err=True)


@click.group(
    cls=GraphcostGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="graphcost")
def cli() -> None:
    """Count the scalar multiplications and additions that forward and backward
    recursion need to obtain every derivative Δ_uv = ∂α_v/∂α_u of a compute graph.

    \b
    Examples:
      graphcost examples
      graphcost analyze example:exercise-4b
      graphcost analyze example:exercise-4b --set n=300 --format json
      graphcost analyze graphs/exercise-4b.yaml --explain

    example:NAME is a shipped graph (graphcost examples lists them); the graph file format is
    described in the README.
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``graphcost`` console script."""
    cli.main(argv, prog_name="graphcost")


def split_assignments(
    items: tuple[str, ...],
    option: str,
    *,
    metavar: str = "SYMBOL=VALUE",
    example: str = "n=300",
    valid: Callable[[str], bool] = str.isidentifier,
) -> Iterator[tuple[str, str]]:
    """The ``(name, text)`` pairs of a repeatable ``NAME=VALUE`` option (``a=1,b=2`` also works).

    Raises
    ------
    UsageError
        For a part without ``=``, an empty value, a name ``valid`` rejects, or a name given
        twice (the second value would silently win).
    """
    seen: set[str] = set()
    for item in items:
        for part in item.split(","):
            name, sep, text = part.partition("=")
            name = name.strip()
            if not sep or not valid(name) or not text.strip():
                raise UsageError(
                    f"{option} expects {metavar}, got {part!r}", fix=f"e.g. {option} {example}"
                )
            if name in seen:
                raise UsageError(
                    f"{option} gives {name!r} twice", fix=f"give each name one value in {option}"
                )
            seen.add(name)
            yield name, text


def parse_assignments(items: tuple[str, ...]) -> dict[str, int]:
    """Parse ``--set n=300`` (repeatable; ``n=300,m=4`` also works) into symbol values.

    A value may be an integer expression such as ``3*10**9``.

    Raises
    ------
    UsageError
    """
    from graphcost.errors import ExpressionError
    from graphcost.graph.expr import parse_expression

    values: dict[str, int] = {}
    for symbol, text in split_assignments(items, "--set"):
        try:
            value = parse_expression(text).evaluate({})
        except ExpressionError as error:
            raise UsageError(f"--set {symbol}: {error.message}", fix="give an integer") from None
        if value.denominator != 1:
            raise UsageError(f"--set {symbol}={text}: not an integer", fix="give an integer")
        values[symbol] = int(value)
    return values


def set_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--set SYMBOL=VALUE`` (repeatable) to a command."""
    return click.option(
        "--set",
        "assignments",
        multiple=True,
        metavar="SYMBOL=VALUE",
        help="Override a size symbol's default (repeatable; n=300,m=4 also works).",
    )(function)


def convention_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--convention/-c NAME`` (a name in :data:`graphcost.count.recursions.CONVENTIONS`)."""
    from graphcost.cli.completion import complete_convention

    return click.option(
        "--convention",
        "-c",
        default="elimination",
        show_default=True,
        metavar="[elimination|dense]",
        shell_complete=complete_convention,
        help="Counting convention: elimination (vertex elimination, Griewank & Naumann) or "
        "dense (identity seed matrix).",
    )(function)


def jobs_option(work: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--jobs/-j N``: local worker processes for ``work``."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        metavar="N",
        help=f"Local worker processes for {work}.",
    )


def scheduler_option(work: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--scheduler ADDRESS``: a Dask distributed scheduler that runs ``work``."""
    return click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f"Run {work} on this Dask distributed scheduler, e.g. tcp://127.0.0.1:8786 "
        "(pip install '.[dask]').",
    )


#: Every output format: the names of :data:`graphcost.report.render.FORMATS`, spelled out so that
#: start-up does not import the report module (tests/test_cli.py checks that they agree).
ALL_FORMATS = ("table", "json", "csv", "markdown", "latex")


def output_options(
    *formats: str, help: str = "Output format."
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--format`` (one of ``formats``, the first the default) and ``--output PATH``."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function = click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=False),
            default=None,
            help="Write to this file (atomically) instead of stdout.",
        )(function)
        return click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(formats),
            default=formats[0],
            show_default=True,
            help=help,
        )(function)

    return decorate


def load(path: str, wrt: str | None = None) -> Any:
    """Load and validate a graph file, or import a program (``jax:MODULE:FUNCTION``, a
    ``.onnx`` model: :mod:`graphcost.cli.programs`, which takes ``wrt``), printing its
    structural warnings on stderr. ``example:NAME`` is a shipped graph
    (:mod:`graphcost.cli.examples`)."""
    from graphcost.cli.examples import example_path, is_example
    from graphcost.cli.programs import is_program, load_program, refuse_program_options
    from graphcost.graph.loader import load_graph, unreachable_warnings
    from graphcost.report.writers import protect_input

    if is_example(path):
        path = example_path(path)
    if is_program(path):
        ctx = click.get_current_context(silent=True)
        assignments = tuple((ctx.params.get("assignments") if ctx else None) or ())
        graph, notes = load_program(path, wrt, parse_assignments(assignments))
        for note in notes:
            warn(f"{path}: {note}")
    else:
        refuse_program_options()
        graph = load_graph(path)
    if not path.startswith("jax:"):
        protect_input(path)  # no output of this run may replace the graph it describes
    upper = graph.extra.get("upper_bounds") or []
    if upper:
        shown = ", ".join(upper[:3]) + (", …" if len(upper) > 3 else "")
        warn(
            f"{path}: {len(upper)} edge{'s' if len(upper) > 1 else ''} held as full (slice, "
            f"concatenate, pad or a merging reshape; {shown}): the counts are upper bounds"
        )
    for message in unreachable_warnings(graph):
        warn(f"{path}: {message}")
    return graph
