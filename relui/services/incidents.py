"""The incident record a rollback leaves behind, as markdown in ``incidents/``.

It carries what the follow-up needs: what failed, what was restored, the
error rate before and after, who rolled back and why, the failed image tag,
and the environment's journal around the release as a timeline.

Every value that came from a person or from outside (reason, versions,
problems, the timeline) is escaped to one markdown line, so it can never add a
heading or a ticked follow-up box; two rollbacks in one second get two files. Where the environment's records
live on S3, the same text is also written there (create-only), so the team
sees it from every machine.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from relui.ports import ABSENT, RecordConflict, Records
from relui.services import record_store
from relui.services.journal import Entry
from relui.services.text import markdown_text

# Rollbacks in one second beyond this many are not release-day events but a loop; stop and say so.
MAX_SAME_SECOND = 1000


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
    md = markdown_text
    failed, restored = md(incident.failed_version or "?"), md(incident.restored_version or "?")
    lines = [
        f"# Incident: rollback of {failed} on {md(incident.env.upper())}",
        "",
        f"- When: {incident.at:%Y-%m-%d %H:%M:%S} UTC",
        f"- Operator: {md(incident.operator)}",
        f"- Reason: {md(incident.reason or 'not given')}",
        f"- Method: {md(incident.method)}",
        f"- Failed version: {failed}",
        f"- Restored version: {restored}",
        f"- Error rate before rollback: {_rate(incident.error_rate_before)}",
        f"- Error rate after rollback: {_rate(incident.error_rate_after)}",
        f"- Failed image kept as: {md(incident.failed_tag or 'not tagged')}",
        "",
        "## Timeline (journal)",
        "",
    ]
    lines.extend(f"- {_timeline_line(entry)}" for entry in timeline)
    if incident.problems:
        lines += ["", "## Problems during rollback", ""] + [f"- {md(p)}" for p in incident.problems]
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


def _timeline_line(entry: Entry) -> str:
    """One journal record as escaped markdown text (without the list marker)."""
    version = str(entry.detail.get("version") or "")
    if entry.action in ("cutover", "rollback") and entry.detail.get("from_version"):
        version = f"{entry.detail['from_version']} -> {version or '?'}"
    reason = entry.detail.get("reason") or entry.detail.get("message") or entry.detail.get("item") or ""
    text = f"{entry.at[:19]} {entry.operator} {entry.action}{' ' + version if version else ''}"
    return markdown_text(f"{text} {entry.kind}/{entry.status} {reason}")


def write_incident(state_dir: Path, incident: Incident, timeline: list[Entry]) -> Path:
    """Write the record to a new file; the name sorts by time and names the environment, and is never reused.

    The text is written and fsynced under a temporary name, then linked to
    the first free name (link fails rather than replaces), so a reader never
    sees half a record and a second rollback in the same second keeps both.
    """
    path = _write_local(state_dir, incident, timeline)
    store = record_store.store_for(state_dir, incident.env)
    if store is not record_store.local_store(state_dir):
        _write_shared(store, path.name, render_incident(incident, timeline).encode("utf-8"))
    return path


def _write_shared(store: Records, name: str, data: bytes) -> None:
    stem = name.removesuffix(".md")
    for count in range(1, MAX_SAME_SECOND + 1):
        try:
            store.write_document(f"incidents/{stem if count == 1 else f'{stem}-{count}'}.md", data, ABSENT)
        except RecordConflict:
            continue
        return


def _write_local(state_dir: Path, incident: Incident, timeline: list[Entry]) -> Path:
    directory = state_dir / "incidents"
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{incident.at:%Y%m%dT%H%M%SZ}-{incident.env}"
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(render_incident(incident, timeline).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        path = _link_to_free_name(Path(tmp), directory, stem)
    finally:
        Path(tmp).unlink(missing_ok=True)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def _link_to_free_name(tmp: Path, directory: Path, stem: str) -> Path:
    for count in range(1, MAX_SAME_SECOND + 1):
        path = directory / (f"{stem}.md" if count == 1 else f"{stem}-{count}.md")
        try:
            os.link(tmp, path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{MAX_SAME_SECOND} incident records named {stem} already exist in {directory}")
