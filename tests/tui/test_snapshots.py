"""Snapshots of the dashboard (80x24, 120x36, 160x45), the confirm modal (100x30, 80x24), the checklist; frozen time.

Regenerate after an intended change with ``pytest tests/tui --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from relui.domain import GuardResult, Remedy, RemedyKind, Verdict
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle

SnapCompare = Callable[..., bool]


def press_then_settle(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """A run_before that waits for the first readings, presses keys, and waits again."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run


def test_dashboard_80x24(snap_compare: SnapCompare, ctx: Context) -> None:
    assert snap_compare(make_app(ctx), terminal_size=(80, 24), run_before=press_then_settle())


def test_dashboard_80x24_both_colors_up(snap_compare: SnapCompare, ctx: Context) -> None:
    """QA runs a candidate: both colors have pods, and narrow columns still end with checklist, lock, last."""
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="snapshot")
    assert snap_compare(make_app(ctx), terminal_size=(80, 24), run_before=press_then_settle())


def test_dashboard_120x36_both_colors_up(snap_compare: SnapCompare, ctx: Context) -> None:
    """One line per pod, no column scrollbar, checklist, lock and last action in view."""
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="snapshot")
    assert snap_compare(make_app(ctx), terminal_size=(120, 36), run_before=press_then_settle())


def test_dashboard_160x45_with_a_candidate(snap_compare: SnapCompare, ctx: Context) -> None:
    ReleaseService(ctx).deploy("qa", "1.6.0", reason="snapshot")
    assert snap_compare(make_app(ctx), terminal_size=(160, 45), run_before=press_then_settle())


def confirm_modal(pilot: Pilot[Any]) -> ConfirmScreen:
    """Fixed guards and plan lines, so the snapshot shows the modal, not today's guard wording.

    The sign-off block's way out is worded with the keys the dashboard binds, as a real confirm is.
    """
    guards = [
        GuardResult("role", Verdict.PASS, "alice (devops) may cutover"),
        GuardResult("pods", Verdict.PASS, "green 1.6.0: 3/3 pods ready"),
        GuardResult("smoke", Verdict.PASS, "smoke passed for 1.6.0 at 10:00 UTC"),
        GuardResult("error-rate", Verdict.WARN, "no error-rate data for the candidate yet"),
        GuardResult(
            "signoff", Verdict.BLOCK, "no product_owner sign-off for 1.6.0", Remedy(RemedyKind.SIGNOFF, "prod")
        ),
    ]
    board = next(s for s in pilot.app.screen_stack if isinstance(s, ReleaseDashboard))
    return ConfirmScreen(
        "Cutover PROD: blue -> green (1.6.0)",
        "prod",
        protected=True,
        changes=["live traffic: blue (1.4.2) -> green (1.6.0)", "blue (1.4.2) stays up, warm for rollback"],
        guards=guards,
        forceable=True,
        remedies=board.remedies(),
    )


async def open_confirm_modal(pilot: Pilot[Any]) -> None:
    """A run_before that opens the fixed confirm modal over the settled dashboard."""
    await settle(pilot)
    pilot.app.push_screen(confirm_modal(pilot))
    await settle(pilot)


def test_confirm_modal_on_prod(snap_compare: SnapCompare, ctx: Context) -> None:
    assert snap_compare(make_app(ctx), terminal_size=(100, 30), run_before=open_confirm_modal)


def test_confirm_modal_80x24(snap_compare: SnapCompare, ctx: Context) -> None:
    """On the smallest terminal the block and its way out (a TUI key, not a CLI command) still show."""
    assert snap_compare(make_app(ctx), terminal_size=(80, 24), run_before=open_confirm_modal)


def test_checklist_screen(snap_compare: SnapCompare, ctx: Context) -> None:
    from relui.services.checklist import Checklists

    Checklists(ctx).tick("qa", "tests-passing", note="CI run 4411")
    app = make_app(ctx)
    assert snap_compare(app, terminal_size=(100, 30), run_before=press_then_settle("right", "k"))
