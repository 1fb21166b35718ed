"""The journal's records as stored, and the hash chain that links them.

Each record carries ``seq`` (its number in its environment's journal) and
``prev`` (the SHA-256 of the environment's previous record, canonical JSON),
so ``verify_chain`` finds the first record that was edited, removed or reordered.

A line is a record only in the shape relui writes (``malformed`` says what
else it is): every field of ``Entry`` a string, ``kind`` intent, outcome or
note, ``env`` an environment's name as the config allows it, ``at`` an ISO
time, and ``seq`` and ``prev`` both there (a record number and a hash) or
both absent (written before the chain). Any other line is ``unreadable``
wherever the journal is read, so a hand-written object can never be listed
as a record nor counted by a reader. Records without ``seq`` are "written
before the chain" only in the state dir's journal and only ahead of its
first chained record: relui has chained every record since, and a shared
store holds chained records only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relui.ports import StoredRecord
from relui.services.text import one_line

EXCERPT = 60
KINDS = ("intent", "outcome", "note")
# The fields every record has, each a string (``Entry``'s; relui has written all of them from the start).
FIELDS = ("id", "kind", "at", "operator", "env", "action", "status")
# An environment's name as the config accepts it (config_reader's rule): relui never journaled another.
ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


def encode(record: dict[str, Any]) -> bytes:
    """A record as stored: canonical JSON (sorted keys, no spaces), so its hash is the same on every machine."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def digest(record: dict[str, Any]) -> str:
    """The SHA-256 of a record's canonical JSON."""
    import hashlib  # here, not at the top: loading OpenSSL is 3.5 ms of start-up, and a dashboard's reading needs none

    return hashlib.sha256(encode(record)).hexdigest()


def malformed(raw: dict[str, Any]) -> str | None:
    """What makes a JSON object no journal record relui wrote, or None when it is one (see the module doc)."""
    for key in FIELDS:
        if not isinstance(raw.get(key), str):
            return f"it has no {key}" if key not in raw else f"its {key} {shown(raw[key])} is no string"
    if raw["kind"] not in KINDS:
        return f"its kind {shown(raw['kind'])} is none of {', '.join(KINDS)}"
    if not ENV_NAME.fullmatch(raw["env"]):
        return f"its env {shown(raw['env'])} is no environment name"
    try:
        datetime.fromisoformat(raw["at"])
    except ValueError:
        return f"its at {shown(raw['at'])} is no ISO time"
    if "seq" not in raw and "prev" not in raw:
        return None  # written before the chain
    seq, prev = raw.get("seq"), raw.get("prev")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or not isinstance(prev, str):
        return f"its seq {shown(seq)} and prev {shown(prev)} are no record number and hash"
    return None


def shown(value: Any) -> str:
    """A value of a line that is no record, quoted and escaped as one short printable line."""
    return one_line(repr(value), limit=EXCERPT)


