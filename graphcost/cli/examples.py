"""``graphcost examples`` and ``example:NAME``: the shipped graphs, from anywhere.

The example graphs live once, in the repository's ``graphs/`` folder (the tests read them
there). An installed graphcost carries them as the package data ``graphcost/examples/``
(``pyproject.toml`` maps ``graphs/`` to it); a source checkout (an editable install, or
``python -m graphcost`` in the clone) reads ``graphs/`` itself. Wherever a command takes a
graph FILE, ``example:NAME`` names one of them: ``example:exercise-4b``,
``example:benchmarks/tensor/f``, ``example:onnx/mlp.onnx``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from graphcost.errors import UsageError

EXAMPLE_PREFIX = "example:"
#: The kinds of file shipped (pyproject.toml's package-data for graphcost.examples says the same).
SUFFIXES = (".yaml", ".onnx")


def is_example(source: str | None) -> bool:
    """Whether a FILE argument names a shipped example (``example:NAME``)."""
    return source is not None and source.startswith(EXAMPLE_PREFIX)


def examples_folder() -> Path:
    """The folder of the shipped graphs: the installed package data, else the checkout's graphs/.

    Raises
    ------
    UsageError
        When neither exists (an installation without its data files).
    """
    package = Path(__file__).resolve().parent.parent  # graphcost/
    for folder in (package / "examples", package.parent / "graphs"):
        if folder.is_dir():
            return folder
    raise UsageError(
        "the example graphs are not installed with this graphcost",
        fix="reinstall it from the repository with pip install .",
    )


def example_names(folder: Path | None = None) -> list[str]:
    """The names of the shipped graphs as ``example:NAME`` takes them, folder by folder.

    A YAML graph is named by its path in the folder without ``.yaml`` (``benchmarks/g``); an
    ONNX model keeps its suffix (``onnx/mlp.onnx``), which tells commands to import it.
    """
    folder = folder or examples_folder()
    files = [p.relative_to(folder) for p in folder.rglob("*") if p.suffix in SUFFIXES]
    names = [(p.with_suffix("") if p.suffix == ".yaml" else p).as_posix() for p in files]
    return sorted(names, key=lambda name: name.rpartition("/")[::2])  # by folder, then name


def example_path(source: str) -> str:
    """The file an ``example:NAME`` stands for (``NAME.yaml`` also accepted).

    Raises
    ------
    UsageError
        For a name that is no shipped graph, with the closest names.
    """
    name = source[len(EXAMPLE_PREFIX) :] if is_example(source) else source
    name = name.removesuffix(".yaml")
    names = example_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join('example:' + c for c in close)}? " if close else ""
        raise UsageError(
            f"no shipped example named {name!r}",
            fix=f"{hint}graphcost examples lists them",
        )
    suffix = "" if name.endswith(".onnx") else ".yaml"
    return str(examples_folder() / f"{name}{suffix}")


def summary(path: Path, width: int = 72) -> str:
    """One line on a shipped graph: its ``description``, else its first comment line."""
    line = "an ONNX model, imported when read (graphcost import onnx writes its graph file)"
    if path.suffix != ".onnx":
        import yaml

        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        line = str(data.get("description") or "") if isinstance(data, dict) else ""
        if not line:
            comments = [s.lstrip("# ").strip() for s in text.splitlines() if s.startswith("#")]
            line = comments[0] if comments else ""
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 1].rstrip(" ,;:(") + "…"


# Registered on the group by graphcost.cli (this module is imported by base.load, so it does
# not import base itself).
@click.command()
@click.argument("name", required=False, metavar="[NAME]")
def examples(name: str | None) -> None:
    """List the shipped example graphs, or print the one called NAME.

    Every command that takes a graph FILE also takes example:NAME, from any folder. Print an
    example to start a graph of your own from it.

    \b
    Examples:
      graphcost examples
      graphcost analyze example:exercise-4b
      graphcost draw example:exercise-4b -o exercise-4b.svg
      graphcost examples exercise-4b > my-graph.yaml
    """
    if name is not None:
        click.echo(Path(example_path(name)).read_text(encoding="utf-8"), nl=False)
        return
    import shutil

    folder = examples_folder()
    groups: dict[str, list[str]] = {}
    for entry in example_names(folder):
        groups.setdefault(entry.rpartition("/")[0], []).append(entry)
    columns = shutil.get_terminal_size((100, 24)).columns
    click.echo("Shipped example graphs (give example:NAME where a command takes a FILE):")
    for group in groups.values():  # one block per folder, each as wide as its names
        width = max(len(entry) for entry in group)
        room = max(30, columns - width - 5)
        click.echo()
        for entry in group:
            suffix = "" if entry.endswith(".onnx") else ".yaml"
            click.echo(f"  {entry:<{width}}  {summary(folder / (entry + suffix), room)}")
