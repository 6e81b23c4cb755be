"""Reading a YAML graph file safely into plain values that remember their lines.

The YAML is *composed* (parsed to nodes, with libyaml when available) and walked here: only
plain mappings, sequences and scalars of the core YAML types are accepted, so no tag can
construct an object, a list or mapping may not be aliased (no "billion laughs"), nesting too
deep for the stack is one clean error, and duplicate keys are rejected instead of silently
overwritten. Mappings come back as :class:`Located` and sequences as :class:`LocatedList`;
:func:`line_of` finds the line of any entry for error messages. A top-level line
``KEY: [a, b, ...]`` of :data:`LONG_LIST_CHARS` or more plain names (a million node
declarations) is split here instead of composed, with the same values and lines.
"""

from __future__ import annotations

import contextlib
import gc
import re
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
#: A top-level line ``KEY: [names]`` this long is read without the composer (:func:`_long_lists`).
LONG_LIST_CHARS = 10_000
_LIST_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_']*): \[(.*)\][ \t]*")
#: Names YAML reads as the strings they are, separated by ", ".
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?:, [A-Za-z_][A-Za-z0-9_.\-]*)*")
#: ... except these words in any case (YAML 1.1 reads some of them as booleans or null).
#: Characters that break lines for YAML or str.splitlines, but \n: line numbers could differ.
_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_RESERVED = re.compile(r"(?:^|, )(?:yes|no|true|false|on|off|null)(?=, |$)", re.IGNORECASE)


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
    with gc_paused():
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
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building a million acyclic objects (YAML nodes,
    blocks) otherwise pays for its repeated scans of them, several times the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_yaml(text: str, path: str) -> Any:
    long_lists = _long_lists(text)
    if long_lists:
        shortened = text.split("\n")
        for number, (key, _) in long_lists.items():
            shortened[number] = f"{key}: []"
        node = _compose("\n".join(shortened), path)
        found = _placeholders(node, long_lists)
        if found is not None:  # each placeholder is the top-level list it stands for
            return _plain(node, path, set(), found)
    return _plain(_compose(text, path), path, set(), {})


def _long_lists(text: str) -> dict[int, tuple[str, list[str]]]:
    """The lines ``KEY: [name, name, ...]`` of :data:`LONG_LIST_CHARS` or more characters,
    by 0-based line number, with their key and names: read here, not by the YAML composer
    (a million names composed cost seconds). Only names YAML reads as the plain strings
    they are (no quotes, no number, no true/false/null) qualify; anything else stays YAML's."""
    if len(text) < LONG_LIST_CHARS or any(mark in text for mark in _OTHER_BREAKS):
        return {}
    found = {}
    for number, line in enumerate(text.split("\n")):
        if len(line) < LONG_LIST_CHARS:
            continue
        match = _LIST_LINE.fullmatch(line)
        if match and _NAMES.fullmatch(match[2]) and not _RESERVED.search(match[2]):
            found[number] = (match[1], match[2].split(", "))
    return found


def _placeholders(
    node: yaml.Node | None, long_lists: dict[int, tuple[str, list[str]]]
) -> dict[int, LocatedList] | None:
    """The lists for the placeholders ``KEY: []``, by the id of their node, when each is the
    value of its key in the top-level mapping on its own line (else ``None``: the text is read
    whole)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found: dict[int, LocatedList] = {}
    for key_node, value_node in node.value:
        number = key_node.start_mark.line
        if number in long_lists and key_node.value == long_lists[number][0]:
            if not isinstance(value_node, yaml.SequenceNode) or value_node.value:
                return None
            items = LocatedList(long_lists[number][1])
            items.lines = [number + 1] * len(items)
            found[id(value_node)] = items
    return found if len(found) == len(long_lists) else None


def _compose(text: str, path: str) -> yaml.Node:
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
    return node


def _plain(node: yaml.Node, path: str, seen: set[int], read: dict[int, LocatedList]) -> Any:
    """``node`` as plain values; ``read`` holds lists read already, by the id of their node."""
    if id(node) in read:
        return read[id(node)]
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
        items = LocatedList(_plain(item, path, seen, read) for item in node.value)
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
            key = _plain(key_node, path, seen, read)
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
            mapping[key] = _plain(value_node, path, seen, read)
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
