"""A cutover blocked only by the release window goes out as a hotfix with its reason, as --hotfix does."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button, Input

from relui.domain import GuardResult, Remedy, RemedyKind, Verdict
from relui.screens.confirm import Confirmation, ConfirmScreen

GUARDS = [
    GuardResult("window", Verdict.BLOCK, "outside release windows", Remedy(RemedyKind.HOTFIX, "prod")),
    GuardResult("pods", Verdict.PASS, "green 1.6.1: 3/3 pods ready"),
]


async def test_hotfix_reason_turns_force_into_confirm() -> None:
    results: list[Confirmation | None] = []
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ConfirmScreen(
            "Cutover PROD", "prod", protected=True, changes=["live: blue -> green"], guards=GUARDS, forceable=True
        )
        app.push_screen(screen, results.append)
        await pilot.pause()
        confirm = screen.query_one("#confirm", Button)
        assert confirm.label.plain == "Force" and confirm.disabled
        screen.query_one("#env-name", Input).value = "prod"
        screen.query_one("#hotfix", Input).value = "INC-42 checkout down"
        await pilot.pause()
        assert confirm.label.plain == "Confirm" and not confirm.disabled
        confirm.press()
        await pilot.pause()
    assert results == [Confirmation(force=False, reason="", hotfix_reason="INC-42 checkout down")]


async def test_other_blocks_still_need_force() -> None:
    guards = [*GUARDS, GuardResult("signoff", Verdict.BLOCK, "no product_owner sign-off")]
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ConfirmScreen("Cutover PROD", "prod", protected=False, changes=[], guards=guards, forceable=True)
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#hotfix", Input).value = "INC-42"
        await pilot.pause()
        confirm = screen.query_one("#confirm", Button)
        assert confirm.label.plain == "Force" and confirm.disabled
        assert "BLOCKED by signoff" in str(screen.query_one("#reason-prompt").render())


async def test_a_hotfix_reason_clears_the_break_glass_the_window_alone_caused() -> None:
    """Outside the window on PROD the break-glass block came only from the window's: --hotfix cut over, the TUI not."""
    guards = [
        *GUARDS,
        GuardResult(
            "break-glass",
            Verdict.BLOCK,
            "forcing on a protected environment needs a second person's approval",
            Remedy(RemedyKind.BREAK_GLASS, "prod"),
        ),
    ]
    results: list[Confirmation | None] = []
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ConfirmScreen("Cutover PROD", "prod", protected=True, changes=[], guards=guards, forceable=False)
        app.push_screen(screen, results.append)
        await pilot.pause()
        confirm = screen.query_one("#confirm", Button)
        assert confirm.disabled and "type a hotfix reason" in str(screen.query_one("#reason-prompt").render())
        screen.query_one("#env-name", Input).value = "prod"
        screen.query_one("#hotfix", Input).value = "INC-9 checkout down"
        await pilot.pause()
        assert not confirm.disabled and confirm.label.plain == "Confirm"
        confirm.press()
        await pilot.pause()
    assert results == [Confirmation(force=False, reason="", hotfix_reason="INC-9 checkout down")]