def parse(record: StoredRecord) -> dict[str, Any] | None:
    """A stored record's JSON object, or None for a line that is not one (torn or edited)."""
    try:
        raw = json.loads(record.data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return raw if isinstance(raw, dict) else None


def next_link(tail: StoredRecord | None) -> tuple[int, str]:
    """``seq`` and ``prev`` of the record after ``tail`` (records written before the chain start it at 1)."""
    raw = parse(tail) if tail is not None else None
    if raw is None:
        return 1, ""
    seq = raw.get("seq")
    return (seq + 1 if isinstance(seq, int) and seq > 0 else 1), digest(raw)


@dataclass(frozen=True)
class ChainReport:
    """What walking one environment's chain found."""

    env: str
    records: int
    broken: str | None = None  # the first problem, naming the record
    before_chain: int = 0  # records written before relui chained them

    @property
    def intact(self) -> bool:
        """True when no record was edited, removed or reordered."""
        return self.broken is None


def verify_chain(env: str, stored: Sequence[StoredRecord], shared_file: bool = True) -> ChainReport:
    """Check each record's ``seq`` follows and its ``prev`` is the hash of the record before it.

    ``shared_file``: ``stored`` is the state dir's journal, every local
    environment's records in one file, where records written before the
    chain may lead; otherwise the store holds ``env``'s chained records only,
    and any other object in it is a problem.
    """
    expected, prev, previous_where, chained, legacy, count = 1, "", "", False, 0, 0
    first = next((n for n, r in enumerate(stored) if is_chained(r)), len(stored)) if shared_file else 0
    for index, record in enumerate(stored):
        raw = parse(record)
        if raw is None:
            continue  # another environment's or an unreadable line; the next record's prev tells
        if raw.get("env") != env:
            if shared_file:
                continue
            problem = f"record at {record.where} names environment {shown(raw.get('env'))}, not {env}: "
            return ChainReport(env, count + 1, problem + "edited or written outside relui", legacy)
        count += 1
        why = malformed(raw)
        if why:
            problem = f"record at {record.where} is no journal record ({why}): edited or written outside relui"
            return ChainReport(env, count, problem, legacy)
        seq = raw.get("seq")
        if not isinstance(seq, int):
            if chained:
                problem = f"record at {record.where} has no seq/prev: edited or written outside relui"
                return ChainReport(env, count, problem, legacy)
            if not shared_file:
                problem = f"record at {record.where} has no seq/prev, and this store holds chained records only"
                return ChainReport(env, count, problem + ": edited or written outside relui", legacy)
            if index > first:
                problem = (
                    f"record at {record.where} has no seq/prev but comes after a chained record "
                    f"(at {stored[first].where}), so it was not written before the chain: "
                    "edited or written outside relui"
                )
                return ChainReport(env, count, problem, legacy)
            legacy, prev, previous_where = legacy + 1, digest(raw), record.where
            continue
        if seq != expected:
            if seq > expected and expected in later_seqs(stored, env, record):
                problem = f"record at {record.where} is out of order: seq {seq} where seq {expected} belongs"
            elif seq > expected:
                missing = f"seq {expected}" if seq == expected + 1 else f"seq {expected}-{seq - 1}"
                problem = f"record {missing} of {env} was removed (the next is seq {seq} at {record.where})"
            else:
                problem = f"record at {record.where} is out of order: seq {seq} where seq {expected} belongs"
            return ChainReport(env, count, problem, legacy)
        first_kept = not chained and seq == 1 and not previous_where
        if raw.get("prev") != prev and not first_kept:
            if previous_where:
                problem = (
                    f"record seq {seq - 1} at {previous_where} was edited "
                    f"(seq {seq} at {record.where} holds another hash of it)"
                )
            else:
                problem = f"a record before seq {seq} at {record.where} was removed"
            return ChainReport(env, count, problem, legacy)
        chained, expected, prev, previous_where = True, seq + 1, digest(raw), record.where
    return ChainReport(env, count, None, legacy)


def is_chained(record: StoredRecord) -> bool:
    """True for a record (of any environment) that carries its place in a chain."""
    raw = parse(record)
    return raw is not None and malformed(raw) is None and "seq" in raw


def unchecked(stored: Sequence[StoredRecord], configured: Collection[str]) -> list[str]:
    """One line per name that JSON objects of the state dir's journal give as ``env`` and no configuration has.

    Each names its first record and how many there are; no environment's
    chain holds them, whatever shape they have.
    """
    found: dict[str, list[StoredRecord]] = {}
    for record in stored:
        raw = parse(record)
        if raw is not None and not (isinstance(raw.get("env"), str) and raw["env"] in configured):
            found.setdefault(shown(raw.get("env")), []).append(record)
    lines = []
    for name, records in found.items():
        more = f", and {len(records) - 1} more naming it" if len(records) > 1 else ""
        what = f"names no configured environment {name}" if name != "None" else "names no environment"
        lines.append(f"record at {records[0].where} {what}: no chain checks it{more}")
    return lines


def later_seqs(stored: Sequence[StoredRecord], env: str, after: StoredRecord) -> set[int]:
    """The sequence numbers of ``env``'s records stored after ``after`` (to tell a reorder from a removal)."""
    found, seen = set(), False
    for record in stored:
        if seen:
            raw = parse(record)
            if raw is not None and raw.get("env") == env and isinstance(raw.get("seq"), int):
                found.add(raw["seq"])
        seen = seen or record is after
    return found
