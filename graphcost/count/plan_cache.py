"""A cache of compiled sweep counts, so that a sweep of the same graph compiles them once.

:func:`cached_compile` returns :func:`~graphcost.count.compiled.compile_counts` of a graph,
reading it from ``$XDG_CACHE_HOME/graphcost`` (``~/.cache/graphcost`` by default) when an
earlier sweep stored it. Compiling costs milliseconds for sizes that are polynomials in the
symbols and up to seconds of sympy for the others (``n/m``, ``n//2``).

- **Plain data**: a file holds the integer coefficients and exponents as JSON (never pickle,
  never code), so reading one cannot run anything.
- **Keyed by content**: the SHA-256 of what the counts are compiled from (every block and
  edge of the loaded graph, its topological levels), the convention, the graphcost version, and
  the sizes and modification times of the source files that compile them (:data:`STAMPED`).
  Editing the graph, an edge file it reads, or graphcost gives another key: a stale plan is
  never read.
- **Never in the way**: a missing, unreadable, corrupt or mismatched file is ignored and the
  counts compiled again; a cache directory that cannot be written is ignored too. Files are
  written to a temporary name and renamed, so a reader never sees half a file.
- ``GRAPHCOST_NO_CACHE=1`` turns the cache off (nothing is read or written).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from graphcost.count.compiled import CompiledCounts, _IntPolynomial, _Size, compile_counts
from graphcost.graph.model import Graph

#: The layout of a cache file; a file of another format is ignored.
FORMAT = 1
#: Setting this environment variable to anything but ``""`` or ``"0"`` turns the cache off.
OFF_SWITCH = "GRAPHCOST_NO_CACHE"


def cache_directory() -> Path | None:
    """Where plans are cached (``None`` when :data:`OFF_SWITCH` turns the cache off)."""
    if os.environ.get(OFF_SWITCH, "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "graphcost"


def cached_compile(graph: Graph, convention: str) -> CompiledCounts:
    """:func:`~graphcost.count.compiled.compile_counts`, through the cache.

    Raises
    ------
    UsageError, SizeError
        As ``compile_counts`` (a cached plan exists only for graphs that compiled).
    """
    directory = cache_directory()
    key = None if directory is None else plan_key(graph, convention)
    if directory is None or key is None:
        return compile_counts(graph, convention)
    path = directory / f"plan-{key}.json"
    plan = _read(path, key, graph)
    if plan is None:
        plan = compile_counts(graph, convention)
        _write(path, key, plan)
    return plan


def plan_key(graph: Graph, convention: str) -> str | None:
    """The cache key of ``graph``'s counts under ``convention`` (``None``: not cacheable)."""
    import graphcost

    try:
        content = _canonical((graph.blocks, graph.edges, graph.level))
    except TypeError:
        return None
    text = json.dumps(
        [FORMAT, graphcost.__version__, _source_stamp(), convention, content],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` as JSON-able data that is equal exactly when the values are (raises TypeError
    for a type it does not know, which makes the graph uncacheable rather than mis-keyed)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return ["ndarray", str(value.dtype), list(value.shape), digest]
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, frozenset | set):
        return ["set", sorted(json.dumps(_canonical(item)) for item in value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f for f in dataclasses.fields(value) if f.compare]
        return [type(value).__name__, {f.name: _canonical(getattr(value, f.name)) for f in fields}]
    raise TypeError(f"no canonical form for {type(value).__name__}")


#: The subpackages whose code the compiled counts depend on (the graph model, the block
#: structure, the counting formulas and their compilation).
STAMPED = ("count", "graph", "jacobian")


def _source_stamp() -> list[Any]:
    """Sizes and modification times of the source files in :data:`STAMPED`: a changed
    graphcost (an upgrade, or an edit in a checkout under the same version) compiles afresh."""
    package = Path(__file__).resolve().parent.parent
    stamp = []
    for root, directories, files in itertools.chain(*(os.walk(package / s) for s in STAMPED)):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(root, name)
            status = os.stat(path)
            stamp.append([os.path.relpath(path, package), status.st_size, status.st_mtime_ns])
    return stamp


def _terms(polynomial: _IntPolynomial | None) -> list[Any] | None:
    if polynomial is None:
        return None
    return [[coefficient, list(exponents)] for coefficient, exponents in polynomial.terms]


def _write(path: Path, key: str, plan: CompiledCounts) -> None:
    data = {
        "format": FORMAT,
        "key": key,
        "symbols": list(plan.symbols),
        "constant": [[block, value] for block, value in sorted(plan.constant.items())],
        "sizes": [
            [size.block, _terms(size.numerator), _terms(size.denominator)] for size in plan.sizes
        ],
        "counts": [_terms(polynomial) for polynomial in plan.counts],
    }
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".plan-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, separators=(",", ":"))
        os.replace(temporary, path)
        temporary = None
    except (OSError, ValueError):  # unwritable or full: the cache is only an optimisation
        pass
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _read(path: Path, key: str, graph: Graph) -> CompiledCounts | None:
    """The plan stored at ``path``, or ``None`` when there is none or it is not exactly a
    plan of the expected shape for this key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["format"] != FORMAT or data["key"] != key:
            return None
        symbols = tuple(_strings(data["symbols"]))
        if symbols != tuple(sorted(graph.free_symbols)):
            return None
        blocks = len(graph.blocks)
        constant = {_index(b, blocks): _integer(v) for b, v in _pairs(data["constant"])}
        sizes = tuple(
            _Size(
                _index(block, blocks),
                _polynomial(top, len(symbols)),
                _polynomial(bottom, len(symbols)),
            )
            for block, top, bottom in _triples(data["sizes"])
        )
        counts = tuple(_polynomial(terms, len(sizes)) for terms in data["counts"])
        covered = sorted([*constant, *(size.block for size in sizes)])
        if covered != list(range(blocks)) or len(counts) != 4 or None in counts:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return CompiledCounts(graph, symbols, sizes, constant, counts)  # type: ignore[arg-type]


def _polynomial(terms: Any, width: int) -> _IntPolynomial | None:
    if terms is None:
        return None
    parsed = []
    for coefficient, exponents in _pairs(terms):
        powers = tuple(_integer(e) for e in exponents)
        if len(powers) != width or min(powers, default=0) < 0:
            raise ValueError("exponents")
        parsed.append((_integer(coefficient), powers))
    return _IntPolynomial(tuple(parsed))


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _index(value: Any, blocks: int) -> int:
    if not 0 <= _integer(value) < blocks:
        raise ValueError("block index")
    return value


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("symbols")
    return values


def _pairs(values: Any) -> list[tuple[Any, Any]]:
    if not isinstance(values, list) or not all(isinstance(v, list) and len(v) == 2 for v in values):
        raise ValueError("pairs")
    return [tuple(v) for v in values]


def _triples(values: Any) -> list[tuple[Any, Any, Any]]:
    if not isinstance(values, list) or not all(isinstance(v, list) and len(v) == 3 for v in values):
        raise ValueError("triples")
    return [tuple(v) for v in values]
