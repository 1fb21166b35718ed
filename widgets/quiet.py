"""Update a Static only when what it shows changes.

Over SSH every repaint is bytes on the wire: ``Static.update`` repaints (and
lays out) even when handed the same text, and a dashboard that re-pushes
every line at every refresh keeps the terminal busy while nothing happens.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static


def same_content(shown: VisualType, new: VisualType) -> bool:
    """True when ``new`` would draw exactly what ``shown`` draws.

    ``rich.text.Text.__eq__`` ignores the base style, so two Texts are compared
    by their plain text, spans and style.
    """
    if isinstance(shown, Text) and isinstance(new, Text):
        return (shown.plain, shown.spans, shown.style, shown.justify, shown.overflow, shown.no_wrap) == (
            new.plain,
            new.spans,
            new.style,
            new.justify,
            new.overflow,
            new.no_wrap,
        )
    if isinstance(shown, str) and isinstance(new, str):
        return shown == new
    return False


def update_if_changed(widget: Static, content: VisualType) -> bool:
    """``widget.update(content)`` unless it already shows that; True when it repainted.

    A layout pass (every widget on the screen placed again) runs only when
    the new content needs another height, or the widget's width follows its
    content: most updates change words, not lines.
    """
    if same_content(widget.content, content):
        return False
    width = widget.content_size.width
    # No width rule means the widget fills its container; ``width: auto`` (Label) follows the content.
    if not width or (widget.styles.width is not None and widget.styles.width.is_auto):
        widget.update(content)
        return True
    screen = widget.screen.size
    before = widget.get_content_height(widget.size, screen, width)
    widget.update(content, layout=False)
    if widget.get_content_height(widget.size, screen, width) != before:
        widget.refresh(layout=True)
    return True
