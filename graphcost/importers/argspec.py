"""Example-argument specs of the JAX importer: ``f32[n,3]`` → dtype and dimensions.

A spec is a dtype, then the shape in brackets: ``f32[]`` (a scalar), ``f64[784]``,
``f32[n,3]`` (``n`` a size symbol). Dtypes: ``f16 bf16 f32 f64 i8 i16 i32 i64 u8 u32 bool`` or
their numpy names (``float32``). A dimension is a positive integer or an identifier (a size
symbol, traced by JAX as a symbolic dimension); expressions such as ``2*n`` are not accepted
here (use another symbol).

Examples
--------
>>> parse_arg("f32[n,3]")
ArgSpec(dtype='float32', dims=('n', 3))
>>> parse_arg(" float64[] ")
ArgSpec(dtype='float64', dims=())
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphcost.errors import UsageError
from graphcost.graph.quoting import quote

_DTYPES = {
    "f16": "float16",
    "bf16": "bfloat16",
    "f32": "float32",
    "f64": "float64",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "u8": "uint8",
    "u32": "uint32",
    "bool": "bool",
}
_SPEC = re.compile(r"\s*([A-Za-z0-9_]+)\s*\[([^\]]*)\]\s*")
_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The largest dimension an example argument may have (JAX allocates the example).
MAX_DIM = 10**8
#: The most dimensions an example argument may have.
MAX_RANK = 8


@dataclass(frozen=True)
class ArgSpec:
    """One example argument: its numpy dtype name and its dimensions (int or symbol name)."""

    dtype: str
    dims: tuple[int | str, ...]

    @property
    def symbols(self) -> list[str]:
        """The size symbols among the dimensions, in order."""
        return [d for d in self.dims if isinstance(d, str)]


def parse_arg(spec: str) -> ArgSpec:
    """Parse one ``--arg`` spec (see the module docstring).

    Raises
    ------
    UsageError
        When the spec does not parse, names an unknown dtype, or has a bad dimension.
    """
    fix = "write a dtype and a shape, e.g. --arg 'f32[n,3]' or --arg 'f64[]' for a scalar"
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise UsageError(f"--arg {quote(spec)} does not parse", fix=fix)
    dtype = _DTYPES.get(match.group(1), match.group(1))
    if dtype not in _DTYPES.values():
        raise UsageError(
            f"--arg {quote(spec)}: unknown dtype {quote(match.group(1))}",
            fix=f"use one of {', '.join(_DTYPES)}",
        )
    text = match.group(2).strip()
    parts = [p.strip() for p in text.split(",")] if text else []
    if len(parts) > MAX_RANK:
        raise UsageError(
            f"--arg {quote(spec)} has {len(parts)} dimensions", fix=f"at most {MAX_RANK}"
        )
    dims: list[int | str] = []
    for part in parts:
        if part.isdigit() and 0 < int(part) <= MAX_DIM:
            dims.append(int(part))
        elif _SYMBOL.fullmatch(part):
            dims.append(part)
        else:
            raise UsageError(
                f"--arg {quote(spec)}: dimension {quote(part)} is neither a positive integer "
                f"(at most {MAX_DIM:,}) nor a symbol name",
                fix=fix,
            )
    return ArgSpec(dtype, tuple(dims))
