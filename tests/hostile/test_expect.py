"""Hostile --expect expressions: refused as every graph expression is (the same whitelist),
each one clean Error: line and exit 2, in a process of its own, with nothing on stdout."""

from __future__ import annotations

import pytest

from tests.conftest import GRAPHS
from tests.hostile.conftest import assert_clean_error, run_graphcost

LOGISTIC = str(GRAPHS / "seed-004-logistic-squared.yaml")

CASES = [
    pytest.param("w = __import__('os').system('touch pwned')", "only plain function", id="import"),
    pytest.param("w = exec('1')", "unknown function 'exec'", id="exec"),
    pytest.param("w = x.__class__", "attribute access", id="attribute"),
    pytest.param("w = 2**10**10", "exponent 10 ** 10 is too large", id="huge-power"),
    pytest.param("w = x**100000", "exponent 100000 is too large", id="huge-exponent"),
    pytest.param("w = 10**400*x", "beyond the range of a float", id="huge-constant"),
    pytest.param("w = q*x", "unknown name 'q'", id="unknown-name"),
    pytest.param("zz = 1", "'zz' is not a node", id="left-not-a-node"),
    pytest.param("l/zz = 1", "'zz' is not a node", id="left-wrt-not-a-node"),
    pytest.param("= x", "the left side is empty", id="left-empty"),
    pytest.param("w 2*x", "has no '='", id="no-equals"),
    pytest.param("w =", "empty expression", id="right-empty"),
    pytest.param("w = (lambda: 1)()", "only plain function", id="lambda"),
    pytest.param("w = [x][0]", "subscripts", id="subscript"),
    pytest.param("w = 'x'", "literal", id="string"),
    pytest.param("w = x if y else p", "conditional", id="conditional"),
    pytest.param("w = linear(x)", "unknown function 'linear'", id="layer-op"),
    pytest.param("w = max(x)", "max takes 2 arguments", id="arity"),
    pytest.param("w = 1/0", "division by zero", id="division-by-zero"),
    pytest.param("w = " + "(" * 300 + "x" + ")" * 300, "nested", id="deep"),
    pytest.param("w = " + "x+" * 6000 + "x", "too long", id="long"),
    pytest.param("w = ｘ", "would be read as 'x'", id="nfkc"),
    pytest.param("w = log(-1 - x*x)", "not finite at any of the 8 points", id="never-finite"),
]


@pytest.mark.parametrize(("expect", "fragment"), CASES)
def test_hostile_expect_is_refused(expect: str, fragment: str, tmp_path) -> None:
    outcome = run_graphcost(["check", LOGISTIC, "--expect", expect], cwd=tmp_path)
    assert_clean_error(outcome, contains=[fragment])
    assert not (tmp_path / "pwned").exists()


def test_expect_on_a_block_graph_is_refused() -> None:
    outcome = run_graphcost(["check", str(GRAPHS / "seed-002-network.yaml"), "--expect", "x0 = 1"])
    assert_clean_error(outcome, contains=["node-level graphs"])


def test_expect_on_a_graph_of_several_outputs_asks_for_one(graph_file) -> None:
    path = graph_file("V: [x]\nD': [u, v]\ng: {u: x**2, v: sin(x)}\n")
    outcome = run_graphcost(["check", str(path), "--expect", "x = 2*x"])
    assert_clean_error(outcome, contains=["several outputs", "--output-node"])
