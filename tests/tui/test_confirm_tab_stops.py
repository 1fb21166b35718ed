"""Every Tab stop in the confirm modal is something you can see, and nothing typed at one is lost.

QA's cutover confirm at 120x36, from Cancel: Tab went to Confirm, then to two
stops that showed nothing (the scrolling body and the guard list), where
``abc`` and ``def`` vanished, and only then to the reason field.
"""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Button, Input

from relui.domain import GuardResult, Verdict
from relui.screens.confirm import ConfirmScreen
from relui.services.context import Context
from tests.tui.conftest import make_app, settle
from tests.tui.test_keys_before_confirm import qa_with_a_candidate


async def test_tab_goes_only_to_fields_and_buttons_and_typed_text_lands(ctx: Context) -> None:
    async with qa_with_a_candidate(ctx) as (app, pilot):
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert app.focused is modal.query_one("#cancel", Button)
        stops: list[str | None] = []
        for _ in range(6):
            await pilot.press("tab")
            focused = app.focused
            assert isinstance(focused, (Button, Input)), f"Tab stopped on {focused!r}, which shows no focus"
            stops.append(focused.id)
        assert stops == ["confirm", "reason", "cancel", "confirm", "reason", "cancel"]
        # Tab, Tab from Cancel: what is typed is the reason.
        await pilot.press("tab", "tab", *"abc")
        await pilot.pause()
        assert modal.query_one("#reason", Input).value == "abc"
        await pilot.press("escape")
        await settle(pilot)


def long_confirm() -> ConfirmScreen:
    """More than 80x24 shows: many changes, many guards, the protected name and the hotfix fields."""
    guards = [GuardResult(f"check-{n}", Verdict.PASS, f"check {n} passed") for n in range(10)]
    guards.append(GuardResult("window", Verdict.BLOCK, "outside the release window"))
    return ConfirmScreen(
        "Cutover PROD: blue -> green (1.6.0)",
        "prod",
        protected=True,
        changes=[f"change {n}" for n in range(12)],
        guards=guards,
        forceable=True,
    )


async def test_the_body_still_scrolls_from_the_keyboard_at_80x24(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        modal = long_confirm()
        app.push_screen(modal)
        await settle(pilot)
        body = modal.query_one("#confirm-body", VerticalScroll)
        guards = modal.query_one("#confirm-guards", VerticalScroll)
        assert not body.can_focus and not guards.can_focus
        assert body.max_scroll_y > 0, "the test needs a body that overflows"
        assert guards.max_scroll_y > 0, "the test needs a guard list that overflows"
        assert app.focused is modal.query_one("#cancel", Button)
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("down", "down")
        await pilot.pause()
        assert guards.scroll_y == 2
        await pilot.press("up")
        await pilot.pause()
        assert guards.scroll_y == 1
        # Tab to a field out of view scrolls it into view, and what is typed lands there.
        await pilot.press("tab")  # Confirm is disabled until the name is typed: the protected name's field
        await pilot.pause()
        field: Any = app.focused
        assert isinstance(field, Input) and field.id == "env-name"
        await pilot.press(*"prod")
        await pilot.pause()
        assert field.value == "prod"
        assert body.scroll_y > 0
        assert body.region.y <= field.region.y and field.region.bottom <= body.region.bottom
