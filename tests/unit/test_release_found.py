"""Bugs the release state machine (test_release_machine.py) found, each minimised to a few plain steps.

Each was strict-xfail until the service was fixed; now each guards its fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from relui.clock import ManualClock
from relui.domain import Color, ColorState, Verdict
from relui.ports import LockHeld, PortError, SourceUnavailable
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.conftest import drill_config, make_context


class OneFault:
    """A port whose method ``name`` misbehaves once (``play`` gets the real call), then behaves."""

    def __init__(self, target: object, name: str, play: Callable[[Callable[[], Any]], Any], skip: int = 0) -> None:
        self._target = target
        self._name = name
        self._play: Callable[[Callable[[], Any]], Any] | None = play
        self._skip = skip  # calls that behave before the one that misbehaves

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name != self._name or self._play is None:
            return attr
        if self._skip > 0:
            self._skip -= 1
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            play, self._play = self._play, None
            assert play is not None
            return play(lambda: attr(*args, **kwargs))

        return call


def break_port(
    ctx: Context, env: str, port: str, method: str, play: Callable[[Callable[[], Any]], Any], skip: int = 0
) -> None:
    """The environment's ``port`` (``cluster``, ``releases``, ``metrics`` ...) with ``method`` misbehaving once."""
    ports = ctx.ports.envs[env]
    ctx.ports.envs[env] = replace(ports, **{port: OneFault(getattr(ports, port), method, play, skip)})


def break_cluster(ctx: Context, env: str, method: str, play: Callable[[Callable[[], Any]], Any]) -> None:
    break_port(ctx, env, "cluster", method, play)


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


def nothing_deployed(_real: Callable[[], Any]) -> Any:
    """What a list in another namespace, or one RBAC filters, answers: no Deployment of either color."""
    return {c: ColorState(c, None, False, 0, 0) for c in Color}


def swapped(real: Callable[[], Any]) -> Any:
    """Each color read as running the other's version."""
    states = real()
    return {c: replace(states[c.other], color=c) for c in Color}


def no_revisions(_real: Callable[[], Any]) -> Any:
    return []


def superseded_only(real: Callable[[], Any]) -> Any:
    """A history cut at the wrong end: the oldest revisions, none of them the one in force."""
    return [r for r in real() if r.status != "deployed"]


def newer_than_the_values(real: Callable[[], Any]) -> Any:
    """Another bastion deployed between relui's read of the values and its read of the history."""
    newest, *rest = real()
    values = newest.values
    assert values is not None
    moved = replace(values, blue_tag="1.3.0")
    return [replace(newest, number=newest.number + 1, values=moved), replace(newest, status="superseded"), *rest]


@pytest.mark.parametrize(
    ("port", "garble", "says"),
    [
        # Found by the machine in CI: "not warm" was read from a cluster answer that listed nothing.
        ("cluster", nothing_deployed, "Helm renders blue 1.4.2, the cluster shows no blue Deployment"),
        # Tried next: a reading that disagrees with Helm on the version.
        ("cluster", swapped, "Helm renders blue 1.4.2, the cluster's blue Deployment runs 1.5.0"),
        # Found trying the machine's other garbled answers on the same path.
        ("releases", no_revisions, "lists no deployed revision"),
        ("releases", superseded_only, "lists no deployed revision"),
        ("releases", newer_than_the_values, "the release changed while it was read"),
    ],
    ids=(
        "no-deployment-listed",
        "versions-swapped",
        "empty-history",
        "history-without-the-deployed",
        "history-newer-than-values",
    ),
)
def test_a_garbled_read_does_not_let_a_deploy_replace_the_warm_previous(
    qa_ctx: Context, port: str, garble: Callable[[Callable[[], Any]], Any], says: str
) -> None:
    """Two sources that disagree are unknown, not "nothing to protect": the deploy is refused, saying why."""
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.5.0").ok and service.cutover("qa").ok  # live green 1.5.0, blue 1.4.2 warm
    break_port(qa_ctx, "qa", port, "color_states" if port == "cluster" else "history", garble)
    result = service.deploy("qa", "1.5.1")
    assert qa_ctx.env_ports("qa").releases.values().tag(Color.BLUE) == "1.4.2", "the rollback target was replaced"
    assert result.status == "blocked"
    assert any(says in g.reason for g in result.guards if g.verdict is Verdict.BLOCK), result.guards


@pytest.mark.parametrize("garbled", [-0.2, float("nan"), float("inf"), 7.5])
def test_a_garbled_candidate_error_rate_is_unknown_not_low(qa_ctx: Context, garbled: float) -> None:
    """Tried after the machine's finds: a negative rate (a counter reset) read as 'under the threshold'."""
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.5.0").ok and service.smoke("qa").ok

    def answers(real: Callable[[], Any]) -> Any:
        rates = dict(real())
        candidate = qa_ctx.env_ports("qa").releases.values().active_color.other
        rates[candidate] = garbled
        return rates

    break_port(qa_ctx, "qa", "metrics", "current", answers)
    result = service.cutover("qa")
    assert result.status == "blocked"
    [rate] = [g for g in result.guards if g.name == "error-rate"]
    assert rate.verdict is Verdict.BLOCK, rate


