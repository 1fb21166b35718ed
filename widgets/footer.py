"""The key line at the bottom: one widget that draws every key, and repaints only when they change.

Textual's Footer is a widget per key (ten on the dashboard) and recomposes
all of them at each bindings refresh, which a focus move triggers two or
three times. Every one of those widgets is styled, laid out and painted at
start and again after each recompose: on the dashboard that was about a
tenth of the first frame, and a burst of repaints for a line that looked
the same as before. ``KeyHints`` draws the same line as one piece of text;
a click on a key presses it, hovering shows its tooltip, a key whose
action is unavailable is dimmed and only rings the bell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

from relui.widgets.glyphs import ASCII, glyphs_for


@dataclass(frozen=True)
class KeyHint:
    """One key as the line shows it."""

    key: str  # what simulate_key presses
    display: str  # what the operator reads (``k``, ``^p``)
    description: str
    enabled: bool
    tooltip: str


class KeyHints(Widget, can_focus=False):
    """The screen's shown bindings on one line, the command palette's key at the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-hints--key", "key-hints--description"}
    DEFAULT_CSS = """
    KeyHints {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    KeyHints > .key-hints--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyHints > .key-hints--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self.keys: tuple[KeyHint, ...] = ()
        self.palette: KeyHint | None = None
        # Where each key was drawn on the last render: (first cell, after the last cell, key).
        self._spans: list[tuple[int, int, KeyHint]] = []
        self._tooltip_text: str | None = None

    def on_mount(self) -> None:
        """Follow the screen's bindings from now on."""
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        """Stop following them."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Repaint when what the line shows differs from what it shows now; otherwise nothing."""
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette = self.keys_shown()
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self.refresh()

    def set_command_palette(self, shown: bool) -> None:
        """Show or hide the palette's key (narrow terminals keep the room for actions)."""
        if shown != self.show_command_palette:
            self.show_command_palette = shown
            self.bindings_changed(self.screen)  # the palette key is part of what is shown: repaints

    def keys_shown(self) -> tuple[tuple[KeyHint, ...], KeyHint | None]:
        """The shown bindings in the screen's order, and the palette key when it is shown."""
        active = self.screen.active_bindings
        keys = tuple(
            KeyHint(binding.key, self.app.get_key_display(binding), binding.description, enabled, tooltip)
            for _, binding, enabled, tooltip in active.values()
            if binding.show
        )
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, tooltip = found
                palette = KeyHint(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or tooltip or binding.description,
                )
        return keys, palette

    def render(self) -> RenderResult:
        """``k Checklist d Deploy ...`` from the left, ``▏^p palette`` at the right edge."""
        key_style = self.get_component_rich_style("key-hints--key")
        description_style = self.get_component_rich_style("key-hints--description")
        line = Text()
        spans: list[tuple[int, int, KeyHint]] = []

        def add(hint: KeyHint) -> None:
            start = len(line)
            line.append(hint.display, key_style)
            if hint.description:
                line.append(f" {hint.description}", description_style)
            if not hint.enabled:
                line.stylize("dim", start)
            spans.append((start, len(line), hint))

        for hint in self.keys:
            add(hint)
            line.append(" ")
        if self.palette is not None:
            edge = "|" if glyphs_for(self) is ASCII else "▏"
            tail = len(self.palette.display) + len(self.palette.description) + 2
            gap = self.size.width - len(line) - tail
            if gap >= 0:
                line.append(" " * gap + edge)
                add(self.palette)
        self._spans = spans
        return line

    def hint_at(self, x: int) -> KeyHint | None:
        """The key drawn at cell ``x`` of the line, if any."""
        return next((hint for start, end, hint in self._spans if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """A click presses the key; an unavailable one rings the bell instead."""
        hint = self.hint_at(event.x)
        if hint is None:
            return
        if hint.enabled:
            self.app.simulate_key(hint.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Hovering a key shows what it does."""
        hint = self.hint_at(event.x)
        tooltip = (hint.tooltip or hint.description) if hint is not None else None
        if tooltip != self._tooltip_text:
            self._tooltip_text = tooltip
            # Plain content: a tooltip string is markup to Textual ("ids for [keymap]" lost its last word).
            self.tooltip = None if tooltip is None else Content(tooltip)
