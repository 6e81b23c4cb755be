"""Hostile cases for worker processes, Dask schedulers, search budgets and elimination orders.

Every server a case starts listens on a free loopback port (port 0) and is closed in a
``finally``; every graphcost process runs in a session of its own that the harness kills.
Process cases list graphcost's process group (its session id is its pid) after it exits:
workers, the forkserver and the resource tracker must all be gone within seconds.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost, started

ROOT = Path(__file__).resolve().parents[2]
SMALL = str(ROOT / "graphs" / "small.yaml")
#: 85 intermediates: search never proves its order optimal, so it runs its whole budget.
BENCHMARK = str(ROOT / "graphs" / "benchmarks" / "g.yaml")
#: A search that runs long enough to be signalled: two workers, a minute each.
LONG_SEARCH = ["analyze", BENCHMARK, "-s", "search", "--jobs", "2", "--time-limit", "60"]
#: Seconds a dead graphcost's workers may take to notice (they poll every 0.5 s).
GRACE = 8.0

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _group(pgid: int) -> list[int]:
    """The pids of live (non-zombie) processes in process group ``pgid``, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_bytes().rpartition(b")")[2].split()
        except OSError:
            continue
        # fields: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != b"Z":
            members.append(int(entry))
    return members


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _wait_for_workers(process: subprocess.Popen[str], count: int) -> None:
    """Wait until graphcost, its forkserver, tracker and ``count`` workers all run."""
    if not _wait_for(lambda: len(_group(process.pid)) >= 3 + count, 30):
        pytest.fail(f"workers never started: {_group(process.pid)}")


def _assert_group_gone(pgid: int) -> None:
    if not _wait_for(lambda: not _group(pgid), GRACE):
        pytest.fail(f"processes left running after graphcost exited: {_group(pgid)}")


