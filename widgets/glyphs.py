"""The marks relui draws besides words and colors, in a Unicode and an ASCII set.

Blue and green are never told apart by hue alone: live, candidate, idle and
failed each carry a glyph as well as their word. Under ``[ui] ascii`` (or a
non-UTF-8 locale) the app carries the ``-ascii`` class and every widget draws
the ASCII set, so no box-drawing or block character reaches the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.dom import DOMNode

ASCII_CLASS = "-ascii"


@dataclass(frozen=True)
class Glyphs:
    """One set of marks."""

    live: str
    candidate: str
    idle: str
    failed: str
    blocks: str  # eight levels, lowest first, for bars and sparklines
    filter: str


UNICODE = Glyphs(live="● *live*", candidate="◆ cand", idle="○ idle", failed="✗", blocks="▁▂▃▄▅▆▇█", filter="/")
ASCII = Glyphs(live="*live*", candidate="+cand", idle="-idle", failed="x", blocks="_.-:=+*#", filter="/")


def glyphs_for(node: DOMNode) -> Glyphs:
    """The set the app draws with: ASCII when it carries the ``-ascii`` class."""
    try:
        ascii_only = node.app.has_class(ASCII_CLASS)
    except Exception:  # noqa: BLE001 - a widget rendered outside an app (tests of pure rendering)
        return UNICODE
    return ASCII if ascii_only else UNICODE
