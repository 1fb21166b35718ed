"""A breached bake is a red line on its environment's column, with the key that rolls back."""

from __future__ import annotations

import json
from pathlib import Path

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from relui.widgets.env_column import EnvColumn
from tests.tui.conftest import CONFIG, ContextFactory, make_app, settle


def breach_on_qa(ctx: Context, clock: ManualClock) -> None:
    """1.6.0 cut over on QA, then its error spike over the threshold for several samples."""
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    clock.advance(240)


async def test_breached_bake_shows_on_the_column(ctx: Context, clock: ManualClock) -> None:
    breach_on_qa(ctx, clock)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))
        problems = board.column("qa").section("problems")
        assert "BAKE BREACH" in problems and "r rolls back" in problems
        assert "BAKE BREACH" not in board.column("prod").section("problems")
        # The dashboard acts on the same reading: said once, and kept on the status line.
        assert board.breaches["qa"].startswith("BAKE BREACH")
        board.column("qa").focus()
        await settle(pilot)
        assert "BAKE BREACH" in board.status_text() and "r rolls back" in board.status_text()
        assert any("bake" in (n.title or "") for n in app._notifications)


async def test_auto_rollback_runs_once_from_the_dashboard(tmp_path: Path, clock: ManualClock) -> None:
    text = CONFIG.replace("{extra}", "").replace(
        'name = "qa"\nkind = "sandbox"\n', 'name = "qa"\nkind = "sandbox"\nauto_rollback = true\n'
    )
    path = tmp_path / "auto.toml"
    path.write_text(text)
    config = load_config(path)
    state = tmp_path / "state"
    ctx = Context(config=config, state_dir=state, ports=build_ports(config, state, clock), operator="alice")
    breach_on_qa(ctx, clock)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(100):  # the rollback runs in a worker the reading started
            await pilot.pause(0.05)
            if ctx.env_ports("qa").cluster.observed_active_color() is Color.BLUE:
                break
        await settle(pilot)
        assert ctx.env_ports("qa").releases.values().tag(Color.BLUE) == "1.4.2"
        assert ctx.env_ports("qa").cluster.observed_active_color() is Color.BLUE
    rollbacks = [e for e in Journal(state, clock).entries("qa") if e.kind == "intent" and e.action == "rollback"]
    assert len(rollbacks) == 1 and rollbacks[0].detail["trigger"] == "auto-rollback"


async def test_a_remapped_rollback_key_is_the_one_the_breach_names(
    make_ctx: ContextFactory, clock: ManualClock
) -> None:
    ctx = make_ctx(extra='\n[keymap]\nrollback = "ctrl+r"\n')
    breach_on_qa(ctx, clock)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))
        problems = board.column("qa").section("problems")
        assert "^r rolls back" in problems and "; r rolls back" not in problems
        assert any("^r rolls back" in n.message for n in app._notifications if "bake" in (n.title or ""))
        await settle(pilot)
    # The team hears it in the words of the face that saw it: this TUI's key.
    outbox = [json.loads(line) for line in (ctx.state_dir / "outbox.jsonl").read_text().splitlines()]
    breach = next(m for m in outbox if "bake breached" in m["subject"])
    assert breach["body"].endswith("; press ^r to roll back") and "relui rollback" not in breach["body"]


async def test_a_watching_dashboard_does_not_offer_a_rollback_key(make_ctx: ContextFactory, clock: ManualClock) -> None:
    writer = make_ctx()
    breach_on_qa(writer, clock)
    app = make_app(make_ctx(read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        problems = " ".join(app.screen.query_one("#env-qa", EnvColumn).section("problems").splitlines())
    assert "BAKE BREACH" in problems and "roll back from a relui started without --read-only" in problems


def bake_toasts(app: object) -> list[str]:
    return [n.message for n in app._notifications if "bake" in (n.title or "")]  # type: ignore[attr-defined]


async def test_the_breach_toast_goes_with_the_breach_once_rolled_back(ctx: Context, clock: ManualClock) -> None:
    breach_on_qa(ctx, clock)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))
        assert bake_toasts(app), "the breach raised no toast"
        board.column("qa").focus()
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")  # instant: back to the warm color
        await settle(pilot)
        await pilot.press("tab", "enter")  # Confirm
        await settle(pilot)
        assert ctx.env_ports("qa").cluster.observed_active_color() is Color.BLUE
        # The rollback's own outcome is what the operator reads now, not a minute-long "roll back!" over it.
        assert bake_toasts(app) == []
        assert "qa" not in board.breaches
