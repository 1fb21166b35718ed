"""The audit journal: every intent, outcome and note of an environment, hash-chained.

Every action writes an ``intent`` record before it touches anything and an
``outcome`` record after (ok, failed, forced, interrupted ...). An intent with
no outcome means relui died mid-action; ``interrupted`` finds those.

Records go to the environment's records store (``record_store``): the state
dir's ``journal.jsonl`` (one complete line per record, flock and fsync; a torn
line stays a line of its own and is reported as ``unreadable``), or one
create-only object per record on S3. A record that cannot be written raises
``JournalError`` and nothing is acted on.

Each record carries ``seq`` and ``prev``, which link it to the one before it;
``relui.services.journal_chain`` holds the stored shape of a record and walks
that chain.
"""

from __future__ import annotations

import heapq
import json
import threading
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relui.ports import Clock, PortError, Records, RecordsError, StoredRecord
from relui.services import record_store
from relui.services.journal_chain import (
    EXCERPT,
    ChainReport,
    encode,
    malformed,
    next_link,
    parse,
    unchecked,
    verify_chain,
)
from relui.services.text import one_line

OUTCOMES = ("ok", "failed", "blocked", "forced", "interrupted", "aborted", "cancelled")
# Detail fields a person types; each becomes one printable line before it is written.
FREE_TEXT = ("reason", "note", "message", "evidence")


class JournalError(PortError):
    """The journal could not be written (or read) durably; the message is one line with the path and what to do."""


@dataclass(frozen=True)
class Unreadable:
    """A journal line that is not a record (torn by a crash, or edited by hand)."""

    line: int
    excerpt: str
    why: str = ""  # for a JSON object: what makes it no record ("its env 'prod\xa0' is no environment name")

    def warning(self, path: Path) -> str:
        """One line for stderr."""
        why = f" ({self.why})" if self.why else ""
        return f"journal {path} line {self.line} is unreadable (torn or edited){why}, skipped: {self.excerpt!r}"


@dataclass(frozen=True)
class JournalRead:
    """Everything one read of the journal found: the records, and the lines that are not records."""

    entries: list[Entry]
    unreadable: list[Unreadable]