@contextlib.contextmanager
def _server(mode: str) -> Iterator[str]:
    """A TCP server on a free loopback port that is not Dask: it sends garbage, or nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append(connection)
            if mode == "garbage":
                with contextlib.suppress(OSError):
                    connection.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + b"\xff" * 4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- --jobs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", SMALL, "-s", "search", "--jobs", "10000"],
        ["analyze", SMALL, "-s", "all", "--jobs", "10000"],
        [
            "sweep",
            str(ROOT / "graphs" / "mlp-relu.yaml"),
            "--over",
            "p=2:4",
            "--nodes",
            "-j",
            "10000",
        ],
    ],
    ids=["search", "all", "sweep"],
)
def test_absurd_jobs_are_refused_at_once(args: list[str]) -> None:
    outcome = run_graphcost(args, timeout=30)
    assert_clean_error(outcome, contains=["--jobs 10000", "or fewer"])
    assert outcome.seconds < 20


# --- --scheduler ----------------------------------------------------------------------------

BAD_ADDRESSES = [
    "nonsense",
    "",
    "inproc://x",
    "udp://127.0.0.1:5",
    "tcp://[::1",
    "tcp://127.0.0.1:99999",
    "tcp://127.0.0.1:0",
    "tcp://127.0.0.1:80x",
    "tcp://a b:1",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_malformed_scheduler_address(address: str) -> None:
    outcome = run_graphcost(
        ["analyze", SMALL, "-s", "search", "--iterations", "10", "--scheduler", address],
        timeout=30,
    )
    assert_clean_error(outcome, contains=["tcp://"])
    assert outcome.seconds < 15


def test_scheduler_where_nothing_listens() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    outcome = run_graphcost(
        ["analyze", SMALL, "-s", "search", "--iterations", "10", "--scheduler", address],
        timeout=30,
    )
    assert_clean_error(outcome, contains=[address, "dask scheduler"])
    assert outcome.seconds < 15


@pytest.mark.parametrize("mode", ["garbage", "silent"])
def test_scheduler_port_that_is_not_dask(mode: str) -> None:
    with _server(mode) as address:
        outcome = run_graphcost(
            ["analyze", SMALL, "-s", "search", "--iterations", "10", "--scheduler", address],
            timeout=30,
        )
    line = assert_clean_error(outcome, contains=[address, "not a Dask scheduler"])
    assert "out of memory" not in line
    assert outcome.seconds < 20


# --- search budgets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "-1"),
        ("--time-limit", "0"),
        ("--time-limit", "1e308"),
        ("--iterations", str(10**20)),
        ("--iterations", "-3"),
    ],
)
@pytest.mark.parametrize("strategy", ["search", "optimal"])
def test_budgets_that_are_no_budget(strategy: str, option: str, value: str) -> None:
    outcome = run_graphcost(["analyze", BENCHMARK, "-s", strategy, option, value], timeout=30)
    assert_clean_error(outcome, contains=[option])
    assert outcome.seconds < 20


@pytest.mark.parametrize("seed", [str(10**40), "-5"])
def test_huge_and_negative_seeds_work(seed: str) -> None:
    outcome = run_graphcost(
        ["analyze", SMALL, "-s", "search", "--iterations", "50", "--seed", seed, "-f", "json"]
    )
    assert outcome.code == 0, outcome.stderr
    assert '"search"' in outcome.stdout


# --- order: specs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("order:a,a", "twice"),
        ("order:a,zz", "'zz'"),
        ("order:a", "leaves out"),
        ("order:", "leaves out"),
        ("order:,,,", "empty"),
        ("order:x1,a,b", "x1"),
        ("order:/no/such/file", "no such order file"),
        ("order:/dev/zero", "not a file"),
        ("order", "needs an argument"),
        ("bogus", "unknown strategy"),
    ],
)
def test_malformed_orders(spec: str, fragment: str) -> None:
    assert_clean_error(run_graphcost(["analyze", SMALL, "-s", spec]), contains=[fragment])


def test_order_given_as_a_folder(tmp_path: Path) -> None:
    assert_clean_error(
        run_graphcost(["analyze", SMALL, "-s", f"order:{tmp_path}"]), contains=["folder"]
    )


def test_order_given_as_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "order.fifo"
    os.mkfifo(fifo)
    outcome = run_graphcost(["analyze", SMALL, "-s", f"order:{fifo}"], timeout=20)
    assert_clean_error(outcome, contains=["FIFO"])


@pytest.mark.parametrize("name", ["a", "zz"])
def test_order_file_with_a_million_lines(tmp_path: Path, name: str) -> None:
    path = tmp_path / "order.txt"
    path.write_text(f"{name}\n" * 10**6, encoding="utf-8")
    outcome = run_graphcost(["analyze", SMALL, "-s", f"order:{path}"], timeout=30)
    assert_clean_error(outcome)
    assert outcome.seconds < 20


# --- -s optimal too big, --save-order --------------------------------------------------------


def test_optimal_on_a_graph_too_big(graph_file) -> None:
    count = 130
    names = [f"a{i}" for i in range(count)]
    chain = [["x", names[0]], *[[a, b] for a, b in itertools.pairwise(names)], [names[-1], "y"]]
    edges = ", ".join(f"[{a}, {b}]" for a, b in chain)
    path = graph_file(f"name: chain\nV: [x]\nD: [{', '.join(names)}]\nD': [y]\nE: [{edges}]\n")
    outcome = run_graphcost(["analyze", str(path), "-s", "optimal"], timeout=30)
    assert_clean_error(outcome, contains=["at most 128", "search"])


@pytest.mark.parametrize("where", ["missing-folder", "folder", "/dev/full"])
def test_save_order_to_a_bad_path(tmp_path: Path, where: str) -> None:
    target = {
        "missing-folder": str(tmp_path / "no" / "best.txt"),
        "folder": str(tmp_path),
        "/dev/full": "/dev/full",
    }[where]
    outcome = run_graphcost(["analyze", SMALL, "-s", "forward", "--save-order", target])
    assert_clean_error(outcome)


def test_failed_strategy_leaves_the_saved_order_alone(tmp_path: Path) -> None:
    saved = tmp_path / "best.txt"
    saved.write_text("a\nb\n", encoding="utf-8")
    outcome = run_graphcost(["analyze", SMALL, "-s", "order:a,zz", "--save-order", str(saved)])
    assert_clean_error(outcome)
    assert saved.read_text(encoding="utf-8") == "a\nb\n"


# --- rich markup in names --------------------------------------------------------------------

MARKUP_GRAPH = (
    "name: markup\nV: ['[/x]']\nD: ['[bold]h', '[/]']\nD': ['[red]y']\n"
    "E: [['[/x]', '[bold]h'], ['[bold]h', '[/]'], ['[/]', '[red]y']]\n"
)


@pytest.mark.parametrize(
    "args",
    [["show"], ["analyze", "-s", "all"], ["analyze", "-s", "order:[/],[bold]h"], ["jacobians"]],
    ids=["show", "strategy-all", "strategy-order", "jacobians"],
)
def test_markup_in_names_is_printed_as_text(graph_file, args: list[str]) -> None:
    path = graph_file(MARKUP_GRAPH)
    outcome = run_graphcost([args[0], str(path), *args[1:]])
    assert outcome.code == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in outcome.stderr
    assert "[bold]h" in outcome.stdout
    assert "[/]" in outcome.stdout


# --- signals and process lifetime --------------------------------------------------------------


@needs_proc
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_parallel_search_stops_every_worker(number: signal.Signals) -> None:
    """SIGTERM (to graphcost) and Ctrl-C (to the whole group, as a terminal sends it): exit
    130 with one Error line, and no worker, forkserver or tracker left behind."""
    with started(LONG_SEARCH, cwd=ROOT) as process:
        _wait_for_workers(process, 2)
        if number == signal.SIGINT:
            os.killpg(process.pid, number)
        else:
            os.kill(process.pid, number)
        out, err = process.communicate(timeout=30)
        _assert_group_gone(process.pid)
    assert process.returncode == 130, err
    lines = err.splitlines()
    assert lines == ["Error: interrupted"], err
    assert out == ""


@needs_proc
def test_workers_die_when_graphcost_is_killed() -> None:
    with started(LONG_SEARCH, cwd=ROOT) as process:
        _wait_for_workers(process, 2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        _assert_group_gone(process.pid)


@needs_proc
def test_workers_die_while_killed_graphcost_is_a_zombie() -> None:
    """Until its parent reaps it, a killed graphcost's pid still exists (a zombie)."""
    with started(LONG_SEARCH, cwd=ROOT) as process:
        _wait_for_workers(process, 2)
        os.kill(process.pid, signal.SIGKILL)
        _assert_group_gone(process.pid)  # not reaped: _group skips the zombie itself


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_optimal(number: signal.Signals) -> None:
    with started(["analyze", BENCHMARK, "-s", "optimal", "--time-limit", "60"], cwd=ROOT) as p:
        time.sleep(3)  # past start-up: the strategies run
        os.killpg(p.pid, number)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert err.splitlines() == ["Error: interrupted"], err
    assert out == ""
