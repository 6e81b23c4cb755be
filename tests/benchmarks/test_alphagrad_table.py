"""The whole AlphaGrad table (issue 12, "Benchmark"): the ten tasks, graphcost against the field.

Run with ``python -m pytest -m benchmark -s tests/benchmarks/test_alphagrad_table.py`` (about
11 minutes: ``search`` runs 60 s per task on 2 processes, seed 0). What each column is, and how
it is measured, is in :mod:`tests.benchmarks.alphagrad_table`; the same module run as a script
prints the tables alone.

Targets (issue 12): search ≤ AlphaGrad's best order re-scored by graphcost on all ten tasks and
strictly below it on at least six; import + analyze of each task ≤ 2 s. Verdicts are printed,
not asserted; what is asserted is what must hold whatever the machine: the bound is below every
count, the scalar tasks reproduce the published counts and AlphaGrad's best count exactly.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.alphagrad_table import (
    SEARCH_SECONDS,
    counts_table,
    measure,
    orders_table,
    rescored_value,
)
from tests.benchmarks.conftest import verdict

pytestmark = pytest.mark.benchmark

SCALAR_TASKS = {"RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g"}


def test_the_alphagrad_table() -> None:
    rows = measure(search_seconds=SEARCH_SECONDS)
    print()
    print(counts_table(rows))
    print()
    print(orders_table(rows))
    for row in rows:
        assert row.bound <= row.search <= int(row.ours[0].lstrip("≤").replace(",", ""))
        assert row.bound <= rescored_value(row)
        if row.task in SCALAR_TASKS:
            assert tuple(int(c.replace(",", "")) for c in row.ours) == row.published
            assert rescored_value(row) == row.best_published
    at_most = [r.task for r in rows if r.search <= rescored_value(r)]
    below = [r.task for r in rows if r.search < rescored_value(r)]
    slow = [f"{r.task} {r.seconds:.2f} s" for r in rows if r.seconds > 2.0]
    verdict(
        "search ≤ re-scored AlphaGrad best on all ten",
        len(at_most) == len(rows),
        f"{len(at_most)} of {len(rows)}; above on: "
        + (", ".join(r.task for r in rows if r.task not in at_most) or "none"),
    )
    verdict("strictly below on ≥ 6", len(below) >= 6, f"{len(below)}: {', '.join(below)}")
    verdict(
        "import + analyze ≤ 2 s each",
        not slow,
        f"slowest {max(r.seconds for r in rows):.2f} s"
        + (f"; over: {', '.join(slow)}" if slow else ""),
    )
