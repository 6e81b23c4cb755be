"""The hostile-input corpus: every case runs graphcost in its own process, as a user would.

Each case asserts what the brief promises for bad input and faults: the exit code (2 for a
usage or input error, 130 for an interrupt), exactly one line on stderr starting with
``Error:``, no traceback, an answer within a bounded time, a bounded address space, and no
output file damaged. The child always runs with default signal handling (even when the suite
itself runs under ``nohup`` with SIGINT ignored) in a session of its own, which is killed
whatever happens, so no case can leave work running behind it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The address space a case may use: far above what any clean refusal needs (~300 MB), far
#: below what an expansion of a hostile input would take.
MEMORY_LIMIT = 2 << 30
#: Seconds a case may take before it counts as a hang.
TIME_LIMIT = 60.0


@dataclass(frozen=True)
class Outcome:
    """What a graphcost process did: exit code, both streams, and how long it took."""

    code: int
    stdout: str
    stderr: str
    seconds: float


def _child_setup(fault: Callable[[], None] | None = None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    if fault is not None:
        fault()


@contextlib.contextmanager
def started(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = subprocess.PIPE,
    fault: Callable[[], None] | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """Start ``python -m graphcost ARGS`` in a session of its own; kill the session on exit.

    ``fault`` runs in the child after the default set-up (a closed descriptor, a file-size
    limit standing in for a full disk, ...).
    """
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    environment.pop("GRAPHCOST_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "graphcost", *args],
        cwd=cwd,
        env=environment,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=functools.partial(_child_setup, fault),
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for stream in (process.stdout, process.stderr, process.stdin):
            if stream is not None:
                stream.close()


def run_graphcost(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = TIME_LIMIT,
) -> Outcome:
    """Run graphcost to completion (or to ``timeout``, which fails the test)."""
    start = time.monotonic()
    with started(
        args, cwd=cwd, env=env, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL
    ) as process:
        try:
            out, err = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"graphcost {' '.join(args)} gave no answer in {timeout:.0f} s")
        return Outcome(process.returncode, out, err, time.monotonic() - start)


def assert_clean_error(
    outcome: Outcome, *, code: int = 2, contains: Sequence[str] = (), stdout: str | None = ""
) -> str:
    """Assert one ``Error:`` line on stderr, the exit code, no traceback; return the line.

    ``contains`` are fragments the line must hold (what is wrong, how to fix it); ``stdout``
    is what standard output must be (nothing, by default: no half a report before an error).
    """
    assert "Traceback" not in outcome.stderr, outcome.stderr
    lines = [line for line in outcome.stderr.splitlines() if not line.startswith("Warning:")]
    assert len(lines) == 1, outcome.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    assert "internal error" not in line, line
    assert outcome.code == code, (outcome.code, line)
    for fragment in contains:
        assert fragment in line, (fragment, line)
    if stdout is not None:
        assert outcome.stdout == stdout, outcome.stdout[:500]
    return line


@pytest.fixture
def graph_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a graph file (YAML text, or bytes) into the test's folder and return its path."""

    def write(content: str | bytes, name: str = "graph.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