def test_a_rollout_poll_whose_answer_lacks_the_color_waits_on(qa_ctx: Context) -> None:
    """Found by the machine: a cluster answer without the color being rolled out raised KeyError from the
    deploy (a traceback, the action journaled as interrupted). It is a poll that saw nothing yet."""

    def without_green(real: Callable[[], Any]) -> Any:
        return {c: state for c, state in real().items() if c is not Color.GREEN}

    break_port(qa_ctx, "qa", "cluster", "color_states", without_green, skip=1)  # the rollout's first poll
    result = ReleaseService(qa_ctx).deploy("qa", "1.5.0")
    assert result.ok, result.message
    assert qa_ctx.env_ports("qa").releases.values().tag(Color.GREEN) == "1.5.0"


@pytest.mark.parametrize(
    ("port", "method", "item", "says"),
    [
        ("cluster", "color_states", "previous-warm", "the cluster's answer has no blue"),
        ("metrics", "series", "no-error-spikes", "no error-rate series for green"),
    ],
)
def test_an_automatic_check_whose_answer_lacks_the_color_says_so(
    qa_ctx: Context, port: str, method: str, item: str, says: str
) -> None:
    """The same garbled answer in a checklist check: not done, saying why, instead of a KeyError."""
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.5.0").ok and service.cutover("qa").ok  # green 1.5.0 live, blue 1.4.2 warm
    break_port(qa_ctx, "qa", port, method, lambda _real: {})
    view = Checklists(qa_ctx).view("qa", "1.5.0")
    [status] = [s for s in view.items if s.item.id == item]
    assert not status.done and status.evidence == says


def test_an_acquire_that_answered_late_leaves_no_lock(qa_ctx: Context) -> None:
    break_cluster(qa_ctx, "qa", "acquire_lock", answers_late)
    result = ReleaseService(qa_ctx).deploy("qa", "1.5.0")
    assert result.status == "failed"
    assert qa_ctx.env_ports("qa").cluster.lock() is None


def reset_after_the_write(real: Callable[[], Any]) -> Any:
    real()  # the Lease was written; the connection reset before the answer
    raise PortError("sandbox cluster failed (cluster.acquire_lock): connection reset")


def test_a_lock_take_that_failed_after_its_write_leaves_no_lock(qa_ctx: Context) -> None:
    """Found by the machine: the operator was told the take failed, and the lock stayed held, unjournaled."""
    break_cluster(qa_ctx, "qa", "acquire_lock", reset_after_the_write)
    with pytest.raises(PortError, match="connection reset"):
        ReleaseService(qa_ctx).take_lock("qa")
    assert qa_ctx.env_ports("qa").cluster.lock() is None


def test_a_renewal_that_failed_keeps_the_lock_already_held(qa_ctx: Context) -> None:
    service = ReleaseService(qa_ctx)
    held = service.take_lock("qa")
    break_cluster(qa_ctx, "qa", "acquire_lock", fails)
    with pytest.raises(PortError):
        service.take_lock("qa")
    lock = qa_ctx.env_ports("qa").cluster.lock()
    assert lock is not None and lock.holder == held.holder


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


def test_a_lock_take_refused_because_another_holds_it_touches_nothing_more(qa_ctx: Context) -> None:
    """The give-back after a failed take is for takes that may have written; a refusal wrote nothing."""
    cluster = qa_ctx.env_ports("qa").cluster
    cluster.acquire_lock("alice@bastion-2")  # another operator, another host
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(cluster, name)

    qa_ctx.ports.envs["qa"] = replace(qa_ctx.ports.envs["qa"], cluster=Counting())  # type: ignore[arg-type]
    with pytest.raises(LockHeld):
        ReleaseService(qa_ctx).take_lock("qa")
    assert "release_lock" not in calls
    lock = qa_ctx.env_ports("qa").cluster.lock()
    assert lock is not None and lock.holder == "alice@bastion-2"


class ValuesUnreadOnBlue:
    """Releases whose values cannot be read while blue is live: the read after a rollback's switch fails."""

    def __init__(self, releases: Any, cluster: Any) -> None:
        self._releases, self._cluster = releases, cluster

    def __getattr__(self, name: str) -> Any:
        return getattr(self._releases, name)

    def values(self) -> Any:
        if self._cluster.observed_active_color() is Color.BLUE:
            raise PortError("sandbox releases failed (releases.values): connection reset")
        return self._releases.values()


def test_a_same_version_rollback_whose_values_go_unread_tags_no_version_failed(qa_ctx: Context) -> None:
    """Found by the state machine: the version restored went unread, so 1.4.2 was tagged failed-1.4.2.

    Traffic went from green 1.4.2 back to blue 1.4.2: nothing was rolled back
    from, yet the failed tag marked a good build in every picker and guard.
    """
    service = ReleaseService(qa_ctx)
    assert service.deploy("qa", "1.4.2").ok and service.cutover("qa").ok  # green 1.4.2 live, blue 1.4.2 warm
    ports = qa_ctx.ports.envs["qa"]
    qa_ctx.ports.envs["qa"] = replace(ports, releases=ValuesUnreadOnBlue(ports.releases, ports.cluster))

    rolled = service.rollback("qa", reason="wrong color")

    assert rolled.ok, rolled.message
    assert ports.cluster.observed_active_color() is Color.BLUE
    registry = ports.registry
    assert registry is not None
    assert not [t for t in registry.recent_tags(50) if t.startswith("failed-")]
