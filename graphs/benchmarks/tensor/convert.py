"""Write the ten AlphaGrad benchmark tasks of the trace file as graphcost graph files.

Run from the repository root (the YAML files it writes are committed)::

    python graphs/benchmarks/tensor/convert.py tests/data/ad-tensor-graphs.json \
        graphs/benchmarks/tensor

Each record goes through :func:`graphcost.importers.graph_from_trace` (the equation walker)
and is written with ``yaml.safe_dump(..., sort_keys=False)``; ``tests/test_import_trace.py``
checks that converting again gives the same text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from graphcost.importers import graph_from_trace

HEADER = (
    "# Written by graphs/benchmarks/tensor/convert.py from ad-tensor-graphs.json (AlphaGrad /\n"
    "# Graphax benchmark tasks, Lohoff & Neftci, NeurIPS 2024). Do not edit: rerun the converter.\n"
)


def render(record: dict) -> str:
    """The text of one graph file."""
    return HEADER + yaml.safe_dump(
        graph_from_trace(record), sort_keys=False, default_flow_style=None, width=100
    )


def main(source: str, target: str) -> None:
    records = json.loads(Path(source).read_text())
    for name, record in records.items():
        Path(target, f"{name}.yaml").write_text(render(record))


if __name__ == "__main__":
    main(*sys.argv[1:3])
