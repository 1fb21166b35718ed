"""Release actions driven by keys: deploy -> smoke -> cutover -> rollback, blocks, PROD confirmation."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from textual.widgets import Button, Input

from relui.app import ReluiApp
from relui.clock import ManualClock
from relui.domain import Color, SmokeResult
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ACTION_GROUP, ReleaseDashboard
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from tests.tui.conftest import ContextFactory, make_app, settle


def dashboard(app: ReluiApp) -> ReleaseDashboard:
    """The action dashboard under whatever modal is open."""
    return next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))


async def focus_env(pilot: object, app: ReluiApp, env: str) -> None:
    """Focus an environment's column (as the arrow keys would)."""
    dashboard(app).column(env).focus()
    await settle(pilot)  # type: ignore[arg-type]


async def confirm(pilot: object, app: ReluiApp) -> ConfirmScreen:
    """Wait for the confirm modal; Cancel must have focus; then Tab to Confirm and press it."""
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, ConfirmScreen), type(screen)
    assert app.focused is screen.query_one("#cancel", Button)
    await pilot.press("tab", "enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    return screen


async def test_deploy_smoke_cutover_rollback_by_keys(ctx: Context, clock: ManualClock) -> None:
    app = make_app(ctx)
    ports = ctx.env_ports("qa")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "qa")

        await pilot.press("d")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ChoiceScreen)
        assert [key for key, _ in picker.options][:2] == ["1.6.1-rc1", "1.6.0"]
        await pilot.press("down", "enter")  # 1.6.0
        await confirm(pilot, app)
        values = ports.releases.values()
        assert (values.active_color, values.green_tag, values.green_enabled) == (Color.BLUE, "1.6.0", True)
        log = "\n".join(dashboard(app).action_log.lines)
        assert "pods ready" in log and "DEPLOY OK" in log.upper()
        unwrapped = "".join(dashboard(app).action_log.lines)
        assert "the cutover is next" in unwrapped and "next: cutover" not in unwrapped  # a shell's words; c is the key

        await pilot.press("s")
        await confirm(pilot, app)
        assert "smoke OK" in "\n".join(dashboard(app).action_log.lines).replace("SMOKE", "smoke")

        await pilot.press("c")
        await confirm(pilot, app)
        assert ports.releases.values().active_color is Color.GREEN
        assert ports.cluster.observed_active_color() is Color.GREEN

        clock.advance(120)  # 1.6.0's error spike arrives once it is live
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # instant: back to the warm color
        await confirm(pilot, app)
        assert ports.releases.values().active_color is Color.BLUE
        outcomes = [
            (e.action, e.status) for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.kind == "outcome"
        ]
        assert outcomes == [("deploy", "ok"), ("smoke", "ok"), ("cutover", "ok"), ("rollback", "ok")]

        # Rolled back already: instant is said, not offered (picked, it planned "blue -> None").
        await pilot.press("r")
        await settle(pilot)
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        assert "instant" not in [key for key, _ in chooser.options]
        # Nor revision 3, which would put 1.6.0 live again: with nothing left, the note says why.
        assert chooser.options == []
        assert chooser.note.startswith("nothing to roll back to: already rolled back (blue 1.4.2 is live)")
        await pilot.press("escape")
        await settle(pilot)


async def test_blocked_cutover_shows_reasons_and_changes_nothing(ctx: Context) -> None:
    # PROD: checklist, sign-off and readiness block, and one operator alone cannot force them.
    assert ReleaseService(ctx).deploy("prod", "1.5.1").ok
    ports = ctx.env_ports("prod")
    history_before = ports.releases.history()
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "prod")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        blocked = {g.name for g in screen.blocks}
        assert {"checklist", "signoff", "break-glass"} <= blocked
        text = str(screen.query_one("#reason-prompt").render())
        # One operator alone cannot force them; with a second person's approval they can, and it says so.
        assert "BLOCKED by" in text and "needs a second person's approval first" in text
        assert screen.query_one("#confirm", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert ports.releases.values().active_color is Color.BLUE
        assert ports.releases.history() == history_before
        assert "CUTOVER BLOCKED" in "\n".join(dashboard(app).action_log.lines).upper()
        outcomes = [e.status for e in Journal(ctx.state_dir, ctx.clock).entries("prod") if e.action == "cutover"]
        assert outcomes == ["started", "blocked"]


async def test_forcing_a_block_needs_a_typed_reason(ctx: Context) -> None:
    assert ReleaseService(ctx).deploy("qa", "1.5.1").ok
    Checklists(ctx).record_smoke("qa", "1.5.1", Color.GREEN, [SmokeResult("health", False, "503 from /healthz")])
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "qa")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.query_one("#confirm", Button).label.plain == "Force"
        assert screen.query_one("#confirm", Button).disabled
        screen.query_one("#reason", Input).focus()
        await pilot.press(*"rehearsal")
        assert not screen.query_one("#confirm", Button).disabled
        await pilot.press("tab", "tab", "enter")
        await settle(pilot)
        assert ctx.env_ports("qa").releases.values().active_color is Color.GREEN
        intent = [e for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.kind == "intent"][-1]
        assert intent.detail["forced_over"] == ["smoke"] and intent.detail["reason"] == "rehearsal"


