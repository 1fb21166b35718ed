"""Snapshots of the dashboard (80x24, 160x45), the confirm modal and the checklist, at frozen time.

Regenerate after an intended change with ``pytest tests/tui --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

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


def test_dashboard_160x45_with_a_candidate(snap_compare: SnapCompare, ctx: Context) -> None:
    ReleaseService(ctx).deploy("qa", "1.6.0", reason="snapshot")
    assert snap_compare(make_app(ctx), terminal_size=(160, 45), run_before=press_then_settle())


def test_confirm_cutover_modal(snap_compare: SnapCompare, ctx: Context) -> None:
    ReleaseService(ctx).deploy("prod", "1.6.0", reason="snapshot")
    app = make_app(ctx)
    assert snap_compare(app, terminal_size=(100, 36), run_before=press_then_settle("right", "right", "c"))


def test_checklist_screen(snap_compare: SnapCompare, ctx: Context) -> None:
    from relui.services.checklist import Checklists

    Checklists(ctx).tick("qa", "tests-passing", note="CI run 4411")
    app = make_app(ctx)
    assert snap_compare(app, terminal_size=(100, 30), run_before=press_then_settle("right", "k"))
