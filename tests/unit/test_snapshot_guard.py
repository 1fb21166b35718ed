"""The snapshot guard believes only a backup a restore could start from: available, and not dated ahead."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from relui.adapters.sandbox_world import iso
from relui.clock import ManualClock
from relui.domain import GuardResult, Verdict
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.conftest import drill_config, make_context


@pytest.fixture
def ctx(tmp_path: Path, clock: ManualClock) -> Context:
    state = tmp_path / "state"
    state.mkdir()
    return make_context(drill_config(tmp_path, always_open=True), state, clock)


def add_snapshot(ctx: Context, identifier: str, created: datetime, status: str, *, only: bool = False) -> None:
    """A snapshot in the sandbox's RDS (``only``: instead of the nightly one the drill starts with)."""
    backups = ctx.env_ports("prod").backups
    assert backups is not None
    world = backups.world  # type: ignore[attr-defined]
    with world.transaction() as state:
        snapshots = world.env(state, "prod")["snapshots"]
        if only:
            snapshots.clear()
        snapshots.append({"id": identifier, "created": iso(created), "status": status})


def snapshot_guard(ctx: Context) -> GuardResult:
    result = ReleaseService(ctx).deploy("prod", "1.5.0")
    [guard] = [g for g in result.guards if g.name == "snapshot"]
    return guard


@pytest.mark.parametrize("status", ["creating", "failed", "deleting"])
def test_a_fresh_snapshot_that_is_not_available_is_no_backup(ctx: Context, clock: ManualClock, status: str) -> None:
    add_snapshot(ctx, "shop-prod-now", clock.now() - timedelta(minutes=5), status, only=True)
    guard = snapshot_guard(ctx)
    assert guard.verdict is Verdict.BLOCK
    assert guard.reason == f"the newest snapshot shop-prod-now is {status}, not available"


def test_an_older_available_snapshot_is_not_hidden_by_a_newer_one_still_being_made(
    ctx: Context, clock: ManualClock
) -> None:
    add_snapshot(ctx, "shop-prod-earlier", clock.now() - timedelta(hours=2), "available", only=True)
    add_snapshot(ctx, "shop-prod-now", clock.now() - timedelta(minutes=1), "creating")
    guard = snapshot_guard(ctx)
    assert guard.verdict is Verdict.PASS and guard.reason == "shop-prod-earlier is 2.0h old (limit 24h)"


def test_a_snapshot_dated_in_the_future_is_not_believed(ctx: Context, clock: ManualClock) -> None:
    add_snapshot(ctx, "shop-prod-ahead", clock.now() + timedelta(days=2), "available", only=True)
    guard = snapshot_guard(ctx)
    assert guard.verdict is Verdict.BLOCK
    assert "in the future; check this machine's clock and the snapshot" in guard.reason


def test_a_few_minutes_of_clock_skew_still_pass(ctx: Context, clock: ManualClock) -> None:
    add_snapshot(ctx, "shop-prod-skewed", clock.now() + timedelta(minutes=2), "available", only=True)
    guard = snapshot_guard(ctx)
    assert guard.verdict is Verdict.PASS and guard.reason == "shop-prod-skewed is 0.0h old (limit 24h)"
