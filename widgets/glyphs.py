"""The marks relui draws besides words and colors, in a Unicode and an ASCII set.

Blue and green are never told apart by hue alone: live, candidate, idle and
failed each carry a glyph as well as their word. Under ``[ui] ascii`` (or a
non-UTF-8 locale) the app carries the ``-ascii`` class and every widget draws
the ASCII set, so no box-drawing or block character reaches the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.dom import DOMNode
from textual.scrollbar import ScrollBar, ScrollBarRender

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


class AsciiScrollBarRender(ScrollBarRender):
    """Scrollbars without the eighth-block glyphs Textual draws at a thumb's ends.

    The thumb is reverse video in whole cells, so it still shows on a monochrome
    terminal; it only moves in whole cells.
    """

    VERTICAL_BARS: ClassVar[list[str]] = [" "]
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "]


def use_scrollbars(ascii_only: bool) -> None:
    """The scrollbar drawing for this process's app (Textual's documented ``ScrollBar.renderer`` hook)."""
    ScrollBar.renderer = AsciiScrollBarRender if ascii_only else ScrollBarRender
