"""Actions cut off mid-way (kill -9, a crash, a full disk): one fact that every face shows the same.

An intent with no outcome is an interrupted action unless the operator has
moved on since (a later action of the same environment finished, so someone
has looked at the state and re-decided) or it is still running (its
environment's action mutex is held right now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from relui.services.context import Context
from relui.services.journal import Entry, Journal
from relui.statedir import exclusive


@dataclass(frozen=True)
class Interrupted:
    """One action that started and never recorded how it ended."""

    env: str
    action: str
    operator: str
    at: datetime
    id: str
    check: str
    version: str | None = None
    from_version: str | None = None
    from_color: str | None = None
    to_color: str | None = None

    def line(self, now: datetime | None = None) -> str:
        """One display line: what, by whom, when, and what to check."""
        what = f"{self.action} {self.version}" if self.version else self.action
        return f"{what} by {self.operator} at {_when(self.at, now)}: {self.check}"

    def to_json(self) -> dict[str, str]:
        """The documented JSON shape (``relui status --json``, ``relui journal --json``)."""
        found = {"action": self.action, "operator": self.operator, "at": self.at.isoformat(), "id": self.id}
        found["check"] = self.check
        if self.version:
            found["version"] = self.version
        return found


def interrupted_actions(ctx: Context, env: str | None = None, entries: list[Entry] | None = None) -> list[Interrupted]:
    """The interrupted actions of ``env`` (every environment when None), oldest first.

    ``entries``: that environment's journal, when the caller has just read it.
    Only intents after their environment's last outcome count, so the records
    are looked at from the newest back to that outcome, not through a year of
    finished actions at every dashboard refresh.
    """
    if entries is None:
        entries = Journal(ctx.state_dir, ctx.clock).entries(ctx.env(env).name if env else None)
    settled: set[str] = set()  # environments whose last outcome has been passed
    ended: set[str] = set()  # the ids of the outcomes passed
    newest: set[str] = set()  # environments whose newest intent has been passed
    found: list[Interrupted] = []
    for entry in reversed(entries):
        if env is not None and settled:
            break
        if entry.kind == "outcome":
            settled.add(entry.env)
            ended.add(entry.id)
        elif entry.kind == "intent":
            # Only the newest intent can be the action that holds the mutex now; older ones are dead either way.
            is_newest = entry.env not in newest
            newest.add(entry.env)
            if entry.env in settled or entry.id in ended or (is_newest and _action_running(ctx, entry.env)):
                continue
            found.append(_interrupted(entry))
    return found[::-1]


def interrupted_lines(ctx: Context, env: str, entries: list[Entry] | None = None) -> tuple[str, ...]:
    """One display line per interrupted action of ``env``, for ``EnvSnapshot.interrupted``."""
    now = ctx.clock.now()
    return tuple(i.line(now) for i in interrupted_actions(ctx, env, entries))


def _action_running(ctx: Context, env: str) -> bool:
    """True when a relui process holds the environment's action mutex (as ReleaseService does while acting).

    The probe takes the flock for an instant, so it is only made when an
    unfinished intent asks the question. A state dir where the lock file
    cannot be made has no running action either.
    """
    try:
        with exclusive(ctx.state_dir / "actions" / env, blocking=False) as free:
            return not free
    except OSError:
        return False


def _interrupted(entry: Entry) -> Interrupted:
    def text(key: str) -> str | None:
        value = entry.detail.get(key)
        return str(value) if value not in (None, "") else None

    return Interrupted(
        env=entry.env,
        action=entry.action,
        operator=entry.operator,
        at=_parse(entry.at),
        id=entry.id,
        check=_check(entry.env, entry.action, text("version"), text("from_color"), text("to_color")),
        version=text("version"),
        from_version=text("from_version"),
        from_color=text("from_color"),
        to_color=text("to_color"),
    )


def _check(env: str, action: str, version: str | None, from_color: str | None, to_color: str | None) -> str:
    """What the operator should look at before doing anything else."""
    of = f" of {version}" if version else ""
    to = f" to {to_color}" if to_color else ""
    if action == "cutover":
        switch = f" {from_color}->{to_color}" if from_color and to_color else ""
        return (
            f"cutover{switch}{of} never finished: check which color is live with relui status {env}; "
            "cut over again or roll back, each decides from the current state"
        )
    if action == "rollback":
        return (
            f"rollback{of} never finished: check which color is live with relui status {env}; "
            "rollback again decides from the current state"
        )
    if action == "smoke":
        return f"smoke{of}{' on ' + to_color if to_color else ''} never finished: run relui smoke {env} again"
    return f"{action}{of}{to} never finished: check relui status {env}; re-run decides from the current state"


def _parse(stamp: str) -> datetime:
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _when(at: datetime, now: datetime | None) -> str:
    at = at.astimezone(UTC)
    if now is not None and now.astimezone(UTC).date() == at.date():
        return f"{at:%H:%M} UTC"
    return f"{at:%Y-%m-%d %H:%M} UTC"
