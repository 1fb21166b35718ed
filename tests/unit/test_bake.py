"""The bake after a cutover: it passes quietly, or breaches, is told once, and rolls back once when configured."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from relui.adapters.sandbox import SandboxMetrics
from relui.clock import ManualClock
from relui.domain import Color
from relui.ports import SourceUnavailable
from relui.services.bake_watch import BakeWatch
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from tests.conftest import SHIPPED_CONFIG, make_context


def _ctx(tmp_path: Path, clock: ManualClock, auto_rollback: bool) -> Context:
    text = SHIPPED_CONFIG.read_text()
    if auto_rollback:
        text = re.sub(r'(name = "qa"\n)', r"\1auto_rollback = true\n", text)
    path = tmp_path / "config.toml"
    path.write_text(text)
    return make_context(path, tmp_path / "state", clock)


def _live(ctx: Context) -> tuple[Color | None, str | None]:
    ports = ctx.env_ports("qa")
    color = ports.cluster.observed_active_color()
    return color, ports.releases.values().tag(color) if color else None


def _outbox(ctx: Context) -> list[str]:
    path = ctx.state_dir / "outbox.jsonl"
    return [json.loads(line)["subject"] for line in path.read_text().splitlines()] if path.exists() else []


def test_a_good_release_bakes_quietly(tmp_path: Path, clock: ManualClock) -> None:
    ctx = _ctx(tmp_path, clock, auto_rollback=True)
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    verdict = BakeWatch(service, "qa").watch(lambda _p: None)
    assert verdict.passed and verdict.rollback is None
    assert _live(ctx) == (Color.GREEN, "1.5.1")
    assert not [s for s in _outbox(ctx) if "bake" in s]


def test_a_breach_is_told_once_and_rolls_back_once(tmp_path: Path, clock: ManualClock) -> None:
    ctx = _ctx(tmp_path, clock, auto_rollback=True)
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    verdict = BakeWatch(service, "qa").watch(lambda _p: None)
    assert not verdict.passed and verdict.rollback is not None and verdict.rollback.ok
    assert "BAKE BREACH" in verdict.message
    assert _live(ctx) == (Color.BLUE, "1.4.2")
    entries = Journal(ctx.state_dir, ctx.clock).entries("qa")
    assert [e.action for e in entries if (e.kind == "note" and "bake" in e.action) or e.action == "auto-rollback"] == [
        "bake-breach",
        "auto-rollback",
    ]
    rollback = [e for e in entries if e.kind == "intent" and e.action == "rollback"][-1]
    assert rollback.detail["trigger"] == "auto-rollback" and rollback.detail["reason"].startswith("auto-rollback:")
    assert sum("bake breached" in s for s in _outbox(ctx)) == 1
    # Seen again (another process, the TUI's next look): nothing more happens.
    assert BakeWatch(service, "qa").current() is None  # the rollback ended the bake


def test_without_auto_rollback_a_breach_says_how_to_roll_back(tmp_path: Path, clock: ManualClock) -> None:
    ctx = _ctx(tmp_path, clock, auto_rollback=False)
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    watch = BakeWatch(service, "qa")
    verdict = watch.watch(lambda _p: None)
    assert not verdict.passed and verdict.rollback is None
    assert "relui rollback qa" in verdict.message
    assert _live(ctx) == (Color.GREEN, "1.6.0")
    bake = watch.current()
    assert bake is not None and bake.breached
    watch.handle(bake)  # the TUI's next look at the same breach
    assert sum("bake breached" in s for s in _outbox(ctx)) == 1


def test_a_bake_whose_error_rate_stays_dark_has_not_passed(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prometheus down, hung or answering nothing usable for the whole bake: it said "bake passed", exit 0."""
    ctx = _ctx(tmp_path, clock, auto_rollback=True)
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok

    def dark(self: object, *args: object) -> object:
        raise SourceUnavailable("prometheus answered HTTP 503 to the error_rate query: down")

    monkeypatch.setattr(SandboxMetrics, "series", dark)
    lines: list[str] = []
    verdict = BakeWatch(service, "qa").watch(lambda p: lines.append(p.message))
    assert not verdict.passed and verdict.rollback is None  # the source is dark, not the release
    assert "could not be judged: error rate unknown: prometheus answered HTTP 503" in verdict.message
    assert any("error rate unknown" in line for line in lines)
    assert _live(ctx) == (Color.GREEN, "1.5.1")
