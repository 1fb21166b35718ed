"""Deciding an action looks at each source once, even a source that is down."""

from __future__ import annotations

import time

import pytest

from relui.ports import PortError, SourceUnavailable
from relui.services.context import Context
from relui.services.reads import ReadOnce, read_once
from relui.services.release import ReleaseService


class DarkPrometheus:
    calls = 0

    def current(self, kind: object) -> dict[object, float | None]:
        DarkPrometheus.calls += 1
        raise SourceUnavailable("prometheus did not answer within 5s")


def test_a_failing_read_is_tried_once_and_its_error_repeated() -> None:
    port = ReadOnce(DarkPrometheus())
    for _ in range(3):
        with pytest.raises(SourceUnavailable, match="within 5s"):
            port.current("error_rate")
    assert DarkPrometheus.calls == 1


def test_a_deciding_context_cannot_act(ctx: Context) -> None:
    deciding = read_once(ctx)
    with pytest.raises(AttributeError, match="not a read"):
        deciding.env_ports("qa").releases.deploy  # noqa: B018
    assert deciding.env_ports("qa").releases.history() == deciding.env_ports("qa").releases.history()


def test_one_cutover_check_reads_the_release_history_once(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.6.0").ok
    releases = ctx.env_ports("prod").releases
    calls = []
    history = releases.history
    monkeypatch.setattr(releases, "history", lambda: calls.append(1) or history())
    service.check("cutover", "prod")
    assert len(calls) == 1


class HungCluster:
    """A cluster whose first read does not answer; the others would answer if asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def color_states(self) -> dict[object, object]:
        self.asked.append("color_states")
        raise SourceUnavailable("kubernetes of qa did not answer within 20.0 s (cluster.color_states)")

    def lock(self) -> None:
        self.asked.append("lock")

    def warning_events(self, color: object) -> list[str]:
        self.asked.append(f"warning_events {color}")
        return []


def test_a_dark_source_is_dark_for_every_further_read_of_the_decision() -> None:
    cluster = HungCluster()
    port = ReadOnce(cluster)
    for read in (port.color_states, port.lock, lambda: port.warning_events("blue")):
        with pytest.raises(SourceUnavailable, match=r"did not answer within 20\.0 s"):
            read()
    assert cluster.asked == ["color_states"]


def test_a_refused_read_does_not_darken_the_source() -> None:
    class Picky:
        def values(self) -> object:
            raise PortError("release shop has no revision yet")

        def history(self) -> list[object]:
            return []

    port = ReadOnce(Picky())
    with pytest.raises(PortError, match="no revision"):
        port.values()
    assert port.history() == []


def test_a_dark_metrics_source_costs_its_deadline_once_per_refresh(ctx: Context) -> None:
    from relui.adapters.deadline import guard
    from relui.services.monitor import take_snapshot

    class Hung:
        def current(self, kind: object) -> object:
            time.sleep(30)

        def series(self, kind: object, minutes: int, step: int) -> object:
            time.sleep(30)

    class DarkCluster(HungCluster):
        def observed_active_color(self) -> None:
            self.asked.append("observed_active_color")

    ports = ctx.env_ports("qa")
    cluster = DarkCluster()
    ports.cluster = cluster  # type: ignore[assignment]
    ports.metrics = guard(Hung(), "prometheus of qa", "metrics", default=0.5)  # type: ignore[arg-type]
    started = time.monotonic()
    snapshot = take_snapshot(ctx.env("qa"), ports, ctx.clock)
    assert time.monotonic() - started < 0.5 + 2.0
    assert cluster.asked == ["color_states"]
    assert (
        snapshot.metrics_problem
        == "metrics unavailable: prometheus of qa did not answer within 0.5 s (metrics.current)"
    )
    assert snapshot.cluster_problem and "did not answer within 20.0 s" in snapshot.cluster_problem
