"""The sandbox world: rollouts, faults, error spikes, and one world shared by many processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.domain import Color, MetricKind, Series
from relui.services.context import Context
from tests.conftest import SHIPPED_CONFIG, make_context


def test_shipped_world_has_each_env_live_on_blue(ctx: Context) -> None:
    for env, version in (("dev", "1.5.0"), ("qa", "1.4.2"), ("prod", "1.4.2")):
        ports = ctx.env_ports(env)
        blue = ports.cluster.color_states()[Color.BLUE]
        assert ports.cluster.observed_active_color() is Color.BLUE
        assert (blue.version, blue.ready, blue.desired) == (version, 3, 3)


def test_rollout_goes_pending_running_ready(ctx: Context, clock: ManualClock) -> None:
    ports = ctx.env_ports("qa")
    ports.releases.deploy(Color.GREEN, "1.5.0", "test deploy")
    first = ports.cluster.color_states()[Color.GREEN]
    assert first.ready == 0 and {p.phase for p in first.pods} == {"Running", "Pending"}
    clock.advance(6)
    middle = ports.cluster.color_states()[Color.GREEN]
    assert 0 < middle.ready < 3
    clock.advance(7)
    done = ports.cluster.color_states()[Color.GREEN]
    assert done.all_ready and done.version == "1.5.0"
    assert ports.cluster.observed_active_color() is Color.BLUE


def test_crashlooping_version_never_gets_ready(ctx: Context, clock: ManualClock) -> None:
    ports = ctx.env_ports("qa")
    ports.releases.deploy(Color.GREEN, "1.6.1-rc1", "test deploy")
    clock.advance(600)
    green = ports.cluster.color_states()[Color.GREEN]
    assert green.ready == 0
    assert green.worst_reason == "CrashLoopBackOff"
    assert green.restarts > 3
    assert any("BackOff" in event for event in ports.cluster.warning_events(Color.GREEN))


def test_missing_image_shows_image_pull_backoff(ctx: Context, clock: ManualClock) -> None:
    ports = ctx.env_ports("dev")
    assert ports.registry is not None and not ports.registry.image_exists("9.9.9")
    ports.releases.deploy(Color.GREEN, "9.9.9", "test deploy")
    clock.advance(30)
    assert ports.cluster.color_states()[Color.GREEN].worst_reason == "ImagePullBackOff"


def test_faulty_version_error_rate_rises_only_after_it_takes_traffic(ctx: Context, clock: ManualClock) -> None:
    ports = ctx.env_ports("prod")
    assert ports.metrics is not None
    threshold = ctx.env("prod").error_threshold
    ports.releases.deploy(Color.GREEN, "1.6.0", "deploy the faulty version")
    clock.advance(120)
    idle = ports.metrics.current(MetricKind.ERROR_RATE)
    assert idle[Color.GREEN] is not None and idle[Color.GREEN] < threshold
    ports.releases.set_active(Color.GREEN, "cutover")
    clock.advance(30)
    early = ports.metrics.current(MetricKind.ERROR_RATE)[Color.GREEN]
    assert early is not None and early < threshold
    clock.advance(120)
    late = ports.metrics.current(MetricKind.ERROR_RATE)[Color.GREEN]
    assert late is not None and late > threshold
    series = ports.metrics.series(MetricKind.ERROR_RATE, 30, 30)[Color.GREEN]
    assert series.latest == series.points[-1].value and max(series.values) > threshold
    assert min(series.values) < threshold


def test_time_scale_speeds_the_world_up(tmp_path: Path, clock: ManualClock) -> None:
    from tests.conftest import drill_config

    fast = make_context(drill_config(tmp_path, time_scale=100), tmp_path / "state", clock)
    ports = fast.env_ports("qa")
    ports.releases.deploy(Color.GREEN, "1.5.0", "fast")
    clock.advance(0.2)
    assert ports.cluster.color_states()[Color.GREEN].all_ready


def test_lock_refuses_a_second_operator_and_expires(ctx: Context, clock: ManualClock) -> None:
    from relui.ports import LockHeld

    cluster = ctx.env_ports("prod").cluster
    cluster.acquire_lock("alice@bastion-1")
    try:
        cluster.acquire_lock("bob@bastion-2")
        raise AssertionError("second operator got the lock")
    except LockHeld as exc:
        assert "alice@bastion-1" in str(exc)
    clock.advance(301)
    assert cluster.lock() is None
    assert cluster.acquire_lock("bob@bastion-2").holder == "bob@bastion-2"


def test_corrupt_world_file_is_one_clear_error(ctx: Context) -> None:
    from relui.ports import PortError

    ctx.env_ports("qa").cluster.color_states()
    (ctx.state_dir / "sandbox" / "world.json").write_text("{not json")
    try:
        ctx.env_ports("qa").cluster.color_states()
        raise AssertionError("corrupt world was read")
    except PortError as exc:
        assert "delete it to start a fresh world" in str(exc)


@pytest.mark.parametrize(
    ("world", "named"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"schema": 1, "envs": [], "registry": []}', "'envs' is not a table"),
        ('{"schema": 1, "envs": {}, "registry": [1]}', "'registry' is not a list of tagged images"),
        ('{"schema": 1, "envs": {"qa": {"revisions": [{"number": "1"}]}}, "registry": []}', "a revision of 'qa'"),
        ('{"schema": 1, "envs": {"qa": {"revisions": []}}, "registry": []}', "the lock of 'qa' is not a table"),
    ],
)
def test_a_hand_edited_world_is_one_line_naming_the_field(ctx: Context, world: str, named: str) -> None:
    """A valid JSON world of another shape gave 'AttributeError: 'list' object has no attribute 'get''."""
    from relui.ports import PortError

    ctx.env_ports("qa").cluster.color_states()
    (ctx.state_dir / "sandbox" / "world.json").write_text(world)
    for call in (ctx.env_ports("qa").cluster.color_states, ctx.env_ports("qa").cluster.lock):
        with pytest.raises(PortError) as caught:
            call()
        assert named in str(caught.value) and "delete it to start a fresh world" in str(caught.value)
        assert "Error:" not in str(caught.value)  # no exception class name from inside the simulator


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from relui.clock import SystemClock
    from relui.config import load_config
    from relui.backends import build_ports
    config = load_config(Path(sys.argv[1]))
    ports = build_ports(config, Path(sys.argv[2]), SystemClock())
    registry = ports.envs["dev"].registry
    for i in range(40):
        registry.add_tag("1.5.0", f"{sys.argv[3]}-{i}")
    """
)


