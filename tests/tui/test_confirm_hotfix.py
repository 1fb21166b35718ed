"""A cutover blocked only by the release window goes out as a hotfix with its reason, as --hotfix does."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Button, Input

from relui.domain import Color, GuardResult, Remedy, RemedyKind, Verdict
from relui.screens.confirm import Confirmation, ConfirmScreen
from relui.services.context import Context
from relui.services.journal import Journal
from tests.tui.conftest import make_app, settle, words_on_screen
from tests.tui.test_actions import focus_env
from tests.unit.test_release_service import prod_ready_but_for_the_window

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


async def test_a_hotfix_typed_in_the_prod_confirm_cuts_over(state_dir: Path) -> None:
    """End to end through the service: the modal enabled Confirm, then the service refused it as blocked."""
    ctx, _ = prod_ready_but_for_the_window(state_dir)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "prod")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and {g.name for g in screen.blocks} == {"window", "break-glass"}
        # It said a second person was needed, where the hotfix reason alone was enough.
        (glass,) = [g for g in screen.blocks if g.name == "break-glass"]
        assert "a hotfix reason alone clears the window, with no forcing" in glass.reason
        screen.query_one("#env-name", Input).value = "prod"
        screen.query_one("#hotfix", Input).value = "INC-42 checkout down"
        await pilot.pause()
        confirm = screen.query_one("#confirm", Button)
        assert confirm.label.plain == "Confirm" and not confirm.disabled
        confirm.press()
        for _ in range(200):
            outcomes = [e.status for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.action == "cutover"]
            if len(outcomes) >= 2:
                break
            await pilot.pause(0.05)
        assert outcomes == ["started", "ok"], outcomes
        assert ctx.env_ports("prod").releases.values().active_color is Color.GREEN


async def test_with_other_blocks_the_hotfix_field_says_it_clears_only_the_window() -> None:
    """It said "a hotfix reason releases anyway" and "type a hotfix reason above" beside blocks it cannot clear."""
    guards = [
        *GUARDS,
        GuardResult("signoff", Verdict.BLOCK, "no product_owner sign-off"),
        GuardResult(
            "break-glass", Verdict.BLOCK, "forcing on a protected environment needs a second person's approval"
        ),
    ]
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ConfirmScreen("Cutover PROD", "prod", protected=True, changes=[], guards=guards, forceable=False)
        app.push_screen(screen)
        await pilot.pause()
        words = " ".join(str(label.render()) for label in screen.query("Label"))
        assert "a hotfix reason clears the window guard, not the others" in words
        assert "releases anyway" not in words
        prompt = str(screen.query_one("#reason-prompt").render())
        assert "type a hotfix reason" not in prompt
        # They can be forced, with a second person's approval: "these cannot be forced" told the operator otherwise.
        assert "cannot be forced" not in prompt
        assert "BLOCKED by window, signoff; forcing them here needs a second person's approval first" in prompt


async def test_a_block_no_approval_passes_is_still_called_unforceable() -> None:
    guards = [
        *GUARDS,
        GuardResult("pods", Verdict.BLOCK, "green 2/3 ready"),
        GuardResult(
            "break-glass", Verdict.BLOCK, "forcing on a protected environment needs a second person's approval"
        ),
    ]
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ConfirmScreen("Cutover PROD", "prod", protected=True, changes=[], guards=guards, forceable=False)
        app.push_screen(screen)
        await pilot.pause()
        assert "these cannot be forced" in str(screen.query_one("#reason-prompt").render())


async def test_at_80x24_the_hotfix_prompt_reads_whole_above_the_buttons(ctx: Context) -> None:
    """At 80x24 the prompt was one line cut after "window guard,": it wraps at the dialog's edge now."""
    guards = [
        GuardResult("checklist", Verdict.BLOCK, "6 checklist items open: tests-passing, migrations-reviewed"),
        GuardResult("signoff", Verdict.BLOCK, "no product_owner sign-off for 1.5.1"),
        *GUARDS,
        GuardResult(
            "break-glass", Verdict.BLOCK, "forcing on a protected environment needs a second person's approval"
        ),
    ]
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        changes = ["live traffic: blue (1.4.2) -> green (1.5.1)", "blue (1.4.2) stays up, warm for rollback"]
        screen = ConfirmScreen("Cutover PROD", "prod", protected=True, changes=changes, guards=guards, forceable=False)
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#hotfix", Input).focus()  # as Tab does: the body scrolls the field into view
        await pilot.pause()
        dialog = screen.query_one("#confirm-dialog").content_region
        shown = words_on_screen(app, dialog)
        assert "Outside the release window: a hotfix reason clears the window guard, not the others" in shown, shown
        assert "Cancel" in shown and "Confirm" in shown, shown
