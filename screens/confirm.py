"""The confirmation modal: every guard result and exactly what will change.

Cancel has focus when it opens. On a protected environment Confirm stays
disabled until the environment's name is typed. When guards block, Confirm
turns into Force and needs a typed reason (and is impossible when a block may
not be forced, such as a missing role or another operator's lock). A cutover
blocked only by the release window can go out as a hotfix with its reason,
as ``relui cutover --hotfix REASON`` does.

Tab stops only at the fields and the buttons; PageUp/PageDown scroll the
body and Up/Down the guard list (or the body) wherever focus is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from relui.domain import GuardResult
from relui.screens import SCREENS_CSS
from relui.screens.remedies import TuiRemedies
from relui.services.guards import UNFORCEABLE, UNFORCEABLE_PROTECTED
from relui.widgets.guard_list import GuardList, guard_summary, worst_first


@dataclass(frozen=True)
class Confirmation:
    """The operator's go: forced past blocks or not, and the reason for the journal."""

    force: bool
    reason: str
    hotfix_reason: str | None = None


class ConfirmScreen(ModalScreen[Confirmation | None]):
    """Shows the plan and the guards; returns a Confirmation, or None on cancel."""

    CSS_PATH = SCREENS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        # Priority: keys typed right behind Tab must land in the field Tab moved to, not the one it left.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
        # The scrolling parts take no focus (see compose): these keys scroll them from wherever focus is.
        Binding("pagedown", "scroll_body(1)", show=False),
        Binding("pageup", "scroll_body(-1)", show=False),
        Binding("down", "scroll_guards(1)", show=False),
        Binding("up", "scroll_guards(-1)", show=False),
    ]
    # On short terminals the guard list scrolls in fewer lines so the buttons always show.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def __init__(
        self,
        title: str,
        env: str,
        *,
        protected: bool,
        changes: Sequence[str],
        guards: Sequence[GuardResult],
        forceable: bool,
        remedies: TuiRemedies | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        # The dashboard passes the keys it binds; without them a remedy names the ``:`` command.
        self.remedies = remedies or TuiRemedies()
        self.title_text = title
        self.env = env
        self.protected = protected
        self.changes = list(changes)
        # Worst first: on a short terminal the blocks must be the lines that show.
        self.guards = worst_first(guards)
        self.blocks = [g for g in self.guards if g.blocks]
        self.forceable = forceable
        # The window guard yields to a hotfix reason (the service re-checks it with that reason).
        self.hotfix = any(g.name == "window" for g in self.blocks)
        # A hotfix reason may clear every block: the window's, and the break-glass it alone caused.
        self.only_the_window = self.hotfix and all(g.name in ("window", "break-glass") for g in self.blocks)

    def compose(self) -> ComposeResult:
        """Changes, guards, the typed confirmations, and the buttons."""
        may_go = not self.blocks or self.forceable or self.only_the_window
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            # Everything but the buttons scrolls: on 80x24 the typed fields pushed them off the screen.
            # Neither scrolling part takes focus: each was a Tab stop that showed nothing and swallowed what was
            # typed. The mouse scrolls them, Tab brings a field into view, and PageUp/PageDown, Up/Down (BINDINGS).
            with VerticalScroll(id="confirm-body", can_focus=False):
                yield Label("What changes", classes="section")
                yield Static(Text("\n".join(f"  {line}" for line in self.changes)), id="changes")
                yield Label(f"Guards: {guard_summary(self.guards)}", classes="section", markup=False)
                with VerticalScroll(id="confirm-guards", can_focus=False):
                    yield GuardList(self.guards, words=self.remedies.guard_text)
                if self.protected and may_go:
                    yield Label(
                        f"{self.env.upper()} is protected: type {self.env} to confirm",
                        classes="field-prompt",
                        markup=False,
                    )
                    yield Input(placeholder=f"type {self.env}", id="env-name", compact=True)
                if self.hotfix:
                    hotfix = "releases anyway" if self.only_the_window else "clears the window guard, not the others"
                    yield Label(
                        f"Outside the release window: a hotfix reason {hotfix}",
                        id="hotfix-prompt",
                        classes="field-prompt",
                        markup=False,
                    )
                    yield Input(placeholder="hotfix reason (journaled)", id="hotfix", compact=True)
                yield Label(self._reason_prompt(), id="reason-prompt", markup=False)
                if may_go:
                    yield Input(placeholder="reason (journaled)", id="reason", compact=True)
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                label = "Force" if self.blocks and self.forceable else "Confirm"
                yield Button(label, id="confirm", variant="error" if self.blocks else "primary", compact=True)

    def _reason_prompt(self) -> str:
        blocks = self.remaining_blocks
        names = ", ".join(g.name for g in blocks)
        if blocks and not self.forceable:
            if self.only_the_window and any(g.name == "window" for g in blocks):
                return f"BLOCKED by {names}; type a hotfix reason above, or Cancel and fix them first."
            hard = UNFORCEABLE | (UNFORCEABLE_PROTECTED if self.protected else frozenset())
            others = [g.name for g in blocks if g.name != "break-glass"]
            if others and not any(name in hard for name in others):
                # Only the missing approval stands in the way: they can be forced, by a second person's leave.
                return (
                    f"BLOCKED by {', '.join(others)}; forcing them here needs a second person's approval first "
                    "(break-glass above). Cancel, or fix them."
                )
            return f"BLOCKED by {names}; these cannot be forced. Cancel and fix them first."
        if blocks:
            return f"BLOCKED by {names}. To force past them, type why:"
        return "Reason (optional, written to the journal):"

    def on_mount(self) -> None:
        """Cancel has focus: Enter alone never acts."""
        self._update_confirm()
        self.query_one("#cancel", Button).focus()

    def action_scroll_body(self, pages: int) -> None:
        """PageDown, PageUp: the changes, the guards and the fields, a page at a time."""
        body = self.query_one("#confirm-body", VerticalScroll)
        body.scroll_to(y=body.scroll_y + pages * max(1, body.scrollable_content_region.height - 1), animate=False)

    def action_scroll_guards(self, lines: int) -> None:
        """Down, Up: the guard list a line at a time when it scrolls on its own (a short terminal), else the body."""
        guards = self.query_one("#confirm-guards", VerticalScroll)
        target = guards if guards.max_scroll_y > 0 else self.query_one("#confirm-body", VerticalScroll)
        target.scroll_to(y=target.scroll_y + lines, animate=False)

    @on(Input.Changed)
    def _typed(self) -> None:
        self._update_confirm()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        """Enter in an input moves to Confirm when it is allowed; it never confirms by itself."""
        confirm = self.query_one("#confirm", Button)
        if not confirm.disabled:
            confirm.focus()

    def _value(self, selector: str) -> str:
        found = self.query(selector).results(Input)
        return next((i.value.strip() for i in found), "")

    @property
    def remaining_blocks(self) -> list[GuardResult]:
        """The blocks still standing: the window's yields once a hotfix reason is typed.

        The break-glass block stands only while a block it would force does
        (the service's ``with_break_glass``): when the window was the only one,
        the hotfix reason clears both, as ``--hotfix`` does on the CLI.
        """
        hotfix = self.hotfix and bool(self._value("#hotfix"))
        left = [g for g in self.blocks if not (hotfix and g.name == "window")]
        return [] if all(g.name == "break-glass" for g in left) else left

    @property
    def allowed(self) -> bool:
        """Whether Confirm (or Force) may be pressed now."""
        if self.remaining_blocks and not self.forceable:
            return False
        if self.protected and self._value("#env-name") != self.env:
            return False
        if self.remaining_blocks:
            return self.forceable and bool(self._value("#reason"))
        return True

    def _update_confirm(self) -> None:
        confirm = self.query_one("#confirm", Button)
        confirm.disabled = not self.allowed
        forcing = bool(self.remaining_blocks) and self.forceable
        confirm.label = "Force" if forcing else "Confirm"
        confirm.variant = "error" if forcing else "primary"
        self.query_one("#reason-prompt", Label).update(self._reason_prompt())

    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        if self.allowed:
            hotfix = self._value("#hotfix") if self.hotfix else ""
            self.dismiss(
                Confirmation(
                    force=bool(self.remaining_blocks), reason=self._value("#reason"), hotfix_reason=hotfix or None
                )
            )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without acting."""
        self.dismiss(None)
