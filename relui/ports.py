"""The outside systems relui talks to, as Protocols.

Services depend on these and nothing else; each adapter module implements
them for one real system (or for the sandbox world). Every method may block,
so callers in the TUI run them in thread workers. Failures are raised as
``PortError`` subclasses whose message is one line a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from relui.domain import (
    Color,
    ColorState,
    CredentialInfo,
    DbSnapshot,
    LockInfo,
    MetricKind,
    Principal,
    ReleaseValues,
    Revision,
    Series,
    SmokeResult,
)


class PortError(Exception):
    """An outside system failed; the message is one line with what to do."""


class SourceUnavailable(PortError):
    """The system could not be reached or did not answer in time."""


class CredentialsRefused(PortError):
    """The system answered, and refused who asked: no credentials, expired or rejected ones, a missing profile.

    Unlike ``SourceUnavailable`` it says nothing is dark: an identity source
    that answers this is no outage, so the caller holds no claimed roles.
    """


class LockHeld(PortError):
    """Another operator holds the environment's lock."""

    def __init__(self, lock: LockInfo) -> None:
        self.lock = lock
        since = lock.since.strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(f"lock held by {lock.holder} since {since}")


class NotFound(PortError):
    """The thing asked for does not exist (an image tag, a revision ...)."""


@runtime_checkable
class Clock(Protocol):
    """Time as the world sees it; the sandbox and tests control it."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (in world time) before polling again."""
        ...


class Cluster(Protocol):
    """Pods, deployments and the live selector of one environment."""

    def color_states(self) -> dict[Color, ColorState]:
        """Deployment and pod health per color of the release."""
        ...

    def observed_active_color(self) -> Color | None:
        """The color the live Service selects right now, read back from the cluster."""
        ...

    def warning_events(self, color: Color) -> list[str]:
        """Recent warning events of the color's pods, newest first."""
        ...

    def lock(self) -> LockInfo | None:
        """The operator lock of this environment, if anyone holds it."""
        ...

    def acquire_lock(self, holder: str) -> LockInfo:
        """Take (or renew) the lock; raises LockHeld when another holder has it."""
        ...

    def release_lock(self, holder: str) -> None:
        """Give the lock back; a no-op when the holder does not hold it."""
        ...


class Releases(Protocol):
    """The environment's one Helm release on the blue/green chart contract."""

    def values(self) -> ReleaseValues:
        """The blue/green values of the last deployed revision: the base the next upgrade builds on.

        NotFound when the release does not exist (the message says how to install it).
        """
        ...

    def install(self, color: Color, version: str, description: str) -> Revision:
        """First install: ``color`` enabled on ``version`` and live, the other color disabled.

        PortError when the release already exists (deploy to it instead).
        """
        ...

    def deploy(self, color: Color, version: str, description: str) -> Revision:
        """Upgrade so ``color`` runs ``version`` (enabled); other values kept."""
        ...

    def set_active(self, color: Color, description: str) -> Revision:
        """Upgrade with ``activeColor`` = color; both colors stay up."""
        ...

    def rollback(self, revision: int, description: str) -> Revision:
        """``helm rollback <release> <revision>``."""
        ...

    def history(self) -> list[Revision]:
        """Revisions, newest first."""
        ...


class Metrics(Protocol):
    """Per-color figures from Prometheus (or the sandbox's counters)."""

    def kinds(self) -> tuple[MetricKind, ...]:
        """The figures this source is configured to answer."""
        ...

    def current(self, kind: MetricKind) -> dict[Color, float | None]:
        """The instant value per color; None where a color has no data, {} when no series exist at all."""
        ...

    def series(self, kind: MetricKind, minutes: int, step_seconds: int) -> dict[Color, Series]:
        """A range query per color over the last ``minutes``."""
        ...


class Registry(Protocol):
    """The image registry (ECR) holding the application's images."""

    def image_exists(self, tag: str) -> bool:
        """True when an image with this tag is in the repository."""
        ...

    def recent_tags(self, limit: int = 10) -> list[str]:
        """The most recently pushed tags, newest first."""
        ...

    def add_tag(self, source_tag: str, new_tag: str) -> None:
        """Put the image of ``source_tag`` again under ``new_tag``."""
        ...


class Backups(Protocol):
    """Database snapshots (RDS)."""

    def latest_snapshot(self) -> DbSnapshot | None:
        """The newest snapshot, or None when there is none."""
        ...

    def create_snapshot(self, identifier: str) -> DbSnapshot:
        """Create a snapshot and wait until it is available."""
        ...


class Credentials(Protocol):
    """The cloud identity relui acts as."""

    def check(self) -> CredentialInfo:
        """Who we are and whether the credentials are temporary."""
        ...


