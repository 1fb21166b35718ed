"""The checklist's automatic items: each evaluated through the ports when it is read.

Snapshot age, metrics answering, smoke passed, the previous color warm, no error
spike since the cutover, and a configured command. A source that fails raises
PortError; the checklist turns that into "could not check".
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from typing import Any

from relui.config import ChecklistItem
from relui.domain import Color, MetricKind
from relui.services.context import Context
from relui.services.release_state import release_state
from relui.services.snapshots import judge_snapshot


def check_item(
    ctx: Context, item: ChecklistItem, env: str, version: str | None, state: dict[str, Any]
) -> tuple[bool, str]:
    """Evaluate one automatic item through the ports now: (done, evidence). PortError when a source fails."""
    ports = ctx.env_ports(env)
    env_cfg = ctx.env(env)
    now = ctx.clock.now()
    if item.auto == "snapshot_age":
        if ports.backups is None:
            return False, "no database backups configured"
        limit = timedelta(hours=env_cfg.aws.max_snapshot_age_hours if env_cfg.aws else 24)
        return judge_snapshot(ports.backups.latest_snapshot(), now, limit)
    if item.auto == "metrics_answering":
        if ports.metrics is None:
            return False, "no metrics source configured"
        values = ports.metrics.current(MetricKind.ERROR_RATE)
        answered = [c for c, v in values.items() if v is not None]
        return bool(answered), f"error rate answered for {', '.join(answered) or 'no color'}"
    if item.auto == "smoke_passed":
        smoke = state.get("smoke")
        if not smoke:
            return False, f"smoke has not run for {version}"
        return bool(
            smoke["passed"]
        ), f"smoke on {smoke['color']} at {smoke['at'][:16]}: {'passed' if smoke['passed'] else 'failed'}"
    if item.auto == "previous_color_warm":
        rel = release_state(ports.releases.history(), ports.releases.values())
        color = rel.idle_color if rel.candidate_color is None else rel.live_color
        warm = ports.cluster.color_states().get(color)
        if warm is None:
            return False, f"the cluster's answer has no {color}"
        return warm.all_ready, f"{warm.color} {warm.version or '-'}: {warm.ready}/{warm.desired} ready"
    if item.auto == "error_rate_since_cutover":
        return _errors_since_cutover(ctx, env, version)
    if item.auto == "command" and item.command:
        return _run_command(item.command)
    return False, f"unknown automatic check {item.auto}"


def _errors_since_cutover(ctx: Context, env: str, version: str | None) -> tuple[bool, str]:
    ports = ctx.env_ports(env)
    rel = release_state(ports.releases.history(), ports.releases.values())
    if rel.live_version != version or version is None:
        return False, f"{version} is not live yet"
    if ports.metrics is None:
        return False, "no metrics source configured"
    threshold = ctx.env(env).error_threshold
    series = ports.metrics.series(MetricKind.ERROR_RATE, 30, 30).get(rel.live_color)
    if series is None:
        return False, f"no error-rate series for {rel.live_color}"
    switched = _live_since(ports.releases.history(), rel.live_color)
    values = [p.value for p in series.points if switched is None or p.at >= switched]
    if not values:
        return False, "no error-rate samples since cutover yet"
    if not all(0 <= v <= 1 for v in values):  # nan fails this too
        return False, "error-rate samples since cutover are not ratios from 0 to 1; check the PromQL"
    peak = max(values)
    return peak < threshold, f"peak {peak * 100:.2f}% since cutover (threshold {threshold * 100:.2f}%)"


def _live_since(history: list[Any], color: Color) -> datetime | None:
    """When traffic last moved to ``color``, from the history (newest first)."""
    since = None
    for rev in history:
        if rev.values is None or rev.values.active_color != color:
            break
        since = rev.updated
    return since


def _run_command(command: tuple[str, ...]) -> tuple[bool, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        return False, f"command not found: {command[0]}"
    except subprocess.TimeoutExpired:
        return False, f"{' '.join(command)} timed out after 60 s"
    return done.returncode == 0, f"{' '.join(command)} exited {done.returncode}"
