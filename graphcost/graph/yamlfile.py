"""Reading a YAML graph file safely into plain values that remember their lines.

The YAML is *composed* (parsed to nodes, with libyaml when available) and walked here: only
plain mappings, sequences and scalars of the core YAML types are accepted, so no tag can
construct an object, a list or mapping may not be aliased (no "billion laughs"), nesting too
deep for the stack is one clean error, and duplicate keys are rejected instead of silently
overwritten. Mappings come back as :class:`Located` and sequences as :class:`LocatedList`;
:func:`line_of` finds the line of any entry for error messages.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import yaml

from graphcost.errors import GraphFileError
from graphcost.graph.quoting import quote

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG_FIX = "use plain strings, numbers and lists"


class Located(dict):
    """A mapping from a YAML file that remembers the line of each key (``lines``)."""

    lines: dict[str, int]


class LocatedList(list):
    """A sequence from a YAML file that remembers the line of each item (``lines``)."""

    lines: list[int]


def parse_yaml(text: str, path: str) -> Any:
    """Parse YAML text into plain Python values, safely, rejecting duplicate keys.

    Mappings come back as :class:`Located` and sequences as :class:`LocatedList`, which carry
    1-based line numbers for error messages.
    """
    # A big edge list composes into hundreds of thousands of node objects; the cyclic garbage
    # collector's repeated scans of them cost five times the parse. The trees hold no cycles.
    with _gc_paused():
        try:
            return _parse_yaml(text, path)
        except RecursionError:
            raise _too_deep(path, None) from None


def _too_deep(path: str, line: int | None) -> GraphFileError:
    """One message for YAML nested too deeply, whether Python's stack or PyYAML's bound saw it."""
    return GraphFileError(
        "the YAML is nested too deeply", path=path, line=line, fix="flatten the nested lists"
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_yaml(text: str, path: str) -> Any:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        if "nesting depth" in problem:  # PyYAML >= 6.0.3 bounds nesting itself
            raise _too_deep(path, line) from None
        raise GraphFileError(
            f"malformed YAML: {problem}",
            path=path,
            line=line,
            fix="check indentation, brackets and quoting around this line",
        ) from None
    except yaml.YAMLError as error:
        raise GraphFileError(f"malformed YAML: {error}", path=path) from None
    if node is None:
        raise GraphFileError("the file is empty", path=path, fix="see the README for the format")
    return _plain(node, path, set())


def _plain(node: yaml.Node, path: str, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.CollectionNode):
        # An alias is the same node object again. Reusing a list or mapping can expand
        # exponentially ("billion laughs") or recursively, so only scalars may be aliased.
        if id(node) in seen:
            raise GraphFileError(
                "a YAML alias (*name) repeats the list or mapping anchored here",
                path=path,
                line=line,
                fix="write the repeated list or mapping out in full",
            )
        seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in _SCALAR_TAGS:
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}",
                path=path,
                line=line,
                fix=_TAG_FIX,
            )
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        try:
            return yaml.constructor.SafeConstructor().construct_object(node)
        except ValueError as error:  # e.g. an integer of more than 4300 digits
            raise GraphFileError(
                f"cannot read the value {quote(node.value, most=40)}: {error}",
                path=path,
                line=line,
            ) from None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}", path=path, line=line, fix=_TAG_FIX
            )
        items = LocatedList(_plain(item, path, seen) for item in node.value)
        items.lines = [item.start_mark.line + 1 for item in node.value]
        return items
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise GraphFileError(
                f"unsupported YAML tag {quote(node.tag)}", path=path, line=line, fix=_TAG_FIX
            )
        mapping = Located()
        mapping.lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = _plain(key_node, path, seen)
            if isinstance(key, Located | LocatedList):
                raise GraphFileError("a mapping key must be a scalar", path=path, line=key_line)
            key = str(key)
            if key in mapping:
                raise GraphFileError(
                    f"duplicate key {quote(key)} (first at line {mapping.lines[key]})",
                    path=path,
                    line=key_line,
                    fix="each key may appear once: merge or rename the entries",
                )
            mapping[key] = _plain(value_node, path, seen)
            mapping.lines[key] = key_line
        return mapping
    raise GraphFileError("unsupported YAML node", path=path, line=line)  # aliases resolve


def line_of(container: Any, key: Any) -> int | None:
    """The line of ``container[key]`` in a parsed file, or ``None`` when unknown."""
    lines = getattr(container, "lines", None)
    if lines is None:
        return None
    try:
        return lines[key]
    except (KeyError, IndexError, TypeError):
        return None
