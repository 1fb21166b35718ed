"""No toast covers a dialog: at 80x24 one lay over the confirm's Cancel/Confirm row (a PROD cutover, say)."""

from __future__ import annotations

import html
import re

from textual.notifications import Notification, Notify

from relui.app import ReluiApp
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.held_toasts import WithdrawToast
from tests.tui.conftest import ContextFactory, make_app, settle


def drawn(app: ReluiApp) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


def toasts_up(app: ReluiApp) -> list[str]:
    """The toasts mounted on any screen, the ones seen through a dialog's backdrop included."""
    return [str(t.render()) for screen in app.screen_stack for t in screen.query("Toast")]


async def open_confirm(pilot: object, app: ReluiApp, command: str) -> ConfirmScreen:
    await pilot.press("colon", *command, "enter")  # type: ignore[attr-defined]
    for _ in range(100):
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        if isinstance(app.screen, ConfirmScreen):
            return app.screen
    raise AssertionError(f"no confirm after :{command}")


async def test_no_toast_covers_the_confirm_at_80x24(make_ctx: ContextFactory) -> None:
    """A deploy's toast, then ``c`` at once: the confirm opened under it. Now it waits, and a breach with it."""
    app = make_app(make_ctx())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("1.6.0 on green; traffic stays on blue", title="deploy QA ok")
        await pilot.pause(0.2)
        assert "deploy QA ok" in drawn(app)
        confirm = await open_confirm(pilot, app, "deploy prod 1.6.0")
        breach = Notification("error rate 9.10% > 5%; on QA, ^r rolls back", "QA bake", "error", 60, markup=False)
        app.post_message(Notify(breach))  # as the dashboard raises a bake breach
        await pilot.pause(0.3)
        text = drawn(app)
        assert toasts_up(app) == [], toasts_up(app)
        assert "deploy QA ok" not in text and "QA bake" not in text
        buttons = confirm.query_one("#confirm-buttons")
        assert "Cancel" in text and "Confirm" in text and buttons.region.bottom <= app.size.height
        await pilot.press("escape")
        await pilot.pause(0.3)
        text = drawn(app)
        assert "deploy QA ok" in text and "QA bake" in text
        # Raised again in full: it was not readable while the dialog was open.
        assert breach.time_left > 55


async def test_a_toast_already_up_goes_when_a_chooser_opens(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("lock held by bob", title="lock", severity="warning")
        await pilot.pause(0.2)
        assert toasts_up(app)
        app.push_screen(ChoiceScreen("Roll back QA?", [("instant", "instant: live back to blue 1.4.2")]))
        await pilot.pause(0.3)
        assert toasts_up(app) == [] and "lock held by bob" not in drawn(app)
        app.screen.dismiss(None)
        await pilot.pause(0.3)
        assert "lock held by bob" in drawn(app)


async def test_a_breach_that_ended_under_a_dialog_is_not_shown_after_it(make_ctx: ContextFactory) -> None:
    """The bake's toast goes when the breach does, even while it waits for a dialog to close."""
    app = make_app(make_ctx())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.push_screen(ChoiceScreen("Roll back QA?", [("instant", "instant: live back to blue 1.4.2")]))
        await pilot.pause(0.3)
        breach = Notification("error rate 9.10% > 5%", "QA bake", "error", 60, markup=False)
        app.post_message(Notify(breach))
        await pilot.pause()
        app.post_message(WithdrawToast(breach))
        await pilot.pause()
        app.screen.dismiss(None)
        await pilot.pause(0.3)
        assert "QA bake" not in drawn(app) and breach not in app._notifications
