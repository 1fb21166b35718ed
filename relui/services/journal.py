"""The audit journal: append-only JSONL in the state dir, one fsync per record.

Every action writes an ``intent`` record before it touches anything and an
``outcome`` record after (ok, failed, forced, interrupted ...). An intent with
no outcome means relui died mid-action; ``interrupted`` finds those.

A record is one complete line written with one ``write`` under the flock and
then fsynced; a record that cannot be written whole raises ``JournalError``
and leaves no partial line behind. A line torn by a crash mid-write stays a
line of its own, and readers report it (``unreadable``) instead of hiding it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relui.ports import Clock, PortError
from relui.services.text import one_line
from relui.statedir import exclusive

OUTCOMES = ("ok", "failed", "blocked", "forced", "interrupted", "aborted", "cancelled")
# Detail fields a person types; each becomes one printable line before it is written.
FREE_TEXT = ("reason", "note", "message", "evidence")
EXCERPT = 60


class JournalError(PortError):
    """The journal could not be written (or read) durably; the message is one line with the path and what to do."""


@dataclass(frozen=True)
class Unreadable:
    """A journal line that is not a record (torn by a crash, or edited by hand)."""

    line: int
    excerpt: str

    def warning(self, path: Path) -> str:
        """One line for stderr."""
        return f"journal {path} line {self.line} is unreadable (torn or edited), skipped: {self.excerpt!r}"


@dataclass(frozen=True)
class JournalRead:
    """Everything one read of the journal found: the records, and the lines that are not records."""

    entries: list[Entry]
    unreadable: list[Unreadable]


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
        detail = {k: one_line(v) if k in FREE_TEXT and isinstance(v, str) else v for k, v in entry.detail.items()}
        entry = Entry(entry.id, entry.kind, entry.at, entry.operator, entry.env, entry.action, entry.status, detail)
        line = (json.dumps(entry.to_json(), sort_keys=True, default=str) + "\n").encode("utf-8")
        consequence = "nothing was changed" if entry.kind == "intent" else f"this {entry.action} is not journaled"
        with self._failing("write", consequence):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with exclusive(self.path):
                self._write_record(line)
        return entry

    def _write_record(self, line: bytes) -> None:
        """Append one line with one write; on any failure cut the file back so no partial line stays."""
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            # A crash mid-write leaves a tail without "\n"; end it so the next record is not glued to it.
            data = line if size == 0 or os.pread(fd, 1, size - 1) == b"\n" else b"\n" + line
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(f"short write ({written} of {len(data)} bytes, file size limit?)")
                os.fsync(fd)
            except OSError:
                _truncate_quietly(fd, size)
                raise
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)

    @contextmanager
    def _failing(self, what: str, consequence: str) -> Iterator[None]:
        """Turn any OSError of the block into one JournalError line."""
        try:
            yield
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise JournalError(
                f"cannot {what} the journal {self.path}: {reason}; free space or fix the state dir, {consequence}"
            ) from None

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

    def read(self, env: str | None = None) -> JournalRead:
        """Every record of ``env`` (all when None), oldest first, and every line that is not a record.

        Unreadable lines belong to no known environment, so they are reported whatever ``env`` is.
        """
        with self._failing("read", "nothing was read"):
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return JournalRead([], [])
        found, broken = [], []
        for number, data in enumerate(raw.split(b"\n"), start=1):
            if not data.strip():
                continue
            try:
                entry = Entry.from_json(json.loads(data.decode("utf-8")))
            except (ValueError, AttributeError, TypeError):
                excerpt = one_line(data.decode("utf-8", errors="replace"), limit=EXCERPT)
                broken.append(Unreadable(number, excerpt))
                continue
            if env is None or entry.env == env:
                found.append(entry)
        return JournalRead(found, broken)

    def entries(self, env: str | None = None) -> list[Entry]:
        """Every record, oldest first; lines that are not records are left out (see ``unreadable``)."""
        return self.read(env).entries

    def unreadable(self, env: str | None = None) -> list[tuple[int, str]]:
        """(line number, short excerpt) of every line that is not a record: torn by a crash or edited."""
        return [(u.line, u.excerpt) for u in self.read(env).unreadable]

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


def _truncate_quietly(fd: int, size: int) -> None:
    """Cut a failed append back off; a device such as /dev/full cannot be truncated, and has nothing to cut."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


def _fsync_dir(directory: Path) -> None:
    """Make a newly created journal file's name durable too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
