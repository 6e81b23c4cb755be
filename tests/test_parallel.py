"""The ordered parallel map: identical results in identical order on every backend."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graphcost.errors import UsageError
from graphcost.parallel import dask_client, map_ordered


def slow_square(value: int) -> int:
    """A task whose run time varies, so completion order differs from item order."""
    import time

    time.sleep(0.002 * (value % 3))
    return value * value


def fail_on_seven(value: int) -> int:
    if value == 7:
        raise ValueError("seven")
    return value


def test_one_process_is_the_builtin_map() -> None:
    items = list(range(-5, 20))
    assert list(map_ordered(slow_square, items)) == [v * v for v in items]


@pytest.mark.parametrize("chunksize", [1, 4])
def test_processes_keep_item_order(chunksize: int) -> None:
    items = list(range(40))
    result = list(map_ordered(slow_square, iter(items), jobs=2, chunksize=chunksize))
    assert result == [v * v for v in items]


@pytest.mark.parametrize("chunksize", [1, 3])
def test_dask_cluster_keeps_item_order(dask_scheduler: str, chunksize: int) -> None:
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    items = list(range(30))
    result = list(map_ordered(slow_square, items, scheduler=dask_scheduler, chunksize=chunksize))
    assert result == [v * v for v in items]


@pytest.mark.parametrize("backend", [{"jobs": 1}, {"jobs": 2}])
def test_a_failing_item_propagates(backend: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="seven"):
        list(map_ordered(fail_on_seven, range(10), **backend))


def test_empty_input() -> None:
    assert list(map_ordered(slow_square, [], jobs=2)) == []


@pytest.mark.parametrize(
    ("options", "message"), [({"jobs": 0}, "--jobs"), ({"chunksize": 0}, "chunksize")]
)
def test_bad_options(options: dict[str, int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        list(map_ordered(abs, [1], **options))


def test_unreachable_scheduler_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(dask_client, "CONNECT_SECONDS", 0.5)
    with pytest.raises(UsageError, match="cannot reach"):
        list(map_ordered(abs, [1], scheduler="tcp://127.0.0.1:9"))


def test_node_level_sweep_identical_on_every_backend(dask_scheduler: str) -> None:
    from graphcost.count.sweep import sweep_rows
    from graphcost.count.sweep_plan import parse_over, plan_sweep
    from graphcost.graph.loader import load_graph
    from tests.conftest import GRAPHS

    graph = load_graph(GRAPHS / "mlp-relu.yaml")
    plan = plan_sweep(graph, [parse_over("p=1:12"), parse_over("m1=2,5")], nodes=True)
    one, skipped = sweep_rows(plan)
    assert skipped == 0
    assert len(one) == 24
    assert sweep_rows(plan, jobs=2) == (one, 0)
    assert sweep_rows(plan, scheduler=dask_scheduler) == (one, 0)
    # and the vectorised block-level sweep gives the same rows (an independent engine)
    assert sweep_rows(plan_sweep(graph, plan.axes)) == (one, 0)


def test_cli_sweep_on_a_scheduler(dask_scheduler: str, runner) -> None:
    from graphcost.cli import cli
    from tests.conftest import GRAPHS

    base = ["sweep", str(GRAPHS / "seed-002-network.yaml"), "--over", "h1=1:5"]
    block = runner.invoke(cli, base)
    remote = runner.invoke(cli, [*base, "--nodes", "--scheduler", dask_scheduler])
    assert remote.exit_code == 0, remote.stderr
    assert remote.stdout == block.stdout
    assert len(remote.stdout.splitlines()) == 6


def test_workers_are_born_with_sigint_ignored() -> None:
    # Ctrl-C reaches the whole process group. A worker forked by a forkserver that started
    # with Python's KeyboardInterrupt handler had that handler until its initializer ran, and
    # a Ctrl-C in that window printed "Process ForkServerProcess-1:" and a traceback. In a
    # fresh process (the forkserver is per process): a worker without our initializer.
    code = (
        "import signal\n"
        "from graphcost.parallel.processes import _process_context\n"
        "if __name__ == '__main__':\n"
        "    with _process_context().Pool(1) as pool:\n"
        "        print(pool.apply(signal.getsignal, (signal.SIGINT,)) == signal.SIG_IGN)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "True", result.stderr
