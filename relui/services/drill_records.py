"""The team's drill history: ``drills.jsonl`` in the operator's real state dir, and the team's records stores.

Each scored drill run appends one line, and is written as one create-only
document ``drills/<id>-<finished>.json`` to every records store the state
dir's environments share with the team (S3), so a drill done on one laptop
counts on every machine. The readiness review's team-training criterion reads
it, so it lives apart from the drill machinery: reading the history needs no
scenario, no sandbox and no throw-away state dir.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from relui.ports import ABSENT, PortError, RecordConflict
from relui.printable import printable_fields
from relui.services import record_store
from relui.statedir import exclusive, read_file

FILE_NAME = "drills.jsonl"


@dataclass(frozen=True)
class DrillRecord:
    """One scored drill run, as the team-training criterion sees it."""

    id: str
    drill: str
    operator: str
    finished: datetime
    passed: bool
    points: int
    summary: str
    state_dir: str = ""

    def __post_init__(self) -> None:
        # drills.jsonl is appended to by hand-run drills on any machine; its words reach readiness screens.
        printable_fields(self, "id", "drill", "operator", "summary", "state_dir")

    def to_json(self) -> dict[str, Any]:
        """The record as one JSON object."""
        raw = asdict(self)
        raw["finished"] = self.finished.isoformat()
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DrillRecord:
        """A record read back; raises KeyError/ValueError on a damaged line."""
        return cls(
            id=str(raw["id"]),
            drill=str(raw["drill"]),
            operator=str(raw["operator"]),
            finished=datetime.fromisoformat(str(raw["finished"])),
            passed=bool(raw["passed"]),
            points=int(raw.get("points", 0)),
            summary=str(raw.get("summary", "")),
            state_dir=str(raw.get("state_dir", "")),
        )


def append_record(state_dir: Path, record: DrillRecord) -> Path:
    """Append a run to the history, fsynced, under the file's lock."""
    path = state_dir / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record.to_json(), sort_keys=True) + "\n"
    with exclusive(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    name = f"drills/{record.id}-{record.finished:%Y%m%dT%H%M%S%fZ}.json"
    for store in record_store.every_store(state_dir)[1:]:
        try:
            store.write_document(name, line.encode("utf-8"), ABSENT)
        except RecordConflict:
            continue  # this very score is there already
    return path


def _team_lines(state_dir: Path) -> list[str]:
    """The drill documents of every shared store (a store that does not answer adds none)."""
    lines = []
    for store in record_store.every_store(state_dir)[1:]:
        try:
            for name in store.documents("drills"):
                document = store.read_document(name)
                if document is not None:
                    lines.append(document.data.decode("utf-8", errors="replace"))
        except PortError:
            continue
    return lines


def read_records(state_dir: Path) -> list[DrillRecord]:
    """Every run, oldest first; a run scored twice counts once (its last score)."""
    try:
        text = read_file(state_dir / FILE_NAME).decode("utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    by_id: dict[str, DrillRecord] = {}
    for line in _team_lines(state_dir) + text.splitlines():
        try:
            record = DrillRecord.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a torn last line after a crash, or a hand edit: skip, never fail the review
        by_id.pop(record.id, None)
        by_id[record.id] = record
    return sorted(by_id.values(), key=lambda r: r.finished)


# The drills in which something fails and the operator must hold the line; lock-held is a warm-up.
FAILURE_DRILLS = ("error-spike", "crashloop", "missing-tag", "prometheus-dark")


def last_passed(
    state_dir: Path, operator: str | None = None, drills: tuple[str, ...] | None = None
) -> DrillRecord | None:
    """The newest passed run, if any (of ``operator``, of one of ``drills``, when given)."""
    passed = [
        r
        for r in read_records(state_dir)
        if r.passed and (operator is None or r.operator == operator) and (drills is None or r.drill in drills)
    ]
    return passed[-1] if passed else None
