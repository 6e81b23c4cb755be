"""Convert the scalar AD benchmark graphs (``ad-scalar-graphs.json``) into graphcost graph files.

Run once from the repository root (the YAML files it writes are committed)::

    python graphs/benchmarks/convert.py ../shared/benchmarks/ad-scalar-graphs.json graphs/benchmarks

Why a converter rather than a JSON reader in the loader: graph files keep one format, with one
safe, line-numbered loader; the benchmarks become ordinary files that every command reads; and
the conversion is kept here so that it can be rerun and is checked by
``tests/test_benchmarks_published.py`` (converting again gives the same text).

What is kept:

- ``V``, ``D``, ``D'``: the JSON's inputs, intermediates and outputs **in its order** (the
  evaluation order; D's order is the forward order and the Markowitz tie-break).
- ``E``: the edges, in the JSON's order.
- ``published``: the scalar multiplication counts the AlphaGrad project reports (forward,
  reverse, markowitz and, where there is one, best_known), read back by the tests.
- ``ops``: as a comment beside each vertex (for reading only; graphs carry no values).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SOURCE_NOTE = (
    "# Converted by graphs/benchmarks/convert.py from ad-scalar-graphs.json (shared benchmarks;\n"
    "# AlphaGrad / Graphax, Lohoff & Neftci, NeurIPS 2024). Do not edit: rerun the converter.\n"
)


def to_yaml(name: str, entry: Mapping[str, Any]) -> str:
    """The graph file text of one benchmark graph of the JSON."""
    ops = entry.get("ops", {})
    published = entry["published"]
    sizes = (len(entry["inputs"]), len(entry["intermediates"]), len(entry["outputs"]))
    lines = [
        SOURCE_NOTE.rstrip("\n"),
        f"name: {name}",
        f"description: scalar AD benchmark graph {name} ({sizes[0]} inputs, "
        f"{sizes[1]} intermediates, {sizes[2]} outputs, {len(entry['edges'])} edges)",
    ]
    for key, vertices in (("V", "inputs"), ("D", "intermediates"), ("D'", "outputs")):
        lines.append(f"{key}:")
        lines += [f"  - {v}  # {ops[v]}" if v in ops else f"  - {v}" for v in entry[vertices]]
    lines.append("E:")
    lines += [f"  - [{a}, {b}]" for a, b in entry["edges"]]
    lines.append("# Scalar multiplications of vertex elimination as published (AlphaGrad).")
    lines.append("published:")
    lines += [f"  {key}: {int(value)}" for key, value in published.items()]
    return "\n".join(lines) + "\n"


def convert(source: Path, target: Path) -> list[Path]:
    """Write ``target/NAME.yaml`` for every graph of ``source``; returns the paths written."""
    data = json.loads(source.read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, entry in data.items():
        path = target / f"{name}.yaml"
        path.write_text(to_yaml(name, entry), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python graphs/benchmarks/convert.py SOURCE.json TARGET_DIR\n")
        return 2
    for path in convert(Path(argv[0]), Path(argv[1])):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
