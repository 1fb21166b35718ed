"""The port guard: a total deadline per call, and nothing but PortError reaching the caller."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from relui.adapters.deadline import DEFAULT_DEADLINE, NotifierGuard, PortGuard, guard
from relui.domain import LockInfo
from relui.ports import LockHeld, PortError, SourceUnavailable
from relui.services.context import Context
from tests.conftest import ROOT

MARGIN = 0.5
NINE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Flaky:
    """A port whose methods misbehave in the ways adapters did."""

    label = "plain attribute"

    def current(self, kind: str) -> dict[str, float]:
        return {"blue": 0.01}

    def slow(self, seconds: float) -> str:
        time.sleep(seconds)
        return "late"

    def missing_value(self) -> float:
        sample: dict[str, Any] = {"metric": {"color": "blue"}}
        return float(sample["value"][1])

    def multiline(self) -> None:
        raise ValueError("first line\n  Traceback-like second line\n")

    def held(self) -> None:
        raise LockHeld(
            LockInfo("bob", datetime(2026, 11, 26, 9, 0, tzinfo=UTC), datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        )

    def interrupted(self) -> None:
        raise KeyboardInterrupt


def guarded(default: float = 1.0) -> Any:
    return guard(Flaky(), "prometheus of qa", "metrics", deadlines={"slow": 0.5}, default=default)


def test_an_answer_within_the_deadline_is_the_answer() -> None:
    assert guarded().current("error_rate") == {"blue": 0.01}
    assert guarded().slow(0.01) == "late"


def test_a_call_past_its_deadline_raises_source_unavailable_in_time() -> None:
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as failed:
        guarded().slow(5)
    assert time.monotonic() - started < 0.5 + MARGIN
    assert str(failed.value) == "prometheus of qa did not answer within 0.5 s (metrics.slow)"


def test_a_port_still_stuck_in_a_read_fails_further_reads_at_once_but_still_acts() -> None:
    release = threading.Event()

    class Stuck:
        def history(self) -> list[int]:
            release.wait(10)
            return [1]

        def values(self) -> str:
            return "values"

        def set_active(self, color: str, description: str) -> str:
            return f"{color} live"

    port: Any = guard(Stuck(), "helm of qa", "releases", default=0.3)
    with pytest.raises(SourceUnavailable):
        port.history()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"within 0\.3 s \(releases\.history\); still waiting on that call"):
        port.values()
    assert time.monotonic() - started < 0.2, "a stuck source must not be paid again"
    assert port.set_active("blue", "rollback") == "blue live", "an act is always tried"
    release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert port.values() == "values"
            break
        except SourceUnavailable:
            time.sleep(0.05)
    else:
        pytest.fail("the port stayed dark after its stuck call ended")


def test_a_key_error_becomes_one_port_error_line() -> None:
    with pytest.raises(PortError) as failed:
        guarded().missing_value()
    assert type(failed.value) is PortError
    assert str(failed.value) == "prometheus of qa failed (metrics.missing_value): KeyError: 'value'"


def test_a_multiline_error_is_one_line() -> None:
    with pytest.raises(PortError) as failed:
        guarded().multiline()
    assert str(failed.value) == (
        "prometheus of qa failed (metrics.multiline): ValueError: first line Traceback-like second line"
    )


def test_a_port_error_passes_through_unchanged() -> None:
    with pytest.raises(LockHeld) as failed:
        guarded().held()
    assert failed.value.lock.holder == "bob"
    assert str(failed.value).startswith("lock held by bob")


def test_an_interrupt_is_not_disguised_as_a_source_failure() -> None:
    with pytest.raises(KeyboardInterrupt):
        guarded().interrupted()


def test_extra_methods_are_guarded_and_missing_ones_stay_missing() -> None:
    port = guarded()
    with pytest.raises(SourceUnavailable):
        port.slow(5)
    assert getattr(port, "rules_loaded", None) is None
    assert port.label == "plain attribute"


def test_calls_work_from_any_thread() -> None:
    answers: list[object] = []
    threads = [threading.Thread(target=lambda: answers.append(guarded().current("x"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert answers == [{"blue": 0.01}] * 8


def test_a_dark_notifier_is_a_failure_line_not_a_crash() -> None:
    class HungWebhook:
        def send(self, subject: str, body: str) -> list[str]:
            time.sleep(5)
            return []

    notifier: Any = NotifierGuard(HungWebhook(), "notifications", "notifier", default=0.3)
    assert notifier.send("rollback qa", "body") == ["notifications did not answer within 0.3 s (notifier.send)"]


HUNG_CHILD = """
import sys, time
from relui.adapters.deadline import guard
from relui.ports import SourceUnavailable

class Hung:
    def current(self):
        time.sleep(3600)

try:
    guard(Hung(), "prometheus of qa", "metrics", default=0.3).current()
except SourceUnavailable as exc:
    print(exc)
sys.exit(0)
"""


def test_a_thread_stuck_forever_does_not_keep_the_process_alive() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", HUNG_CHILD], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "prometheus of qa did not answer within 0.3 s (metrics.current)"
    # Interpreter start and imports included; a joined thread would take an hour.
    assert time.monotonic() - started < 10


def test_build_ports_guards_every_port_with_its_deadline(ctx: Context) -> None:
    for name in ("dev", "qa", "prod"):
        env, ports = ctx.env(name), ctx.env_ports(name)
        for port in (ports.cluster, ports.releases, ports.smoke, ports.metrics, ports.registry, ports.backups):
            assert isinstance(port, PortGuard), (name, port)
        assert isinstance(ports.cluster, PortGuard) and ports.cluster.deadline("color_states") == DEFAULT_DEADLINE
        assert isinstance(ports.metrics, PortGuard) and ports.metrics.deadline("current") == 5.0
        assert isinstance(ports.releases, PortGuard)
        assert ports.releases.deadline("deploy") == env.deploy_timeout_seconds + 30
        assert ports.releases.deadline("history") == DEFAULT_DEADLINE
        assert isinstance(ports.smoke, PortGuard)
        assert ports.smoke.deadline("run") == sum(c.timeout_seconds for c in env.smoke) + 5
    assert isinstance(ctx.ports.notifier, NotifierGuard)
    assert not isinstance(ctx.ports.clock, PortGuard), "a poll's sleep is meant to wait"


def test_prometheus_timeout_is_the_metrics_deadline(tmp_path: Path) -> None:
    from relui.backends import build_ports
    from relui.clock import ManualClock
    from relui.config import load_config

    config = tmp_path / "config.toml"
    config.write_text(
        '[[environments]]\nname = "qa"\nkind = "sandbox"\nrelease = "shop"\n'
        '[environments.prometheus]\nurl = "http://127.0.0.1:9"\nerror_rate = "up"\ntimeout_seconds = 2\n'
    )
    loaded = load_config(config)
    metrics = build_ports(loaded, tmp_path / "state", ManualClock()).envs["qa"].metrics
    assert isinstance(metrics, PortGuard) and metrics.deadline("current") == 2.0
    assert metrics.deadline("rules_loaded") == 2.0
