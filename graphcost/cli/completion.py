"""Shell completion of option values: ``--convention`` names and ``--strategy`` lists.

click completes commands, options and ``Choice`` values itself once the shell is set up
(``eval "$(_GRAPHCOST_COMPLETE=bash_source graphcost)"``, see the README). The values here are
free text to click, because a ``--strategy`` value is a comma list (``markowitz,chain``) or
carries a path (``order:best.txt``), and a convention's error names the valid ones in the
library's words; these callbacks offer the fixed names all the same.
"""

from __future__ import annotations

import os
from typing import Any

from click.shell_completion import CompletionItem


def complete_convention(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """The counting conventions that start with ``incomplete``."""
    from graphcost.count.recursions import CONVENTIONS

    return [CompletionItem(name) for name in CONVENTIONS if name.startswith(incomplete)]


#: Strategy specs that take an argument after the colon: a file of names or indices.
_WITH_PATH = ("order:", "graphax:")


def strategy_candidates(incomplete: str) -> list[str]:
    """Completions of a ``--strategy`` value: the last comma-separated part is completed.

    Examples
    --------
    >>> strategy_candidates("mark")
    ['markowitz']
    >>> strategy_candidates("forward,ba")
    ['forward,backward']
    >>> "order:" in strategy_candidates("")
    True
    >>> strategy_candidates("edge-m")
    ['edge-markowitz']
    """
    import graphcost.eliminate.portfolio  # noqa: F401  (registers edge-*, face-*, portfolio)
    from graphcost.eliminate.families import FAMILY_STRATEGIES
    from graphcost.eliminate.registry import ALIASES, STRATEGIES

    head, _, last = incomplete.rpartition(",")
    head = f"{head}," if head else ""
    if last.startswith(_WITH_PATH):
        return [head + path for path in _paths(last)]
    names = [n for n, s in STRATEGIES.items() if not s.takes_argument]
    words = [*names, *ALIASES, "all", *FAMILY_STRATEGIES, "families", *_WITH_PATH]
    return [head + word for word in dict.fromkeys(words) if word.startswith(last)]


def _paths(spec: str) -> list[str]:
    """``order:PATH`` completions: the files and folders that ``PATH`` begins."""
    prefix, _, partial = spec.partition(":")
    folder, _, start = partial.rpartition("/")
    try:
        entries = sorted(os.listdir(folder or "."))
    except OSError:
        return []
    shown = f"{folder}/" if folder else ""
    return [
        f"{prefix}:{shown}{entry}{'/' if os.path.isdir(os.path.join(folder or '.', entry)) else ''}"
        for entry in entries
        if entry.startswith(start) and not entry.startswith(".")
    ]


def complete_strategy(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """click ``shell_complete`` callback of ``--strategy``."""
    return [CompletionItem(value) for value in strategy_candidates(incomplete)]
