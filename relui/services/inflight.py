"""The action running on an environment, and the requests to abort it.

The mutex is the environment's lease in its records store (an flock in the
state dir, or a lease object on S3 that every machine of the team respects).
While an action holds it it leaves a marker
(``actions/<env>.running``: its journal id, action, operator, host, pid). An
abort, or a rollback that must go first, writes ``actions/<env>.abort`` naming
that id; the running action checks for it at every poll and stops. Keying the
request by id means a request left behind never stops the next action.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from relui.ports import PortError, Records
from relui.services import record_store


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
    """Markers, abort requests and the action mutex of a state dir's environments, each in its records store."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.root = state_dir / "actions"

    def store(self, env: str) -> Records:
        """Where ``env``'s mutex, marker and abort requests are kept."""
        return record_store.store_for(self.state_dir, env)

    def mutex_path(self, env: str) -> Path:
        """The path whose flock is the environment's action mutex in the state dir."""
        return self.root / env

    def busy(self, env: str) -> bool:
        """True while some process (on any machine sharing the store) holds the environment's action mutex."""
        try:
            return self.store(env).lease(env) is not None
        except PortError:
            return False

    def mark(self, env: str, running: Running) -> None:
        """Say what now holds the mutex (call with the mutex held); OSError when the store refuses."""
        try:
            self.store(env).write_document(f"actions/{env}.running", json.dumps(running.__dict__).encode())
        except PortError as exc:
            raise OSError(errno.EIO, str(exc)) from None

    def unmark(self, env: str, action_id: str) -> None:
        """Remove the marker and any abort request of a finished action."""
        store = self.store(env)
        for name in (f"actions/{env}.running", f"actions/{env}.abort"):
            try:
                document = store.read_document(name)
                if document is not None and json.loads(document.data).get("id") == action_id:
                    store.delete_document(name)
            except (PortError, ValueError, AttributeError):
                continue

    def running(self, env: str) -> Running | None:
        """The action holding the mutex now, if any (a marker without a holder is stale)."""
        if not self.busy(env):
            return None
        try:
            document = self.store(env).read_document(f"actions/{env}.running")
            return Running(**json.loads(document.data)) if document else None
        except (PortError, ValueError, TypeError):
            return None

    def request_abort(self, env: str, action_id: str, by: str, reason: str, now: datetime) -> AbortRequest:
        """Ask the action ``action_id`` to stop at its next poll."""
        request = AbortRequest(action_id, by, reason, now.isoformat())
        self.store(env).write_document(f"actions/{env}.abort", json.dumps(request.__dict__).encode())
        return request

    def abort_requested(self, env: str, action_id: str) -> AbortRequest | None:
        """The request to stop ``action_id``, if one was made."""
        try:
            document = self.store(env).read_document(f"actions/{env}.abort")
            raw = json.loads(document.data) if document else None
        except (PortError, ValueError):
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
