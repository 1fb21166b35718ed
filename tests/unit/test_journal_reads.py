"""A journal read again reads what the file holds now, however much of it was read before.

The dashboard reads every environment's journal each refresh, and a year's
journal is tens of thousands of records: what was read is kept
(``records_local.SeenLines``, and ``journal``'s records by their bytes and
its last read of each store). Here the file is changed in every way a crash,
a second machine or a person with an editor changes it, between reads, and
each read is compared with a read that never saw the file before; the
records guard must catch an edit made after any number of reads.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relui.adapters.records_local import LocalRecords
from relui.clock import ManualClock
from relui.services import journal as journal_module
from relui.services.interrupted import Interrupted, interrupted_actions
from relui.services.journal import Entry, Journal, JournalRead, chain_problem
from relui.services.journal_chain import ChainReport, verify_chain
from tests.conftest import IN_WINDOW, SHIPPED_CONFIG, make_context

ENVS = ("qa", "prod")


@contextmanager
def nothing_kept() -> Iterator[None]:
    """A read as by a process that never read this journal: none of what earlier reads kept."""
    saved = journal_module._READ, journal_module._LAST
    journal_module._READ, journal_module._LAST = {}, {}
    try:
        yield
    finally:
        journal_module._READ, journal_module._LAST = saved


def cold(state_dir: Path, clock: ManualClock, env: str | None) -> tuple[JournalRead, list[ChainReport]]:
    with nothing_kept():
        store = LocalRecords(state_dir)
        found, broken = Journal(state_dir, clock)._read_store(store, env)
        chains = [verify_chain(e, store.records(e), shared_file=True) for e in ENVS]
    return JournalRead(found, broken), chains


def warm(journal: Journal, env: str | None) -> tuple[JournalRead, list[ChainReport]]:
    return journal.read(env), [journal.verify(e) for e in ENVS]


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1] if path.exists() else []


def rewrite(path: Path, body: list[bytes], tail: bytes = b"") -> None:
    """Another file in its place, as an editor saves one (a new inode)."""
    fresh = path.with_suffix(".new")
    fresh.write_bytes(b"".join(line + b"\n" for line in body) + tail)
    os.replace(fresh, path)


def in_place(path: Path, data: bytes) -> None:
    """The same file written over from the start (the inode kept), as ``dd conv=notrunc`` does."""
    with path.open("r+b") as handle:
        handle.write(data)
        handle.truncate(len(data))


class HandClock:
    """The monotonic and wall clocks the store reads, moved by hand: the file last written 10 s before."""

    def __init__(self, written_ns: int) -> None:
        self.written_ns = written_ns
        self.at = 1000.0

    def monotonic(self) -> float:
        return self.at

    def time_ns(self) -> int:
        return self.written_ns + int((self.at - 990.0) * 1e9)


def watched_store(
    state_dir: Path, clock: ManualClock, monkeypatch
) -> tuple[Journal, HandClock, list[int], LocalRecords]:  # type: ignore[no-untyped-def]
    """A journal of five records last written 10 s before, a store on it, its clock, and its whole reads."""
    from relui.adapters import records_local

    journal = Journal(state_dir, clock)
    for n in range(5):
        journal.note("ops", "qa", "tick", item=f"item-{n}")
    hand = HandClock(os.stat(journal.path).st_ctime_ns)
    whole_reads: list[int] = []
    real_read = records_local._read_fd
    monkeypatch.setattr(records_local, "_read_fd", lambda fd: whole_reads.append(fd) or real_read(fd))
    monkeypatch.setattr(records_local, "time", hand)
    return journal, hand, whole_reads, LocalRecords(state_dir)


def change(journal: Journal, op: tuple[str, int, int]) -> None:
    """One change to the journal file: an append by relui, a crash's torn tail, an edit, a cut."""
    what, a, b = op
    path = journal.path
    env = ENVS[a % len(ENVS)]
    if what == "intent":
        journal.intent("ops", env, "deploy", version=f"1.{b}.0")
    elif what == "outcome":
        started = [e for e in journal.entries(env) if e.kind == "intent"]
        journal.outcome(started[b % len(started)] if started else journal.intent("ops", env, "smoke"), "ok")
    elif what == "note":
        journal.note("ops", env, "tick", item=f"item-{b}")
    elif what == "torn":
        with path.open("ab") as handle:
            handle.write(b'{"id": "dead", "kind": "intent", "env": "qa"'[: 5 + b % 40])
    elif what == "newline":
        with path.open("ab") as handle:
            handle.write(b"\n")
    elif what == "garbage":
        with path.open("ab") as handle:
            handle.write(b"not json at all\n")
    body = lines(path)
    if not body:
        return
    raw = path.read_bytes()
    tail = raw[raw.rfind(b"\n") + 1 :]
    i, j = a % len(body), b % len(body)
    if what == "edit" and body[i]:
        # One byte changed, the length kept: a digit of a record's time or version, as a forger would.
        line = bytearray(body[i])
        digits = [k for k, c in enumerate(line) if chr(c).isdigit()]
        k = digits[b % len(digits)] if digits else 0
        line[k] = ord("7") if line[k] != ord("7") else ord("3")
        edited = list(body)
        edited[i] = bytes(line)
        in_place(path, b"".join(x + b"\n" for x in edited) + tail)
    elif what == "swap":
        body[i], body[j] = body[j], body[i]
        rewrite(path, body, tail)
    elif what == "cut":
        in_place(path, b"".join(x + b"\n" for x in body[:i]))
    elif what == "drop":
        rewrite(path, body[:i] + body[i + 1 :], tail)
    elif what == "delete":
        path.unlink()


