"""A rollout that makes no progress says how long it has waited and may wait, instead of a frozen 0/3."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color, ColorState
from relui.ports import EnvPorts
from relui.services.rollout import ActionFailed, Progress, RolloutWatch
from tests.conftest import SHIPPED_CONFIG


class StuckCluster:
    """Green never gets a pod ready; after ``ready_after`` polls it does, when given."""

    def __init__(self, ready_after: int | None = None) -> None:
        self.polls = 0
        self.ready_after = ready_after

    def color_states(self) -> dict[Color, ColorState]:
        self.polls += 1
        ready = 3 if self.ready_after is not None and self.polls > self.ready_after else 0
        return {Color.GREEN: ColorState(Color.GREEN, "1.6.0", True, 3, ready)}


def watch(cluster: StuckCluster, clock: ManualClock) -> RolloutWatch:
    env = load_config(SHIPPED_CONFIG).env("qa")
    return RolloutWatch(env, cast(EnvPorts, SimpleNamespace(cluster=cluster)), clock)


def test_a_stuck_rollout_reports_its_wait_and_limit_every_few_seconds() -> None:
    clock, told = ManualClock(), []
    with pytest.raises(ActionFailed, match=r"not ready after 90s: 0/3 ready"):
        watch(StuckCluster(), clock).wait_ready(Color.GREEN, "1.6.0", told.append)
    rollout = [p for p in told if p.step == "rollout"]
    assert rollout[0].message == "green 1.6.0: 0/3 pods ready (0 s of 90 s)"
    # Nothing changed for 90 s, yet the operator heard of it about every 5 s, each time with the wait so far.
    assert 17 <= len(rollout) <= 19
    assert [p.elapsed for p in rollout[:3]] == [0.0, 5.0, 10.0]
    assert all(p.timeout == 90.0 and (p.done, p.total) == (0, 3) for p in rollout)
    assert rollout[-1].message.endswith("s of 90 s)")


def test_a_change_is_told_at_once_and_the_wait_restarts_its_count() -> None:
    clock, told = ManualClock(), []
    state = watch(StuckCluster(ready_after=7), clock).wait_ready(Color.GREEN, "1.6.0", told.append)
    assert state.all_ready
    said: list[Any] = [(p.done, p.elapsed) for p in told if isinstance(p, Progress)]
    assert said == [(0, 0.0), (0, 5.0), (3, 7.0)]
