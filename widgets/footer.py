"""A Footer that redraws only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts every key) on each
bindings refresh, and a focus move alone refreshes bindings two or three
times. Moving between environment columns whose keys are the same then
costs a burst of recomposes and a full-screen repaint; over SSH that is
latency and bytes for a footer that looks exactly as before.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    """One recompose per burst of binding refreshes, and none when the keys, labels and greying are unchanged."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette, id=id)
        self._shown: tuple[Any, ...] | None = None
        self._pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Schedule one check after the refresh, however many refreshes arrive before it."""
        # Footer.compose draws nothing until it has seen a bindings refresh.
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._pending:
            return
        self._pending = True
        self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self.keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def keys_shown(self) -> tuple[Any, ...]:
        """What the footer draws: each shown key with its label, greying and tooltip, and the palette key."""
        keys = tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return (self.compact, self.show_command_palette, keys)
