"""The shipped example graphs: ``graphcost examples``, ``example:NAME``, and their packaging."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphcost.cli import cli
from graphcost.cli.examples import example_names, example_path, examples_folder
from tests.conftest import GRAPHS, ROOT


def shipped_files() -> list[str]:
    """The graphs/ files a user gets, found here by their suffixes alone (not by the module)."""
    return sorted(
        p.relative_to(GRAPHS).as_posix()
        for p in GRAPHS.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".onnx")
    )


def test_a_checkout_reads_graphs_itself() -> None:
    assert examples_folder() == GRAPHS


def test_every_shipped_file_has_a_name_that_resolves_to_it() -> None:
    names = example_names()
    assert len(names) == len(shipped_files())
    resolved = sorted(Path(example_path("example:" + n)).relative_to(GRAPHS) for n in names)
    assert [p.as_posix() for p in resolved] == shipped_files()
    assert {"exercise-4b", "onnx/mlp.onnx", "benchmarks/tensor/f"} <= set(names)


def test_the_listing_has_one_line_per_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["examples"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines()[1:] if line]
    assert [line.split()[0] for line in lines] == example_names()
    assert all(len(line) <= 100 for line in lines)
    assert "  small  " in result.stdout  # and each line says something about its graph
    assert all(len(line.split()) > 2 for line in lines)


def test_examples_name_prints_the_file(runner: CliRunner) -> None:
    for name in ("exercise-4b", "exercise-4b.yaml", "example:small"):
        result = runner.invoke(cli, ["examples", name])
        assert result.exit_code == 0, result.stderr
        stem = name.removeprefix("example:").removesuffix(".yaml")
        assert result.stdout == (GRAPHS / f"{stem}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("command", "example", "path"),
    [
        (["analyze", "-f", "csv"], "example:exercise-4b", "graphs/exercise-4b.yaml"),
        (
            ["analyze", "--set", "n=12", "-f", "csv"],
            "example:exercise-4b.yaml",
            "graphs/exercise-4b.yaml",
        ),
        (["analyze", "-f", "csv"], "example:benchmarks/Hole", "graphs/benchmarks/Hole.yaml"),
        (["show", "-f", "edges"], "example:small", "graphs/small.yaml"),
        (["check"], "example:seed-004-expression", "graphs/seed-004-expression.yaml"),
    ],
)
def test_example_name_counts_as_the_file(
    runner: CliRunner, command: list[str], example: str, path: str
) -> None:
    by_name = runner.invoke(cli, [command[0], example, *command[1:]])
    by_path = runner.invoke(cli, [command[0], str(ROOT / path), *command[1:]])
    assert by_name.exit_code == by_path.exit_code == 0, by_name.stderr + by_path.stderr
    assert by_name.stdout == by_path.stdout


def test_an_onnx_example_is_imported() -> None:
    pytest.importorskip("onnx")
    runner = CliRunner()
    by_name = runner.invoke(cli, ["analyze", "example:onnx/mlp.onnx", "-f", "csv"])
    by_path = runner.invoke(cli, ["analyze", str(GRAPHS / "onnx" / "mlp.onnx"), "-f", "csv"])
    assert by_name.exit_code == 0, by_name.stderr
    assert by_name.stdout == by_path.stdout


def test_import_onnx_takes_an_example() -> None:
    pytest.importorskip("onnx")
    runner = CliRunner()
    by_name = runner.invoke(cli, ["import", "onnx", "example:onnx/mlp.onnx"])
    by_path = runner.invoke(cli, ["import", "onnx", str(GRAPHS / "onnx" / "mlp.onnx")])
    assert by_name.exit_code == 0, by_name.stderr
    assert by_name.stdout == by_path.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "example:exercise4b"], "did you mean example:exercise-4b"),
        (["analyze", "example:"], "no shipped example named ''"),
        (["examples", "no-such-graph"], "graphcost examples lists them"),
        (["analyze", "example:../pyproject"], "no shipped example named '../pyproject'"),
    ],
)
def test_an_unknown_name_is_one_error_line(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no shipped example named")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


# -- packaging: graphs/ is the package data graphcost/examples/ --------------------------------


def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]


def test_the_package_list_names_every_package() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "graphcost").rglob("__init__.py")
    }
    config = setuptools_config()
    assert set(config["packages"]) == found | {"graphcost.examples"}
    assert config["package-dir"] == {"graphcost.examples": "graphs"}


def test_the_package_data_holds_every_shipped_file() -> None:
    patterns = setuptools_config()["package-data"]["graphcost.examples"]

    # setuptools matches each pattern against paths below the package folder, one level per /.
    def matched(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, pattern) and path.count("/") == pattern.count("/")
            for pattern in patterns
        )

    assert [f for f in shipped_files() if not matched(f)] == []


@pytest.mark.slow
def test_an_installed_wheel_runs_an_example_from_anywhere(tmp_path: Path) -> None:
    """Build the wheel as ``pip install .`` does (fetching the build requirements from the
    package index), install it into a folder of its own, and run it from outside the
    checkout, where graphs/ does not exist."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    subprocess.run([*build, "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("graphcost-*.whl")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target"]
    subprocess.run([*install, str(target), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "100"}

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "graphcost", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    located = run("examples", "small")  # the installed copy, not the checkout's
    assert located == (GRAPHS / "small.yaml").read_text(encoding="utf-8")
    code = "import graphcost.cli.examples as e; print(e.examples_folder())"
    where = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert Path(where.stdout.strip()) == target / "graphcost" / "examples"
    assert (
        run("examples").splitlines()[1:]
        == CliRunner().invoke(cli, ["examples"], env={"COLUMNS": "100"}).stdout.splitlines()[1:]
    )
    expected = CliRunner().invoke(cli, ["analyze", "example:exercise-4b", "-f", "csv"]).stdout
    assert run("analyze", "example:exercise-4b", "-f", "csv") == expected
