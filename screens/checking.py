"""Where the confirm modal (or a flow's chooser) will open, held from the key press until what it needs is read.

Reading the guards (or a deploy's versions, a rollback's history) takes
from milliseconds (the sandbox) to seconds (a slow Prometheus). Keys typed in
that time used to act on the dashboard under the coming modal: ``c`` then
``r`` left a rollback chooser waiting beneath the cutover's confirm, and
``d`` then Enter opened the focused environment's detail screen under the
version chooser. This modal takes those keys instead, and drops them: a key
must answer a question the operator has seen. It shows itself only if the
reading is slow (``SHOW_AFTER_SECONDS``), so a fast one does not flash.
Escape cancels: the action then asks nothing and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.screen import ModalScreen
from textual.widgets import Static

from relui.screens import SCREENS_CSS

SHOW_AFTER_SECONDS = 0.3
# What an action reads before its confirm; a flow's chooser waits for something else (its versions, its history).
GUARDS = "the guards"
# Keys typed ahead get through in milliseconds; a loop too busy to pass them sooner asks anyway.
TYPED_AHEAD_SECONDS = 1.0


class CheckingScreen(ModalScreen[None]):
    """``Cutover QA: reading the guards ...``; the action's confirm (or a flow's chooser) replaces it."""

    CSS_PATH = SCREENS_CSS

    DEFAULT_CSS = """
    CheckingScreen {
        background: transparent;
    }
    CheckingScreen > .dialog {
        display: none;
        width: auto;
        max-width: 90%;
    }
    CheckingScreen.-shown > .dialog {
        display: block;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        preempting: str | None = None,
        reading: str = GUARDS,
        typed_to: DOMNode | None = None,
    ) -> None:
        """``preempting``: the running action a rollback stops first (it is stopped before the guards are read).

        ``reading``: what is being read (a deploy's chooser waits for "the versions").
        ``typed_to``: what had focus at the key press (see ``keys_typed_ahead``).
        """
        super().__init__()
        self.title_text = title
        self.preempting = preempting
        self.reading = reading
        self.before_a_chooser = reading != GUARDS
        self.typed_to = typed_to
        self.cancelled = False
        self.finished = False
        self.gone = False

    def compose(self) -> ComposeResult:
        """One line: what is being checked, and that nothing has changed."""
        with Vertical(classes="dialog"):
            if self.preempting:
                line = f"{self.title_text}: the running {self.preempting} is stopped first, then the guards are read."
                line += " Esc cancels the rollback."
            else:
                line = f"{self.title_text}: reading {self.reading}; nothing has changed yet. Esc cancels."
            yield Static(line, id="checking-line", markup=False)

    def on_mount(self) -> None:
        """Shown only once the reading is slow enough to be noticed."""
        self.set_timer(SHOW_AFTER_SECONDS, lambda: self.add_class("-shown"))

    def on_key(self, event: events.Key) -> None:
        """Every key given to it is dropped, Esc cancelling: none may reach the question that replaces it.

        A key is handed on to the app's bindings only after the screen has seen
        it; by then the chooser or the confirm may be on top, and Enter picked in it.
        """
        event.stop()
        event.prevent_default()
        if event.key == "escape" and not self.finished:
            self.action_cancel()

    async def keys_typed_ahead(self) -> None:
        """Wait until the keys typed with the action's key have reached the app's bindings (and been dropped).

        Typed together (``d`` Enter), both went to what had focus then, and
        climb to the app one widget at a time; the app's bindings act on the
        screen on top when a key gets there. A question put up before the Enter
        got there took it: it picked in the chooser, unread. A callback queued
        behind the keys at each step of their way comes out behind them.
        """
        if self.typed_to is None:
            return
        path: list[MessagePump] = list(self.typed_to.ancestors_with_self)
        if path[-1] is not self.app:
            path.append(self.app)  # from a screen already gone, the app still holds what it passed on
        through = asyncio.Event()

        def step(at: int) -> None:
            # A step that has closed (a column removed) passes nothing on: go past it.
            while at < len(path) and not path[at].call_later(step, at + 1):
                at += 1
            if at == len(path):
                through.set()

        step(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(through.wait(), TYPED_AHEAD_SECONDS)

    def action_cancel(self) -> None:
        """The operator changed their mind before being asked: the action will ask nothing."""
        self.cancelled = True
        self.finish()

    def finish(self) -> None:
        """The confirm is opening, or the action ended without asking: go, now or once back on top."""
        self.finished = True
        self._go()

    def on_screen_resume(self) -> None:
        """Back on top (a help screen opened over it has closed) after it finished: go."""
        if self.finished:
            self._go()

    def _go(self) -> None:
        # The top screen, not ``is_current`` (also true under a modal): dismissing pops the top,
        # so from under the palette it closed the palette and stayed, taking every key from then on.
        if self.app.screen is self and not self.gone:
            self.gone = True
            self.dismiss(None)
