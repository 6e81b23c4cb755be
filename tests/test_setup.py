"""The set-up the README promises: its test command is the one CI runs, on a locked environment."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def _ci_command() -> str:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith(("#", "set ", "cd "))][
        -1
    ]


def test_readme_test_command_is_what_ci_runs() -> None:
    command = _ci_command()
    assert "-c .ci/constraints.txt" in command
    assert f"    {command}\n" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_lock_pins_every_test_requirement() -> None:
    pins = {}
    for line in (ROOT / ".ci" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in wanted:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)  # type: ignore[union-attr]
        assert re.sub(r"[-_.]+", "-", name).lower() in pins, f"{name} is not in the lock"
