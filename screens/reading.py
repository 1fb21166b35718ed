"""Read one environment for its dashboard column, through the services.

Blocking: the column calls the reader from its thread worker. Each source is
read on its own, so a failing journal, checklist or release history shows as
``unavailable`` in its place while everything else still updates.

No Textual here: the TUI starts the first readings (``start_readings``)
before it imports Textual, so a cluster's answers come in while it loads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from relui.daemon_executor import DaemonExecutor
from relui.services.bake import bake_from
from relui.services.checklist import PHASES, Checklists
from relui.services.context import Context
from relui.services.interrupted import interrupted_lines
from relui.services.journal import Entry, Journal, last_action_in
from relui.services.monitor import describe_failure, take_snapshot
from relui.services.release_state import ReleaseState, release_state, warm_previous
from relui.widgets.column_data import ColumnData, LastAction, PhaseProgress

# Automatic checklist items query the ports (and may run commands), so the
# dashboard evaluates them at most this often unless asked (R, after an action).
CHECKLIST_SECONDS = 30.0


def last_action(entry: Entry) -> LastAction:
    """A journal record as the column shows it; an intent has no outcome yet."""
    version = entry.detail.get("version")
    return LastAction(
        action=entry.action,
        status="started" if entry.kind == "intent" else entry.status,
        operator=entry.operator,
        at=entry.at[11:16],
        version=str(version) if version and entry.action == "deploy" else None,
    )


def deployable_versions(ctx: Context, env: str, limit: int = 15) -> list[str]:
    """Recent registry tags worth deploying, newest first: never a ``failed-*`` tag (blocking)."""
    registry = ctx.env_ports(env).registry
    if registry is None:
        return []
    return [tag for tag in registry.recent_tags(limit * 2) if not tag.startswith("failed-")][:limit]


FAILED_TAG = re.compile(r"failed-(?P<version>.+)-(?P<stamp>\d{8}T\d{6}Z)")


@dataclass(frozen=True)
class VersionPick:
    """What the deploy picker offers: versions newest first, which were rolled back, which crash-loop."""

    versions: list[str]
    rolled_back_on: dict[str, str] = field(default_factory=dict)  # version -> YYYY-MM-DD of its failed-* tag
    crash_loopers: frozenset[str] = frozenset()
    # version -> the environments where its pods are in CrashLoopBackOff now (a deploy cut off mid-way
    # has no outcome in the journal to say so, but its pods do)
    crashing_on: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, version: str, on_color: str | None = None) -> str:
        """``1.6.0  (on green)  [rolled back on 2026-11-26]``."""
        words = [version]
        if on_color:
            words.append(f"(on {on_color})")
        if version in self.rolled_back_on:
            words.append(f"[rolled back on {self.rolled_back_on[version]}]")
        if version in self.crashing_on:
            words.append(f"[crash-looping now on {', '.join(self.crashing_on[version])}]")
        elif version in self.crash_loopers:
            words.append("[last deploy crash-looped]")
        return "  ".join(words)

    @property
    def preselect(self) -> int:
        """The newest version neither rolled back nor crash-looping (else the newest)."""
        for index, version in enumerate(self.versions):
            if version not in self.rolled_back_on and version not in self.crash_loopers | self.crashing_on.keys():
                return index
        return 0


def crashing_now(readings: Iterable[ColumnData]) -> dict[str, tuple[str, ...]]:
    """Versions with pods in CrashLoopBackOff in the readings, and the environments where they are."""
    where: dict[str, list[str]] = {}
    for data in readings:
        for state in data.snapshot.colors.values():
            for pod in state.pods:
                version = pod.version or state.version
                # Kubernetes shows a looping container as CrashLoopBackOff while it waits, Error once it has died again.
                looping = pod.reason == "CrashLoopBackOff" or (pod.reason == "Error" and pod.restarts > 0)
                if looping and version and data.env not in where.get(version, []):
                    where.setdefault(version, []).append(data.env)
    return {version: tuple(envs) for version, envs in where.items()}


def crash_loopers(entries: list[Entry]) -> frozenset[str]:
    """Versions whose last deploy, on any environment, failed with CrashLoopBackOff."""
    versions: dict[str, str] = {}
    last: dict[str, bool] = {}
    for entry in entries:
        if entry.action != "deploy":
            continue
        if entry.kind == "intent" and entry.detail.get("version"):
            versions[entry.id] = str(entry.detail["version"])
        elif entry.kind == "outcome" and entry.id in versions:
            message = str(entry.detail.get("message", ""))
            last[versions[entry.id]] = entry.status == "failed" and "CrashLoopBackOff" in message
    return frozenset(v for v, looped in last.items() if looped)


def version_pick(
    ctx: Context, env: str, limit: int = 15, crashing_on: dict[str, tuple[str, ...]] | None = None
) -> VersionPick:
    """The picker's versions and marks (blocking: the registry, the journal); ``crashing_on``: ``crashing_now``."""
    registry = ctx.env_ports(env).registry
    tags = registry.recent_tags(limit * 3) if registry is not None else []
    rolled_back: dict[str, str] = {}
    for tag in tags:
        match = FAILED_TAG.fullmatch(tag)
        if match:
            stamp = match.group("stamp")
            rolled_back.setdefault(match.group("version"), f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}")
    versions = [tag for tag in tags if not tag.startswith("failed-")][:limit]
    try:
        looped = crash_loopers(Journal(ctx.state_dir, ctx.clock).entries())
    except Exception:  # noqa: BLE001 - an unreadable journal only loses the mark
        looped = frozenset()
    return VersionPick(versions, rolled_back, looped, dict(crashing_on or {}))


