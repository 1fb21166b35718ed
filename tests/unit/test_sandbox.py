"""The sandbox world: rollouts, faults, error spikes, and one world shared by many processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.domain import Color, MetricKind
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