class Identity(Protocol):
    """Who is acting on an environment, and how that was verified."""

    def whoami(self) -> Principal:
        """The caller as the identity source sees it (``user`` and ``roles`` are filled in by the mapping)."""
        ...


class SmokeRunner(Protocol):
    """The environment's smoke checks, run against one color's preview endpoint."""

    def run(self, color: Color) -> list[SmokeResult]:
        """Run every configured check against ``color``."""
        ...


class Notifier(Protocol):
    """Slack, mail: tells people what happened."""

    def send(self, subject: str, body: str) -> list[str]:
        """Send to every channel; returns one line per channel that failed."""
        ...


class RecordsError(PortError):
    """The records store could not be read or written; ``where`` names the store, ``reason`` says why."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class RecordConflict(RecordsError):
    """A conditional write lost a race (the object changed, or exists, since it was read)."""


@dataclass(frozen=True)
class StoredRecord:
    """One journal record as the store holds it: where it is, and its bytes."""

    where: str  # "journal.jsonl line 12", "s3://bucket/prefix/journal/qa/000000000012.json"
    data: bytes
    line: int = 0  # its line in a journal file (0 where records are objects)


@dataclass(frozen=True)
class Document:
    """A mutable document and the version token a conditional write must name."""

    data: bytes
    version: str  # an S3 ETag, or the SHA-256 of a local file


@dataclass(frozen=True)
class Lease:
    """The action mutex of one environment: who holds it, until when (epoch seconds, real time)."""

    env: str
    holder: str
    host: str
    pid: int
    expiry: float
    token: str = ""  # the store's handle on a held lease (an ETag, an open lock file)


# Write a document only when it does not exist yet.
ABSENT = ""
# How old the whole read of a journal a watching dashboard is served (plus what was appended since) may be.
WATCH_SECONDS = 60.0


class Records(Protocol):
    """What the release process records, for one environment: journal, documents, the action mutex.

    ``local`` keeps them in the state dir; ``s3`` in a bucket every machine of
    the team shares. Journal records are never overwritten; documents are
    written conditionally on the version that was read (``RecordConflict``
    when another writer got there first).
    """

    where: str  # the store in a person's words: a state dir, s3://bucket/prefix

    def append(self, env: str, build: Callable[[StoredRecord | None], tuple[int, bytes]]) -> StoredRecord:
        """Append one journal record of ``env``, create-only.

        ``build`` gets the environment's newest record (None for the first)
        and returns the new record's sequence number and bytes; it is asked
        again when another writer appended first.
        """
        ...

    def records(self, env: str | None, whole: bool = True) -> Sequence[StoredRecord]:
        """The journal records of ``env`` (every environment's when None), oldest first.

        A store that keeps several environments in one file may return
        other environments' records too; the caller filters. A store may
        hand the same unchanged sequence to every caller: never change it.
        With ``whole`` False (a dashboard watching), a store whose listing
        is costly may hand out what it read whole at most ``WATCH_SECONDS``
        ago plus every record appended since; guards and verify read whole.
        """
        ...

    def read_document(self, name: str) -> Document | None:
        """A mutable document (``checklists/qa/1.6.0.toml``), or None when there is none."""
        ...

    def write_document(self, name: str, data: bytes, expect: str | None = None) -> Document:
        """Write a document: over any version (None), only when absent (``ABSENT``), or only over ``expect``."""
        ...

    def delete_document(self, name: str) -> None:
        """Remove a document; a no-op when there is none."""
        ...

    def documents(self, prefix: str) -> list[str]:
        """The names of the documents under ``prefix``, sorted."""
        ...

    def acquire_lease(self, env: str, holder: str, host: str, pid: int) -> Lease | None:
        """Take the environment's action mutex; None while another live holder has it."""
        ...

    def renew_lease(self, lease: Lease) -> Lease:
        """Push a held lease's expiry on; RecordConflict when it was lost."""
        ...

    def release_lease(self, lease: Lease) -> None:
        """Give the mutex back."""
        ...

    def lease(self, env: str) -> Lease | None:
        """The live lease on the environment's mutex, if anyone holds it."""
        ...

    def probe(self) -> str:
        """Check the store answers; one line saying what it is (for status and doctor)."""
        ...


@dataclass
class EnvPorts:
    """The ports of one environment, built by ``relui.backends``."""

    cluster: Cluster
    releases: Releases
    smoke: SmokeRunner
    metrics: Metrics | None = None
    registry: Registry | None = None
    backups: Backups | None = None
    credentials: Credentials | None = None
    records: Records | None = None  # None: the local state dir (services find it through the state dir)


@dataclass
class Ports:
    """Every port relui needs: per environment, plus the shared clock and notifier."""

    clock: Clock
    notifier: Notifier
    envs: MutableMapping[str, EnvPorts] = field(default_factory=dict)
