"""The action running on an environment, and the requests to abort it.

While an action holds an environment's mutex it leaves a marker
(``actions/<env>.running``: its journal id, action, operator, host, pid). An
abort, or a rollback that must go first, writes ``actions/<env>.abort`` naming
that id; the running action checks for it at every poll and stops. Keying the
request by id means a request left behind never stops the next action.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from relui.statedir import atomic_write, exclusive


@dataclass(frozen=True)
class Running:
    """What holds the mutex of an environment right now."""

    id: str
    action: str
    operator: str
    host: str
    pid: int
    at: str
    abortable: bool
    version: str | None = None


@dataclass(frozen=True)
class AbortRequest:
    """Someone asked the running action to stop."""

    id: str
    by: str
    reason: str
    at: str


class InFlight:
    """Markers and abort requests of one state dir."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "actions"

    def mutex_path(self, env: str) -> Path:
        """The path whose flock is the environment's action mutex."""
        return self.root / env

    def busy(self, env: str) -> bool:
        """True while some process holds the environment's action mutex."""
        with exclusive(self.mutex_path(env), blocking=False) as held:
            return not held

    def mark(self, env: str, running: Running) -> None:
        """Say what now holds the mutex (call with the mutex held)."""
        atomic_write(self.root / f"{env}.running", json.dumps(running.__dict__).encode())

    def unmark(self, env: str, action_id: str) -> None:
        """Remove the marker and any abort request of a finished action."""
        for name in (f"{env}.running", f"{env}.abort"):
            path = self.root / name
            try:
                if json.loads(path.read_text()).get("id") == action_id:
                    path.unlink()
            except (OSError, ValueError):
                continue

    def running(self, env: str) -> Running | None:
        """The action holding the mutex now, if any (a marker without a holder is stale)."""
        if not self.busy(env):
            return None
        try:
            raw = json.loads((self.root / f"{env}.running").read_text())
            return Running(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def request_abort(self, env: str, action_id: str, by: str, reason: str, now: datetime) -> AbortRequest:
        """Ask the action ``action_id`` to stop at its next poll."""
        request = AbortRequest(action_id, by, reason, now.isoformat())
        atomic_write(self.root / f"{env}.abort", json.dumps(request.__dict__).encode())
        return request

    def abort_requested(self, env: str, action_id: str) -> AbortRequest | None:
        """The request to stop ``action_id``, if one was made."""
        try:
            raw = json.loads((self.root / f"{env}.abort").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("id") != action_id:
            return None
        try:
            return AbortRequest(**raw)
        except TypeError:
            return None


def this_pid() -> int:
    """This process's id, as markers record it."""
    return os.getpid()
