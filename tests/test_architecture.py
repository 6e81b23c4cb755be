"""The package's layers: data flows one way, no module imports a higher layer or itself in a loop.

The layer order is written once, here. A module may import its own layer and any lower one;
every ``import`` counts, including those inside functions (deferred imports still tie layers).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import pytest

from tests.conftest import ROOT

#: Lowest first. Each entry is a module or subpackage of graphcost; a module belongs to the
#: longest prefix listed.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("graphcost.errors", "graphcost.files", "graphcost.parallel"),
    ("graphcost.graph",),
    ("graphcost.importers",),
    ("graphcost.jacobian",),
    ("graphcost.eliminate",),
    ("graphcost.count",),
    ("graphcost.numeric",),
    ("graphcost.report",),
    ("graphcost.cli",),
    ("graphcost", "graphcost.__main__"),
)
MAX_LINES = 400


def module_imports(package: Path, root: str) -> dict[str, set[str]]:
    """Every module of ``package`` (a folder named ``root``) and the package modules it imports."""
    modules: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = (root, *path.relative_to(package).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    imports: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: Iterable[str] = ()
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    imports[name].add(target)
    return imports


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int:
    """The index of the layer that owns ``module`` (the longest matching prefix)."""
    best, best_length = None, -1
    for index, prefixes in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def violations(
    imports: dict[str, set[str]], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[str]:
    """Upward imports and import loops, one sentence each."""
    found = [
        f"{module} (layer {layer_of(module, layers)}) imports {target} "
        f"(layer {layer_of(target, layers)}), a higher layer"
        for module, targets in sorted(imports.items())
        for target in sorted(targets)
        if layer_of(target, layers) > layer_of(module, layers)
    ]
    graph = nx.DiGraph([(m, t) for m, targets in imports.items() for t in targets])
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            found.append("import loop through " + ", ".join(sorted(component)))
    return found


def test_no_upward_imports_and_no_loops() -> None:
    assert violations(module_imports(ROOT / "graphcost", "graphcost")) == []


def test_every_module_is_in_a_layer() -> None:
    for module in module_imports(ROOT / "graphcost", "graphcost"):
        layer_of(module)


def test_modules_stay_small_or_say_why() -> None:
    too_long = []
    for path in sorted((ROOT / "graphcost").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and "one piece" not in docstring:
            too_long.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert too_long == [], "over ~400 lines without saying why it is one piece: " + ", ".join(
        too_long
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"low.py": "from pkg import high\n", "high.py": ""}, "pkg.low (layer 0) imports pkg.high"),
        (
            {
                "low.py": "",
                "high.py": "def f():\n    from pkg import low, high2\n",
                "high2.py": "import pkg.high\n",
            },
            "import loop through pkg.high, pkg.high2",
        ),
    ],
)
def test_the_check_catches_upward_imports_and_loops(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    layers = (("pkg.low",), ("pkg.high", "pkg.high2"), ("pkg",))
    found = violations(module_imports(package, "pkg"), layers)
    assert any(expected in line for line in found), found
