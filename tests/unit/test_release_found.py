"""Bugs the release state machine (test_release_machine.py) found, each minimised to a few plain steps.

Each was strict-xfail until the service was fixed; now each guards its fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from relui.clock import ManualClock
from relui.domain import Color
from relui.ports import EnvPorts, PortError, SourceUnavailable
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.conftest import drill_config, make_context


class OneFault:
    """A port whose method ``name`` misbehaves once (``play`` gets the real call), then behaves."""

    def __init__(self, target: object, name: str, play: Callable[[Callable[[], Any]], Any]) -> None:
        self._target = target
        self._name = name
        self._play: Callable[[Callable[[], Any]], Any] | None = play

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name != self._name or self._play is None:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            play, self._play = self._play, None
            assert play is not None
            return play(lambda: attr(*args, **kwargs))

        return call


def break_cluster(ctx: Context, env: str, method: str, play: Callable[[Callable[[], Any]], Any]) -> None:
    ports = ctx.ports.envs[env]
    ctx.ports.envs[env] = EnvPorts(
        OneFault(ports.cluster, method, play),  # type: ignore[arg-type]
        ports.releases,
        ports.smoke,
        ports.metrics,
        ports.registry,
        ports.backups,
        ports.credentials,
    )


def fails(_real: Callable[[], Any]) -> Any:
    raise PortError("sandbox cluster failed (cluster.color_states): connection reset")


def answers_late(real: Callable[[], Any]) -> Any:
    real()  # the Lease was written; the answer did not come back in time
    raise SourceUnavailable("sandbox cluster did not answer within 2 s (cluster.acquire_lock)")


@pytest.fixture
def qa_ctx(tmp_path: Path, clock: ManualClock) -> Context:
    state = tmp_path / "state"
    state.mkdir()
    return make_context(drill_config(tmp_path, always_open=True), state, clock)


def test_deploy_does_not_replace_the_warm_previous_when_the_pods_cannot_be_read(qa_ctx: Context) -> None:
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.5.0").ok and service.cutover("qa").ok  # live green 1.5.0, blue 1.4.2 warm
    break_cluster(qa_ctx, "qa", "color_states", fails)  # only the decision's read fails
    result = service.deploy("qa", "1.5.1")
    values = qa_ctx.env_ports("qa").releases.values()
    assert values.tag(Color.BLUE) == "1.4.2", f"deploy {result.status}: the rollback target was replaced"
    assert result.status == "blocked"


def test_an_acquire_that_answered_late_leaves_no_lock(qa_ctx: Context) -> None:
    break_cluster(qa_ctx, "qa", "acquire_lock", answers_late)
    result = ReleaseService(qa_ctx).deploy("qa", "1.5.0")
    assert result.status == "failed"
    assert qa_ctx.env_ports("qa").cluster.lock() is None


def test_a_same_version_rollback_does_not_mark_the_version_as_rolled_back(qa_ctx: Context) -> None:
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.4.2").ok and service.cutover("qa").ok  # green 1.4.2 live, blue 1.4.2 warm
    assert service.rollback("qa", reason="wrong color").ok  # back on blue, still 1.4.2: nothing was rolled back from
    assert service.deploy("qa", "1.5.0").ok and service.cutover("qa").ok  # green 1.5.0 live, blue 1.4.2 warm
    result = service.rollback("qa", to_revision=1, reason="back to the install")  # revision 1 served blue 1.4.2
    assert result.ok, result.message


def test_a_decision_that_changed_nothing_leaves_no_marker(tmp_path: Path) -> None:
    """Found in review: a blocked or cancelled decision left its 'pending' marker in actions/."""
    from relui.clock import ManualClock
    from relui.services.actions import Action
    from relui.services.release import Decision, ReleaseService, Request
    from tests.conftest import IN_WINDOW, SHIPPED_CONFIG, make_context

    ctx = make_context(SHIPPED_CONFIG, tmp_path / "state", ManualClock(IN_WINDOW))
    service = ReleaseService(ctx)
    cancelled = service.run(Request(Action.DEPLOY, "qa", "1.5.1"), lambda _p, _g: Decision(False, note="no"))
    assert cancelled.status == "cancelled"
    blocked = service.run(Request(Action.CUTOVER, "qa"), lambda _p, _g: Decision(True))
    assert blocked.status == "blocked"
    assert not list((ctx.state_dir / "actions").glob("*.running"))
    assert not list((ctx.state_dir / "actions").glob("*.abort"))