@dataclass(frozen=True)
class Entry:
    """One journal record; one read back serves every reader (``_READ``), so nothing changes it or its detail."""

    id: str
    kind: str  # "intent", "outcome" or "note"
    at: str
    operator: str
    env: str
    action: str
    status: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # its number in the environment's chain (0: written before the chain)
    prev: str = ""  # SHA-256 of the environment's previous record

    def to_json(self) -> dict[str, Any]:
        """The record as written to the store."""
        chain = {"seq": self.seq, "prev": self.prev} if self.seq else {}
        return {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "operator": self.operator,
            "env": self.env,
            "action": self.action,
            "status": self.status,
            **self.detail,
            **chain,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        """A record read back from the file."""
        known = {"id", "kind", "at", "operator", "env", "action", "status", "seq", "prev"}
        seq = raw.get("seq")
        return cls(
            id=str(raw.get("id", "")),
            kind=str(raw.get("kind", "")),
            at=str(raw.get("at", "")),
            operator=str(raw.get("operator", "")),
            env=str(raw.get("env", "")),
            action=str(raw.get("action", "")),
            status=str(raw.get("status", "")),
            detail={k: v for k, v in raw.items() if k not in known},
            seq=seq if isinstance(seq, int) else 0,
            prev=str(raw.get("prev", "")),
        )


class Journal:
    """Append and read the journal of every environment of a state dir, each in its own store."""

    def __init__(self, state_dir: Path, clock: Clock, watching: bool = False) -> None:
        """``watching``: a dashboard's, which a shared store may answer from its last whole listing
        plus what was appended since (``Records.records``); ``verify`` and ``check`` list whole always.
        """
        self.state_dir = state_dir
        self.path = state_dir / "journal.jsonl"
        self.clock = clock
        self.watching = watching

    def _store(self, env: str) -> Records:
        return record_store.store_for(self.state_dir, env)

    def _append(self, entry: Entry) -> Entry:
        detail = {k: one_line(v) if k in FREE_TEXT and isinstance(v, str) else v for k, v in entry.detail.items()}
        entry = Entry(entry.id, entry.kind, entry.at, entry.operator, entry.env, entry.action, entry.status, detail)
        body = entry.to_json()
        consequence = "nothing was changed" if entry.kind == "intent" else f"this {entry.action} is not journaled"

        def chained(tail: StoredRecord | None) -> tuple[int, bytes]:
            seq, prev = next_link(tail)
            return seq, encode({**body, "seq": seq, "prev": prev})

        store = self._store(entry.env)
        with self._failing("write", consequence, store):
            stored = store.append(entry.env, chained)
        return Entry.from_json(json.loads(stored.data))

    @contextmanager
    def _failing(self, what: str, consequence: str, store: Records) -> Iterator[None]:
        """Turn a store's failure into one JournalError line naming where the journal is."""
        try:
            yield
        except PortError as exc:
            reason = exc.reason if isinstance(exc, RecordsError) else str(exc)
            if store is record_store.local_store(self.state_dir):
                fix, where = "free space or fix the state dir", str(self.path)
            else:
                fix, where = "check the records store answers and relui may write to it", f"at {store.where}"
                raise JournalError(
                    f"records unavailable: cannot {what} the journal {where}: {reason}; {fix}, {consequence}"
                ) from None
            raise JournalError(f"cannot {what} the journal {where}: {reason}; {fix}, {consequence}") from None

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
        With None, environments whose records live elsewhere are read from there and merged by time.
        """
        found, broken = self._read_store(record_store.local_store(self.state_dir), env)
        remote = record_store.remote_envs(self.state_dir)
        if env is not None:
            if env in remote:
                return JournalRead(self._read_store(remote[env], env)[0], broken)
            return JournalRead(found, broken)
        merged = [[e for e in found if e.env not in remote]]
        merged += [self._read_store(store, name)[0] for name, store in remote.items()]
        return JournalRead(list(heapq.merge(*merged, key=lambda e: e.at)), broken)

    def _read_store(self, store: Records, env: str | None) -> tuple[list[Entry], list[Unreadable]]:
        with self._failing("read", "nothing was read", store):
            stored = store.records(env, whole=not self.watching)
        with _parsing:
            key = (id(store), env)
            before, found, broken = _LAST.get(key, ((), [], []))
            if stored is before:  # the store's unchanged records, as it handed them out last time
                return list(found), list(broken)
            if stored[: len(before)] != before:
                before, found, broken = [], [], []
            found, broken = list(found), list(broken)
            for record in stored[len(before) :]:
                read = _read_record(record)
                if isinstance(read, str):
                    excerpt = one_line(record.data.decode("utf-8", errors="replace"), limit=EXCERPT)
                    broken.append(Unreadable(record.line, excerpt, read))
                elif env is None or read.env == env:
                    found.append(read)
            if len(_LAST) >= LAST_KEPT and key not in _LAST:
                _LAST.clear()
            _LAST[key] = (stored, found, broken)
            return list(found), list(broken)

    def verify(self, env: str) -> ChainReport:
        """Walk ``env``'s chain: the first record edited, removed or reordered, or how many records hold."""
        store = self._store(env)
        with self._failing("read", "nothing was verified", store):
            stored = store.records(env)
        return verify_chain(env, stored, shared_file=store is record_store.local_store(self.state_dir))

    def check(self, envs: list[str], configured: Collection[str]) -> JournalCheck:
        """``verify`` each of ``envs``, and find the state dir's records no chain checks.

        The state dir's journal holds every local environment's records in one
        file, so a record naming no ``configured`` environment (a forged
        ``"prod\\u00a0"``, an environment taken out of the config) is in no
        chain: each such name is one problem, never passed over in silence.
        Lines that are no JSON object at all (a tail torn by a crash) are
        ``unreadable``: a warning, as everywhere; a removed record shows in the
        chain around it.
        """
        chains = [self.verify(env) for env in envs]
        local = record_store.local_store(self.state_dir)
        with self._failing("read", "nothing was verified", local):
            stored = local.records(None)
        return JournalCheck(chains, unchecked(stored, configured), self._read_store(local, None)[1])

    def deployers(self, env: str, version: str | None) -> frozenset[str]:
        """Everyone who started a deploy of ``version`` to ``env``, by name and principal (``deployers_in``)."""
        return deployers_in(self.entries(env), version)

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


# Each line's reading, by its bytes: a line reads the same every time it is read, so a dashboard
# refreshing a year's journal parses only the records new since its last refresh. Entries are shared
# between readers: nothing changes an Entry or its detail once read. One reader parses at a time, so
# the columns' first readings, started together, parse a long journal once between them.
_READ: dict[bytes, Entry | str] = {}
READ_KEPT = 200_000
# What a store's records read to last time, per environment asked: a read that finds the same records
# again at its start (compared by value; the state dir's store hands back the very same objects, so
# the comparison is quick) reads only the records after them.
_LAST: dict[tuple[int, str | None], tuple[Sequence[StoredRecord], list[Entry], list[Unreadable]]] = {}
LAST_KEPT = 64
_parsing = threading.Lock()


def _read_record(record: StoredRecord) -> Entry | str:
    """The record's Entry, or why it is none ("" for a line that is no JSON object)."""
    known = _READ.get(record.data)
    if known is not None:
        return known
    raw = parse(record)
    why = "" if raw is None else malformed(raw)
    read: Entry | str = Entry.from_json(raw) if raw is not None and why is None else why or ""
    if len(_READ) >= READ_KEPT:
        _READ.clear()
    _READ[record.data] = read
    return read


# Outcomes of attempts that changed nothing: the guards refused, the operator said no, the input was bad.
CHANGED_NOTHING = frozenset({"blocked", "cancelled", "invalid"})


def last_action_in(entries: list[Entry]) -> Entry | None:
    """The newest action among ``entries`` that changed something or runs now: notes are not actions.

    An attempt that changed nothing (a blocked cutover looked at and closed) is
    passed over: it hid the rollback just before it, and the toast and the log
    already said it was refused.
    """
    ended: set[str] = set()
    for entry in reversed(entries):
        if entry.kind == "outcome":
            if entry.status not in CHANGED_NOTHING:
                return entry
            ended.add(entry.id)
        elif entry.kind == "intent" and entry.id not in ended:
            return entry  # still running, or cut off: nothing after it says how it ended
    return None


# -- the chain ------------------------------------------------------------------


def deployers_in(entries: list[Entry], version: str | None) -> frozenset[str]:
    """Everyone who started a deploy of ``version`` among ``entries``: their relui names and principals.

    Whatever the deploy ended in, unless it was decided against (blocked or
    cancelled: nothing was changed). One that failed its smoke, was
    interrupted, aborted or killed can leave the version on the idle color as
    the candidate, and whoever started it deployed it all the same. Counting
    only deploys that ended ok let its deployer sign it off after a second smoke.
    """
    if version is None:
        return frozenset()
    decided_against = {e.id for e in entries if e.kind == "outcome" and e.status in ("blocked", "cancelled")}
    started = [
        e
        for e in entries
        if e.kind == "intent" and e.action == "deploy" and e.detail.get("version") == version
        if e.id not in decided_against
    ]
    principals = {str(e.detail["principal"]) for e in started if e.detail.get("principal")}
    return frozenset({e.operator for e in started} | principals)


@dataclass(frozen=True)
class JournalCheck:
    """What ``Journal.check`` found: each chain, the records none of them checks, the unreadable lines."""

    chains: list[ChainReport]
    unchecked: list[str]  # one line each, naming the first such record
    unreadable: list[Unreadable]

    @property
    def intact(self) -> bool:
        """True when every chain holds and every record is in one."""
        return all(c.intact for c in self.chains) and not self.unchecked


def chain_problem(state_dir: Path, clock: Clock, env: str) -> str | None:
    """One line when ``env``'s journal chain does not verify (what the records guard blocks with)."""
    report = Journal(state_dir, clock).verify(env)
    if report.intact:
        return None
    return f"the journal of {env} does not verify: {report.broken}"
