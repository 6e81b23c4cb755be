"""Hostile JAX programs and argument specs (issue 12): ``graphcost import jax`` and
``graphcost analyze jax:MODULE:FUNCTION`` give one ``Error:`` line, exit 2, for a module that
does not import, a function that raises, a primitive without a rule, control flow without
``--unroll``, and an argument spec that does not parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hostile.conftest import assert_clean_error, run_graphcost

pytest.importorskip("jax")

PROGRAMS = "tests.data.jax_programs"

CASES = [
    pytest.param(
        ["import", "jax", "no_such_module_here:f", "--arg", "f32[3]"],
        ["cannot import 'no_such_module_here'", "ModuleNotFoundError"],
        id="module-does-not-import",
    ),
    pytest.param(
        ["import", "jax", "broken.py:f", "--arg", "f32[3]"],
        ["cannot import 'broken.py'", "ZeroDivisionError"],
        id="module-raises-on-import",
    ),
    pytest.param(
        ["import", "jax", "exits.py:f", "--arg", "f32[3]"],
        ["cannot import 'exits.py'", "SystemExit"],
        id="module-exits-on-import",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:no_such_function", "--arg", "f32[3]"],
        ["has no 'no_such_function'"],
        id="function-missing",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}", "--arg", "f32[3]"],
        ["is not MODULE:FUNCTION"],
        id="target-without-function",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:raises", "--arg", "f32[3]"],
        ["tracing 'raises' raised ValueError", "this function always fails"],
        id="function-raises",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:mlp", "--arg", "f32[3]"],
        ["tracing 'mlp' raised TypeError"],
        id="too-few-arguments",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:unsupported", "--arg", "f32[3]"],
        ["primitive 'cumsum' is not supported"],
        id="unsupported-primitive",
    ),
    pytest.param(
        ["analyze", f"jax:{PROGRAMS}:loop", "--arg", "f32[3]"],
        ["uses 'scan' (control flow)", "--unroll"],
        id="control-flow",
    ),
    pytest.param(
        ["analyze", f"jax:{PROGRAMS}:cond", "--arg", "f32[n]", "--unroll"],
        ["unrolling 'cond' needs concrete example values"],
        id="unroll-with-symbolic-shapes",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:remat", "--arg", "f32[n"],
        ["--arg 'f32[n' does not parse", "--arg 'f32[n,3]'"],
        id="spec-does-not-parse",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:remat", "--arg", "q9[3]"],
        ["unknown dtype 'q9'"],
        id="spec-unknown-dtype",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:remat", "--arg", "f32[99999999999]"],
        ["is neither a positive integer"],
        id="spec-huge-dimension",
    ),
    pytest.param(
        ["analyze", f"jax:{PROGRAMS}:remat"],
        ["needs its example arguments", "--arg"],
        id="analyze-without-args",
    ),
    pytest.param(
        ["analyze", "graphs/exercise-4b.yaml", "--arg", "f32[3]"],
        ["--arg and --unroll apply to jax:MODULE:FUNCTION only"],
        id="args-for-a-graph-file",
    ),
    pytest.param(
        ["import", "jax", f"{PROGRAMS}:mlp", *["--arg", "f32[3]"] * 5, "--wrt", "W9"],
        ["'W9', which is not an input"],
        id="wrt-unknown-input",
    ),
]


@pytest.mark.parametrize(("args", "fragments"), CASES)
def test_bad_programs_are_one_clean_error(
    args: list[str], fragments: list[str], tmp_path: Path
) -> None:
    (tmp_path / "broken.py").write_text("x = 1 / 0\n")
    (tmp_path / "exits.py").write_text("raise SystemExit(3)\n")
    local = any(a.startswith(("broken.py", "exits.py")) for a in args)
    outcome = run_graphcost(args, cwd=tmp_path if local else ROOT)
    assert_clean_error(outcome, contains=fragments)


def test_output_is_not_written_when_the_import_fails(tmp_path: Path) -> None:
    target = tmp_path / "model.yaml"
    target.write_text("precious: true\n")
    outcome = run_graphcost(
        ["import", "jax", f"{PROGRAMS}:unsupported", "--arg", "f32[3]", "-o", str(target)],
        cwd=ROOT,
    )
    assert_clean_error(outcome)
    assert target.read_text() == "precious: true\n"