async def test_prod_needs_the_typed_environment_name(make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "prod")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # 1.5.1
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        confirm_button = screen.query_one("#confirm", Button)
        assert app.focused is screen.query_one("#cancel", Button)
        assert confirm_button.disabled
        screen.query_one("#env-name", Input).focus()
        await pilot.press(*"pro")
        assert confirm_button.disabled
        await pilot.press("d", "enter")  # Enter in the input moves to Confirm, it does not press it
        assert not confirm_button.disabled
        assert app.focused is confirm_button
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        values = ctx.env_ports("prod").releases.values()
        assert (values.green_tag, values.active_color) == ("1.5.1", Color.BLUE)


async def test_quit_asks_while_an_action_runs(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = dashboard(app)
        release = threading.Event()
        board.run_worker(release.wait, thread=True, group=ACTION_GROUP)  # stands in for a long rollout
        await pilot.pause()
        assert app.action_running
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # the first option: stay
        await pilot.pause()
        assert app.is_running and app.screen is board
        release.set()
        await settle(pilot)
        assert not app.action_running


async def test_running_action_greys_every_action(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = dashboard(app)
        board.running = ("qa", "deploy")  # what the screen records when it starts an action
        board.refresh_bindings()
        assert board.blocked_reason("cutover", "dev") == "deploy running on QA; wait for it to finish"
        assert board.check_action("deploy", ()) is None
        assert "deploy on QA in progress" in board.status_text()


async def test_lock_key_takes_and_releases_the_lock(ctx: Context) -> None:
    app = make_app(ctx)
    cluster = ctx.env_ports("dev").cluster
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)  # it asks first; Cancel is the first option
        await pilot.press("enter")
        await settle(pilot)
        assert cluster.lock() is None
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        lock = cluster.lock()
        assert lock is not None and lock.holder.startswith("alice@")
        await settle(pilot)
        assert "lock alice@" in dashboard(app).column("dev").section("lock")
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert cluster.lock() is None


async def test_a_held_lock_is_renewed_while_the_tui_runs(ctx: Context, clock: ManualClock) -> None:
    app = make_app(ctx)
    cluster = ctx.env_ports("dev").cluster
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        clock.advance(250)
        dashboard(app)._renew_locks()  # what the renewal interval runs
        await settle(pilot)
        clock.advance(250)  # past the 300 s lease since it was taken, not since it was renewed
        lock = cluster.lock()
        assert lock is not None and lock.holder.startswith("alice@")
    clock.advance(301)
    assert cluster.lock() is None  # abandoned: nobody renews it any more


async def test_lock_held_by_someone_else_is_a_notification(make_ctx: ContextFactory, ctx: Context) -> None:
    make_ctx("bob").env_ports("dev").cluster.acquire_lock("bob")
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        # Asked knowing who holds it, not told only by the refusal.
        assert isinstance(app.screen, ChoiceScreen) and app.screen.note.startswith("bob holds it since ")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert any("lock held by bob" in n.message for n in app._notifications)


async def test_failed_deploy_is_logged_and_notified_with_its_reason(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "qa")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # 1.6.1-rc1, the crash-looping build
        await confirm(pilot, app)
        failures = [n for n in app._notifications if n.severity == "error"]
        assert failures and "CrashLoopBackOff" in failures[-1].message
        log = "\n".join(dashboard(app).action_log.lines)
        assert "DEPLOY FAILED" in log.upper() and "live traffic stays on blue" in log
        assert ctx.env_ports("qa").releases.values().active_color is Color.BLUE
        assert dashboard(app).running is None


async def test_quitting_while_only_the_confirm_is_open_leaves_nothing_interrupted(ctx: Context) -> None:
    """The action waits for its answer and has changed nothing: quitting said it left the action interrupted."""
    assert ReleaseService(ctx).deploy("qa", "1.5.1").ok
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await focus_env(pilot, app, "qa")
        await pilot.press("c")
        for _ in range(100):
            await pilot.pause(0.02)
            if isinstance(app.screen, ConfirmScreen):
                break
        assert isinstance(app.screen, ConfirmScreen) and dashboard(app).awaiting_answer
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen), "asked as if an action were running"
    assert not app.left_running
    assert ctx.env_ports("qa").cluster.observed_active_color() == Color.BLUE


async def test_a_deploy_started_elsewhere_can_be_aborted_from_the_tui(ctx: Context) -> None:
    """`relui deploy qa ... &` from a shell: the abort key said nothing and did nothing; `relui abort qa` worked."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = dashboard(app)
        assert board.blocked_reason("abort", "qa") == "no deploy or smoke is running on QA"
        Journal(ctx.state_dir, ctx.clock).intent("bob", "qa", "deploy", version="1.5.1")  # bob's, from his bastion
        board.column("qa").poll(deep=True)
        for _ in range(100):
            await pilot.pause(0.02)
            reading = board.readings.get("qa")
            if reading and reading.last_action and reading.last_action.status == "started":
                break
        assert board.blocked_reason("abort", "qa") is None
        assert board.blocked_reason("abort", "dev") is not None


async def test_quitting_while_an_action_runs_offers_to_stop_it_safely_first(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialog offered only "keep watching" or "quit now", which leaves the action interrupted and the lock held."""
    app = make_app(ctx)
    asked: list[str] = []
    app.stopper = SimpleNamespace(quit_safely=asked.append)  # type: ignore[assignment]
    monkeypatch.setattr(ReluiApp, "action_running", property(lambda _self: True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceScreen)
        assert [key for key, _ in dialog.options] == ["stay", "stop", "quit"]
        await pilot.press("down", "enter")  # "Stop it safely, then quit"
        await settle(pilot)
        assert asked == [ctx.operator] and not app.left_running
