"""The corpus's harness itself: a clean error passes it, a traceback or a hang does not."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import assert_clean_error, run_graphcost


def test_a_missing_file_is_one_clean_line(tmp_path) -> None:
    outcome = run_graphcost(["analyze", str(tmp_path / "absent.yaml")])
    assert_clean_error(outcome, contains=["no such file"])


def test_the_harness_rejects_success() -> None:
    outcome = run_graphcost(["--version"])
    with pytest.raises(AssertionError):
        assert_clean_error(outcome)