# Appends (relui's, a crash's) twice as likely as the edits between them.
CHANGES = ("intent", "outcome", "note", "intent", "note", "torn", "newline", "garbage")
CHANGES += ("edit", "edit", "swap", "cut", "drop", "delete")
OPS = st.tuples(
    st.sampled_from(CHANGES),
    st.integers(0, 50),
    st.integers(0, 50),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=14))
def test_every_read_finds_what_a_first_read_of_the_file_finds(ops: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state_dir, clock = Path(tmp), ManualClock(IN_WINDOW)
        journal = Journal(state_dir, clock)
        for op in ops:
            change(journal, op)
            for env in (None, *ENVS):
                assert warm(journal, env) == cold(state_dir, clock, env), f"after {op}, reading {env or 'all'}"


def test_an_edit_after_many_reads_is_caught_by_the_records_guard(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    for n in range(40):
        journal.note("ops", "qa", "tick", item=f"item-{n}")
    for _ in range(3):  # the dashboard's refreshes: each read after the file was quiet
        assert journal.entries("qa")[20].detail["item"] == "item-20"
        assert chain_problem(state_dir, clock, "qa") is None
    body = journal.path.read_bytes()
    in_place(journal.path, body.replace(b'"item":"item-20"', b'"item":"item-99"'))

    assert journal.entries("qa")[20].detail["item"] == "item-99"
    problem = chain_problem(state_dir, clock, "qa")
    assert problem is not None and "does not verify" in problem and "line 22" in problem


def test_a_record_appended_by_another_machine_shows_at_the_next_read(state_dir: Path, clock: ManualClock) -> None:
    mine, theirs = Journal(state_dir, clock), Journal(state_dir, clock)
    mine.note("ops", "qa", "tick", item="first")
    assert [e.detail["item"] for e in mine.entries("qa")] == ["first"]
    with nothing_kept():  # the other machine's relui is another process
        LocalRecords(state_dir).records("qa")
        theirs.note("alice", "qa", "tick", item="second")
    assert [e.detail["item"] for e in mine.entries("qa")] == ["first", "second"]
    assert mine.verify("qa").intact


def reference_interrupted(entries: list[Entry]) -> list[str]:
    """The ids the full walk of every record finds (what ``interrupted_actions`` did before it read from the end)."""
    finished = {e.id for e in entries if e.kind == "outcome"}
    last_outcome: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.kind == "outcome":
            last_outcome[entry.env] = index
    return [
        e.id
        for index, e in enumerate(entries)
        if e.kind == "intent" and e.id not in finished and index >= last_outcome.get(e.env, -1)
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["intent", "outcome", "note"]), st.sampled_from(ENVS), st.integers(0, 9))))
def test_interrupted_actions_read_from_the_end_are_those_of_a_full_walk(
    state_dir: Path, clock: ManualClock, steps: list[tuple[str, str, int]]
) -> None:
    ctx = make_context(SHIPPED_CONFIG, state_dir, clock)
    entries: list[Entry] = []
    for n, (kind, env, pick) in enumerate(steps):
        started = [e for e in entries if e.kind == "intent" and e.env == env]
        if kind == "outcome" and started:
            intent = started[pick % len(started)]
            entries.append(Entry(intent.id, "outcome", f"2026-11-26T10:{n % 60:02d}:00+00:00", "ops", env, "deploy"))
        else:
            kind = "note" if kind == "outcome" else kind
            entries.append(Entry(f"id{n}", kind, f"2026-11-26T10:{n % 60:02d}:00+00:00", "ops", env, "deploy"))
    found: list[Interrupted] = interrupted_actions(ctx, None, entries)
    assert [i.id for i in found] == reference_interrupted(entries)
    for env in ENVS:
        mine = [e for e in entries if e.env == env]
        assert [i.id for i in interrupted_actions(ctx, env, mine)] == reference_interrupted(mine)


