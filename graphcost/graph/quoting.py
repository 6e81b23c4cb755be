"""How an error message quotes a user's value: :func:`quote`, used by every graph module.

The lowest module of the graph layer (it imports nothing of graphcost), so the YAML reader,
the expression checker, the exact evaluator and the validators can all quote file content the
same way: one line, cut to a readable length.
"""

from __future__ import annotations

from typing import Any


def quote(value: Any, most: int = 60) -> str:
    """A user's value as an error message quotes it: its ``repr``, cut to about ``most`` characters.

    The one helper every message quoting file content uses: ``repr`` escapes line breaks and
    terminal escapes (the message stays one line), and the cut keeps a 10,000-character name
    from filling the screen.

    Examples
    --------
    >>> quote("n/3")
    "'n/3'"
    >>> quote("[" * 100, most=5)
    "'[[[[[...'"
    """
    if isinstance(value, str):
        return repr(value if len(value) <= most else value[:most] + "...")
    text = repr(value)
    return text if len(text) <= most else text[:most] + "..."