def test_two_processes_writing_the_world_lose_nothing(state_dir: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(SHIPPED_CONFIG), str(state_dir), name])
        for name in ("left", "right")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ctx = make_context(SHIPPED_CONFIG, state_dir, ManualClock())
    registry = ctx.env_ports("dev").registry
    assert registry is not None
    tags = set(registry.recent_tags(limit=1000))
    assert {f"{side}-{i}" for side in ("left", "right") for i in range(40)} <= tags


def test_series_are_answered_again_only_when_the_world_or_the_step_moves(tmp_path: Path, clock: ManualClock) -> None:
    """A refresh inside one step gets the same series back; a change by another process or a new step never does.

    The oracle is a context built afresh for every question, so it has
    nothing remembered: whatever the long-lived one answers must equal it.
    """
    state = tmp_path / "state"
    viewer = make_context(SHIPPED_CONFIG, state, clock)
    other = make_context(SHIPPED_CONFIG, state, clock)  # a second process on the same world

    def asked() -> dict[Color, Series]:
        metrics = viewer.env_ports("prod").metrics
        assert metrics is not None
        return metrics.series(MetricKind.ERROR_RATE, 30, 30)

    def fresh() -> dict[Color, Series]:
        metrics = make_context(SHIPPED_CONFIG, state, clock).env_ports("prod").metrics
        assert metrics is not None
        return metrics.series(MetricKind.ERROR_RATE, 30, 30)

    asked()  # the world is seeded by the first question
    clock.advance(30 - clock.now().timestamp() % 30 + 1)  # just after a step boundary
    first = asked()
    clock.advance(2)
    assert asked() is first and first == fresh()  # same step, same world: the answer is kept
    other.env_ports("prod").releases.deploy(Color.GREEN, "1.6.0", "another bastion deploys")
    clock.advance(120)
    assert asked() == fresh()
    other.env_ports("prod").releases.set_active(Color.GREEN, "another bastion cuts over")
    changed = asked()
    assert changed == fresh() and changed[Color.GREEN] != first[Color.GREEN]
    clock.advance(30)  # the next step: a new point at the end
    later = asked()
    assert later == fresh() and later[Color.GREEN].points[-1].at > changed[Color.GREEN].points[-1].at
    # Another question (a new window) is its own answer, and does not replace the first one's.
    metrics = viewer.env_ports("prod").metrics
    assert metrics is not None
    assert len(metrics.series(MetricKind.ERROR_RATE, 10, 30)[Color.BLUE].points) < len(later[Color.BLUE].points)
    assert asked() is later
    # Within the same step another process rewrites history: the registry loses every image.
    world_file = state / "sandbox" / "world.json"
    world = json.loads(world_file.read_text())
    world["registry"] = []
    world_file.write_text(json.dumps(world))
    emptied = asked()
    assert emptied == fresh() and emptied[Color.BLUE].points == ()


def test_series_kept_from_before_do_not_hide_metrics_going_dark(tmp_path: Path, clock: ManualClock) -> None:
    """A series remembered while Prometheus answered is not handed out once it stops answering."""
    from relui.ports import PortError

    config = tmp_path / "relui.toml"
    dark_on_1_5_0 = '\n[[sandbox.faults]]\nkind = "metrics_down"\nenv = "qa"\nversion = "1.5.0"\n'
    config.write_text(SHIPPED_CONFIG.read_text() + dark_on_1_5_0)
    viewer = make_context(config, tmp_path / "state", clock)
    metrics = viewer.env_ports("qa").metrics
    assert metrics is not None
    metrics.series(MetricKind.ERROR_RATE, 30, 30)  # seeds the world
    kept = metrics.series(MetricKind.ERROR_RATE, 30, 30)
    assert metrics.series(MetricKind.ERROR_RATE, 30, 30) is kept
    make_context(config, tmp_path / "state", clock).env_ports("qa").releases.deploy(Color.GREEN, "1.5.0", "goes dark")
    with pytest.raises(PortError, match="did not answer"):
        metrics.series(MetricKind.ERROR_RATE, 30, 30)
