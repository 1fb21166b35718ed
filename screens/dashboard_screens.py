"""What the dashboard opens from an environment: detail, checklist, readiness, journal; and the keys its words name.

The screens are imported when first opened (``relui.screens.warm_up`` loads
them once the first frame is up). The words a refusal uses to say the way
out (``remedies``) name keys these screens bind, so they are read from them
when first needed; the dashboard's own status words need only its own keys
(``key_of``), which the first frame reads without importing any screen.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from relui.screens.remedies import TuiRemedies, bound_keys
from relui.services.context import Context


class OpensScreens(Screen[None]):
    """The part of the dashboard that opens another screen for an environment, and words its keys."""

    current_env: str

    def __init__(self, ctx: Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self._remedies: TuiRemedies | None = None
        self._own_keys: dict[str, str] | None = None

    def open_journal(self, env: str | None) -> None:
        """Push the journal, of one environment or of all."""
        from relui.screens.journal import JournalScreen

        self.app.push_screen(JournalScreen(self.ctx, env))

    def action_detail(self) -> None:
        """Open the focused environment's detail screen."""
        self.open_detail(self.current_env)

    def action_checklist(self) -> None:
        """Open the focused environment's checklist."""
        self.open_checklist(self.current_env)

    def action_readiness(self) -> None:
        """Open the focused environment's go-live readiness review."""
        self.open_readiness(self.current_env)

    def open_readiness(self, env: str) -> None:
        """Push an environment's readiness review."""
        from relui.screens.readiness import ReadinessScreen

        self.app.push_screen(ReadinessScreen(self.ctx, env, remedies=self.remedies()))

    def open_detail(self, env: str) -> None:
        """Push an environment's detail screen."""
        from relui.screens.environment import EnvironmentScreen

        self.app.push_screen(EnvironmentScreen(self.ctx, env, remedies=self.remedies()))

    def open_checklist(self, env: str) -> None:
        """Push an environment's checklist screen."""
        from relui.screens.checklist import ChecklistScreen

        self.app.push_screen(ChecklistScreen(self.ctx, env))

    def remedies(self) -> TuiRemedies:
        """How a refusal's way out reads here: the keys this dashboard and its screens bind ([keymap] applied)."""
        if self._remedies is None:
            from relui.screens.checklist import ChecklistScreen
            from relui.screens.readiness import ReadinessScreen

            screens = (type(self), ChecklistScreen, ReadinessScreen)
            self._remedies = TuiRemedies(bound_keys(screens, self.ctx.config.keymap, self.app.get_key_display))
        return self._remedies

    def key_of(self, binding_id: str) -> str:
        """The key bound to one of this screen's actions ([keymap] applied), for the status line's words.

        Only this screen's bindings are read: building ``remedies`` imports the
        checklist and readiness screens (and the services behind them), which
        only a refusal's words need, and the first frame does not wait for them.
        """
        if self._own_keys is None:
            self._own_keys = bound_keys((type(self),), self.ctx.config.keymap, self.app.get_key_display)
        return self._own_keys.get(binding_id, f":{binding_id}")
