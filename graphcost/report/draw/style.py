"""The colours and line styles every picture format shares, so that they look alike."""

from __future__ import annotations

from graphcost.graph.model import INPUT, INTERMEDIATE, OUTPUT

#: Box fill and outline colours by role, and the eliminated vertex's (a ghost).
FILL = {INPUT: "#d4edda", INTERMEDIATE: "#dde8f6", OUTPUT: "#fde2c4"}
EDGE_LINE = {INPUT: "#3c7d4f", INTERMEDIATE: "#4a6b96", OUTPUT: "#b06a1f"}
GHOST_FILL, GHOST_LINE = "#fbe3e3", "#c62828"
#: Colour and line width (points) per edge state in a frame of an elimination.
STATE_STYLE = {
    "plain": ("#454545", 1.0),
    "fill": ("#c62828", 2.0),
    "updated": ("#ef8a17", 1.6),
    "removed": ("#b5b5b5", 1.0),
}
#: How legends name the roles, edge kinds and edge states.
ROLE_LABEL = {INPUT: "input", INTERMEDIATE: "intermediate", OUTPUT: "output"}
KIND_LABEL = {"full": "full", "diag": "diag", "pattern": "index pattern"}
STATE_LABEL = {
    "fill": "fill-in (new edge)",
    "updated": "updated (+ products)",
    "removed": "removed",
}
