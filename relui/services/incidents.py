"""The incident record a rollback leaves behind, as markdown in ``incidents/``.

It carries what the follow-up needs: what failed, what was restored, the
error rate before and after, who rolled back and why, the failed image tag,
and the environment's journal around the release as a timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from relui.services.journal import Entry
from relui.statedir import atomic_write


@dataclass(frozen=True)
class Incident:
    """What a rollback records."""

    env: str
    at: datetime
    operator: str
    reason: str
    failed_version: str | None
    restored_version: str | None
    method: str
    error_rate_before: float | None
    error_rate_after: float | None
    failed_tag: str | None
    problems: tuple[str, ...] = ()


def _rate(value: float | None) -> str:
    return "unknown" if value is None else f"{value * 100:.2f}%"


def render_incident(incident: Incident, timeline: list[Entry]) -> str:
    """The incident record as markdown."""
    lines = [
        f"# Incident: rollback of {incident.failed_version or '?'} on {incident.env.upper()}",
        "",
        f"- When: {incident.at:%Y-%m-%d %H:%M:%S} UTC",
        f"- Operator: {incident.operator}",
        f"- Reason: {incident.reason or 'not given'}",
        f"- Method: {incident.method}",
        f"- Failed version: {incident.failed_version or '?'}",
        f"- Restored version: {incident.restored_version or '?'}",
        f"- Error rate before rollback: {_rate(incident.error_rate_before)}",
        f"- Error rate after rollback: {_rate(incident.error_rate_after)}",
        f"- Failed image kept as: {incident.failed_tag or 'not tagged'}",
        "",
        "## Timeline (journal)",
        "",
    ]
    for entry in timeline:
        version = entry.detail.get("version") or ""
        if entry.action in ("cutover", "rollback") and entry.detail.get("from_version"):
            version = f"{entry.detail['from_version']} -> {version or '?'}"
        extra = f" {version}" if version else ""
        reason = entry.detail.get("reason") or entry.detail.get("message") or entry.detail.get("item") or ""
        lines.append(
            f"- {entry.at[:19]} {entry.operator} {entry.action}{extra} {entry.kind}/{entry.status} {reason}".rstrip()
        )
    if incident.problems:
        lines += ["", "## Problems during rollback", ""] + [f"- {p}" for p in incident.problems]
    lines += [
        "",
        "## Follow-up",
        "",
        "- [ ] Root cause found and written down",
        "- [ ] Fix merged and released through the normal pipeline",
        "- [ ] Runbook or checklist updated if the process let this through",
        "",
    ]
    return "\n".join(lines)


def write_incident(state_dir: Path, incident: Incident, timeline: list[Entry]) -> Path:
    """Write the record; the file name sorts by time and names the environment."""
    path = state_dir / "incidents" / f"{incident.at:%Y%m%dT%H%M%SZ}-{incident.env}.md"
    atomic_write(path, render_incident(incident, timeline).encode("utf-8"))
    return path