def test_reads_of_a_quiet_journal_share_one_whole_read_and_any_write_ends_that(
    state_dir: Path, clock: ManualClock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The three columns of a refresh read a year's journal once between them; what is written after shows at once."""
    import time

    from relui.adapters import records_local

    whole_reads: list[int] = []
    real_read = records_local._read_fd
    monkeypatch.setattr(records_local, "_read_fd", lambda fd: whole_reads.append(fd) or real_read(fd))
    monkeypatch.setattr(records_local.SeenLines, "QUIET_SECONDS", 0.05)
    journal = Journal(state_dir, clock)
    for n in range(5):
        journal.note("ops", "qa", "tick", item=f"item-{n}")
    store = LocalRecords(state_dir)
    whole_reads.clear()  # the appends read the file too
    store.records(None)
    assert len(whole_reads) == 1
    store.records(None)  # written moments before that read: read whole again
    assert len(whole_reads) == 2
    time.sleep(0.1)
    first = store.records("qa")
    assert [store.records(env) for env in ("dev", "prod")] == [first, first]
    assert len(whole_reads) == 3, "a quiet file read twice within the window is read once"

    in_place(journal.path, journal.path.read_bytes().replace(b'"item":"item-2"', b'"item":"item-7"'))
    assert b"item-7" in store.records("qa")[2].data
    assert len(whole_reads) == 4
    Journal(state_dir, clock).note("alice", "qa", "tick", item="theirs")  # another relui's append
    whole_reads.clear()
    assert b"theirs" in store.records("qa")[-1].data
    assert len(whole_reads) == 1


def test_the_columns_of_one_shipped_refresh_share_one_whole_read_and_the_next_refresh_reads_it_whole(
    state_dir: Path, clock: ManualClock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The columns' polls are spread over the refresh (the dashboard offsets each by refresh/n).

    With a 0.5 s window the three columns of the shipped config each read a
    year's journal whole, 0.67 s apart: three 6 MB reads every 2 s, the
    aged-journal idle CPU figure over its 1% budget. The window now spans
    one refresh's columns and ends before the next refresh.
    """
    from relui.adapters import records_local
    from relui.config import load_config

    config = load_config(SHIPPED_CONFIG)
    refresh = min(env.refresh_seconds for env in config.environments)
    offsets = [index * env.refresh_seconds / len(config.environments) for index, env in enumerate(config.environments)]

    _, hand, whole_reads, store = watched_store(state_dir, clock, monkeypatch)
    for cycle in range(2):
        for offset in offsets:
            hand.at = 1000.0 + cycle * refresh + offset + 0.05  # a worker starts a little after its timer
            first = store.records(None)
        assert len(whole_reads) == cycle + 1, "one whole read per refresh, shared by its columns"
    assert store.records(None) is first, "unchanged records are handed out as the same tuple"
    assert max(offsets) + 0.05 < records_local.SeenLines.REUSE_SECONDS < refresh


def test_a_watching_dashboard_reads_a_quiet_journal_once_a_minute_and_any_write_at_once(
    state_dir: Path, clock: ManualClock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """An idle TUI over a year's journal read it whole every refresh to find nothing new (6 MB each 2 s).

    Watching, the dashboard's reads are served from the last whole read of
    the unchanged file for a minute; another relui's append is read at the
    next refresh; and what a guard or verify reads (``whole``) is read again
    past the one-refresh window, whatever the dashboard was handed.
    """
    from relui.adapters import records_local

    journal, hand, whole_reads, store = watched_store(state_dir, clock, monkeypatch)
    first = store.records("qa", whole=False)
    for step in range(1, 29):  # 56 s of 2 s refreshes
        hand.at = 1000.0 + 2 * step
        assert store.records("qa", whole=False) is first
    assert len(whole_reads) == 1, "a quiet journal is read whole once while the dashboard watches"
    assert store.records("qa") is not None and len(whole_reads) == 2, "a guard's read is whole past the window"
    hand.at = 1000.0 + 2 * 29 + records_local.WATCH_SECONDS
    store.records("qa", whole=False)
    assert len(whole_reads) == 3, "a minute on, the dashboard reads it whole again"

    Journal(state_dir, clock).note("alice", "qa", "tick", item="theirs")  # another relui's append
    whole_reads.clear()  # the append reads the file too
    hand.at += 2
    assert b"theirs" in store.records("qa", whole=False)[-1].data
    assert len(whole_reads) == 1

    path = journal.path
    in_place(path, path.read_bytes().replace(b'"item":"item-2"', b'"item":"item-7"'))
    hand.at += 2
    assert b"item-7" in store.records("qa", whole=False)[2].data, "an edit in place is read at once"
