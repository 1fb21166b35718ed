"""Toasts never cover a dialog: while one is open they wait, and show once it closes.

At 80x24 a toast ("deploy QA ok", a bake breach) lay over the confirm's
Cancel/Confirm row and its prompt: an operator could confirm a PROD cutover
without seeing the buttons. So while a modal screen (a confirm, a chooser, a
note, help, the palette ...) is the active screen, a new notification waits,
and the toasts already up are taken down to wait with it. When the last modal
closes, each is raised again with its whole timeout: it was not seen, or was
cut short. Driven by Textual's screen-change signal: no timer, nothing polled.
"""

from __future__ import annotations

from time import time
from typing import Any

from textual.app import App, ScreenStackError
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.screen import ModalScreen, Screen

# The container Textual composes on every screen to hold its toasts, by the id it gives it.
TOAST_RACK = "#textual-toastrack"


class WithdrawToast(Message):
    """Take one notification down, whether it shows or waits for a dialog (posted to the app)."""

    def __init__(self, notification: Notification) -> None:
        super().__init__()
        self.notification = notification


class HeldToasts:
    """The notifications waiting for the open dialogs to close, oldest first."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.waiting: list[Notification] = []

    def dialog_open(self) -> bool:
        """A modal screen is the active screen: a toast now would lie over it."""
        try:
            return isinstance(self.app.screen, ModalScreen)
        except ScreenStackError:
            return False

    def hold(self, notification: Notification) -> bool:
        """Keep ``notification`` back while a dialog is open (True); False: show it now."""
        if not self.dialog_open():
            return False
        # The same words again (a refresh failing at each poll) replace the older one: the newest is what counts.
        said = (notification.title, notification.message, notification.severity)
        self.waiting = [n for n in self.waiting if (n.title, n.message, n.severity) != said]
        self.waiting.append(notification)
        return True

    def screen_changed(self, screen: Screen[Any]) -> None:
        """A dialog opened: take the toasts down. The last one closed: raise what waited."""
        if isinstance(screen, ModalScreen):
            self._take_down()
        elif self.waiting:
            self._raise_again()

    def withdraw(self, notification: Notification) -> None:
        """Forget ``notification``: it no longer waits, and its toast goes if it shows."""
        self.waiting = [n for n in self.waiting if n is not notification]
        self.app._unnotify(notification)  # Textual has no public way to withdraw one toast

    def _take_down(self) -> None:
        shown = list(self.app._notifications)  # Textual has no public list of the toasts up
        if not shown:
            return
        self.waiting = [*shown, *self.waiting]
        self.app.clear_notifications()
        # Textual refreshes only the active screen's rack: the screens beneath (seen through the dialog's
        # backdrop) would keep their toasts, with timers that end them before they are raised again.
        for screen in self.app.screen_stack:
            for rack in screen.query(TOAST_RACK):
                rack.remove_children()
                rack.display = False  # hidden, as Textual itself leaves an empty rack

    def _raise_again(self) -> None:
        waiting, self.waiting = self.waiting, []
        for notification in waiting:
            notification.raised_at = time()  # its timeout runs from when it can be read
            # Through the app's queue, like any notification: if another dialog opens first, it waits again.
            self.app.post_message(Notify(notification))
