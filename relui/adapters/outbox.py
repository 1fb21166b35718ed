"""A notifier for setups with no channel configured: messages land in a file.

The sandbox uses it, so a rehearsal shows what Slack and mail would have
said (``outbox.jsonl`` in the state dir) without sending anything anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from relui.ports import Clock
from relui.statedir import exclusive


class OutboxNotifier:
    """Appends each notification as one JSON line."""

    def __init__(self, state_dir: Path, clock: Clock) -> None:
        self.path = state_dir / "outbox.jsonl"
        self.clock = clock

    def send(self, subject: str, body: str) -> list[str]:
        """Record the message; a write failure is reported, never raised."""
        record = {"at": self.clock.now().isoformat(), "subject": subject, "body": body}
        try:
            with exclusive(self.path), self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        except OSError as exc:
            return [f"outbox {self.path}: {exc.strerror}"]
        return []