class EnvReader:
    """Reads one environment: snapshot, release state, checklist progress, last action."""

    def __init__(self, ctx: Context, env: str) -> None:
        self.ctx = ctx
        self.env = ctx.env(env)
        self.ports = ctx.env_ports(env)
        self.journal = Journal(ctx.state_dir, ctx.clock, watching=True)  # a dashboard's: see Records.records
        self.checklists = Checklists(ctx)
        self._phases: tuple[PhaseProgress, ...] = ()
        self._phases_for: str | None = None
        self._phases_at = 0.0
        self._phases_problem: str | None = None
        # The newest journal record the checklist was read after: every tick and sign-off, from any machine, is one.
        self._phases_after: tuple[int, str, str] | None = None

    def __call__(self, deep: bool = False) -> ColumnData:
        """One reading; ``deep`` also re-evaluates the checklist's automatic items now."""
        snapshot = take_snapshot(self.env, self.ports, self.ctx.clock)
        last, newest, journal_problem = None, None, None
        try:
            entries = self.journal.entries(self.env.name)  # read once: the interrupted actions and the last one
            last, newest = self._journal_read(entries)
            snapshot = replace(snapshot, interrupted=interrupted_lines(self.ctx, self.env.name, entries))
        except Exception as exc:  # noqa: BLE001 - an unreadable journal is shown, never fatal
            journal_problem = f"{type(exc).__name__}: {exc}"
            snapshot = replace(snapshot, problems=(*snapshot.problems, f"journal unavailable: {exc}"))
        release, release_problem = self._release()
        version = release.release_version if release else None
        stale = time.monotonic() - self._phases_at > CHECKLIST_SECONDS
        if deep or stale or version != self._phases_for or newest != self._phases_after:
            self._read_checklist(version)
            self._phases_after = newest
        breach = None
        if release is not None:
            bake = bake_from(self.env, release, snapshot.error_series.get(release.live.color), snapshot.taken_at)
            breach = bake.line(snapshot.taken_at) if bake is not None and bake.breached else None
        warm = warm_previous(release, snapshot.colors) if release is not None else None
        return ColumnData(
            snapshot=snapshot,
            bake_breach=breach,
            candidate_color=release.candidate_color if release else None,
            candidate_version=release.candidate_version if release else None,
            warm_color=warm.color if warm else None,
            rolled_back_from=release.rolled_back_from if release else frozenset(),
            version_in_play=version,
            checklist=self._phases,
            checklist_problem=self._phases_problem,
            last_action=last,
            journal_problem=journal_problem,
            release_problem=release_problem,
        )

    def _release(self) -> tuple[ReleaseState | None, str | None]:
        try:
            return release_state(self.ports.releases.history(), self.ports.releases.values()), None
        except Exception as exc:  # noqa: BLE001 - a failing source is shown, never fatal
            return None, describe_failure("release history", exc)

    @staticmethod
    def _journal_read(entries: list[Entry]) -> tuple[LastAction | None, tuple[int, str, str] | None]:
        """The last action, and which record is the newest (a tick or sign-off made anywhere is one)."""
        entry = last_action_in(entries)
        newest = (len(entries), entries[-1].id, entries[-1].kind) if entries else None
        return (last_action(entry) if entry else None), newest

    def _read_checklist(self, version: str | None) -> None:
        try:
            view = self.checklists.view(self.env.name, version)
        except Exception as exc:  # noqa: BLE001
            self._phases_problem = f"{type(exc).__name__}: {exc}"
        else:
            self._phases = tuple(
                PhaseProgress(phase, sum(s.done for s in view.phase(phase)), len(view.phase(phase)))
                for phase in PHASES
                if view.phase(phase)
            )
            self._phases_problem = None
        self._phases_for = version
        self._phases_at = time.monotonic()


@dataclass(frozen=True)
class Readings:
    """Every environment's reader, and its first (deep) reading, already under way."""

    readers: dict[str, EnvReader]
    first: dict[str, Future[ColumnData]]


def start_readings(ctx: Context) -> Readings:
    """A reader per environment, each first reading started now in a daemon thread.

    The futures are the threads' own: done the moment a reading returns, so
    the dashboard can draw it without waiting for the event loop to hear.
    """
    readers = {env.name: EnvReader(ctx, env.name) for env in ctx.config.environments}
    executor = DaemonExecutor()
    return Readings(readers, {env: executor.submit(reader, True) for env, reader in readers.items()})
