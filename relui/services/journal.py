"""The audit journal: append-only JSONL in the state dir, one fsync per record.

Every action writes an ``intent`` record before it touches anything and an
``outcome`` record after (ok, failed, forced, interrupted). An intent with no
outcome means relui died mid-action; ``interrupted`` finds those.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relui.ports import Clock
from relui.statedir import exclusive

OUTCOMES = ("ok", "failed", "blocked", "forced", "interrupted")


@dataclass(frozen=True)
class Entry:
    """One journal record."""

    id: str
    kind: str  # "intent", "outcome" or "note"
    at: str
    operator: str
    env: str
    action: str
    status: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as written to the file."""
        return {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "operator": self.operator,
            "env": self.env,
            "action": self.action,
            "status": self.status,
            **self.detail,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        """A record read back from the file."""
        known = {"id", "kind", "at", "operator", "env", "action", "status"}
        return cls(
            id=str(raw.get("id", "")),
            kind=str(raw.get("kind", "")),
            at=str(raw.get("at", "")),
            operator=str(raw.get("operator", "")),
            env=str(raw.get("env", "")),
            action=str(raw.get("action", "")),
            status=str(raw.get("status", "")),
            detail={k: v for k, v in raw.items() if k not in known},
        )


class Journal:
    """Append and read the journal file."""

    def __init__(self, state_dir: Path, clock: Clock) -> None:
        self.path = state_dir / "journal.jsonl"
        self.clock = clock

    def _append(self, entry: Entry) -> Entry:
        line = json.dumps(entry.to_json(), sort_keys=True, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def intent(self, operator: str, env: str, action: str, **detail: Any) -> Entry:
        """Record that an action is about to start; returns the entry whose id the outcome repeats."""
        entry = Entry(
            uuid.uuid4().hex[:12], "intent", self.clock.now().isoformat(), operator, env, action, "started", detail
        )
        return self._append(entry)

    def outcome(self, intent: Entry, status: str, **detail: Any) -> Entry:
        """Record how an action ended."""
        if status not in OUTCOMES:
            raise ValueError(f"unknown outcome {status!r}")
        entry = Entry(
            intent.id,
            "outcome",
            self.clock.now().isoformat(),
            intent.operator,
            intent.env,
            intent.action,
            status,
            detail,
        )
        return self._append(entry)

    def note(self, operator: str, env: str, action: str, status: str = "ok", **detail: Any) -> Entry:
        """Record a one-off event (a tick, a sign-off, a lock, a failed notification)."""
        entry = Entry(
            uuid.uuid4().hex[:12], "note", self.clock.now().isoformat(), operator, env, action, status, detail
        )
        return self._append(entry)

    def entries(self, env: str | None = None) -> list[Entry]:
        """Every record, oldest first; a torn last line (a crash mid-write) is skipped."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        found = []
        for line in text.splitlines():
            try:
                entry = Entry.from_json(json.loads(line))
            except (ValueError, AttributeError):
                continue
            if env is None or entry.env == env:
                found.append(entry)
        return found

    def interrupted(self, env: str | None = None) -> list[Entry]:
        """Intents that never got an outcome: actions cut off mid-way."""
        entries = self.entries(env)
        finished = {e.id for e in entries if e.kind == "outcome"}
        return [e for e in entries if e.kind == "intent" and e.id not in finished]

    def last_action(self, env: str) -> Entry | None:
        """The newest outcome (or unfinished intent) of an environment."""
        for entry in reversed(self.entries(env)):
            if entry.kind in ("outcome", "intent"):
                return entry
        return None
