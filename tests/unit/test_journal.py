"""The journal under real failures: a full disk, a file-size limit, a torn tail, a state dir that is no directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.services.context import Context
from relui.services.journal import OUTCOMES, Journal, JournalError, last_action_in
from relui.services.release import ReleaseService
from tests.conftest import SHIPPED_CONFIG
from tests.unit.test_cli import Relui

ROOT = Path(__file__).resolve().parents[2]


def fill(journal: Journal, count: int) -> None:
    for n in range(count):
        journal.note("ops", "qa", "tick", item=f"item-{n}")


def lines_of(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the journal must end with a whole line"
    return data.decode().splitlines()


def test_a_full_disk_raises_one_line_naming_the_path(state_dir: Path, clock: ManualClock) -> None:
    (state_dir / "journal.jsonl").symlink_to("/dev/full")
    journal = Journal(state_dir, clock)
    with pytest.raises(JournalError) as raised:
        journal.intent("ops", "qa", "cutover", version="1.6.0")
    message = str(raised.value)
    assert "\n" not in message
    assert str(state_dir / "journal.jsonl") in message and "No space left on device" in message
    assert "nothing was changed" in message
    with pytest.raises(JournalError, match="No space left on device"):
        journal.note("ops", "qa", "tick", item="tests-passing")


def test_a_tick_on_a_full_disk_is_one_line_exit_2_and_changes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.jsonl").symlink_to("/dev/full")
    done = Relui(SHIPPED_CONFIG, state)("checklist", "qa", "tick", "tests-passing")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cannot write the journal" in done.stderr and "No space left on device" in done.stderr
    assert not list((state / "checklists").glob("*/*.toml")), "the tick was saved without its journal record"


FSIZE_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from relui.clock import SystemClock
    from relui.services.journal import Journal, JournalError

    # Without this the kernel kills the process (SIGXFSZ) instead of failing the write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    state, extra = Path(sys.argv[1]), int(sys.argv[2])
    journal = Journal(state, SystemClock())
    size = journal.path.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + extra, hard))
    try:
        journal.intent("ops", "qa", "cutover", version="1.6.0", reason="x" * 300)
    except JournalError as exc:
        print("refused:", exc)
    else:
        print("written")
    print("size", journal.path.stat().st_size, size)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    journal.intent("ops", "qa", "deploy", version="1.6.1")
    """
)


@pytest.mark.parametrize("extra", [0, 40], ids=["at-the-limit-EFBIG", "short-write"])
def test_a_file_size_limit_fails_cleanly_and_the_next_record_is_whole(
    state_dir: Path, clock: ManualClock, extra: int
) -> None:
    journal = Journal(state_dir, clock)
    fill(journal, 3)
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(state_dir), str(extra)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith("refused: cannot write the journal "), out
    assert ("File too large" if extra == 0 else "short write (40 of ") in out[0]
    size_after, size_before = out[1].split()[1:]
    assert size_after == size_before, "a partial record was left in the journal"
    read = journal.read()
    assert read.unreadable == []
    assert [e.action for e in read.entries] == ["tick", "tick", "tick", "deploy"]
    assert len(lines_of(journal.path)) == 4


def test_a_torn_tail_stays_its_own_line_and_is_reported(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    fill(journal, 2)
    with journal.path.open("ab") as handle:
        handle.write(b'{"id": "dead", "kind": "intent", "env": "qa", "act')  # a crash mid-write
    journal.intent("ops", "qa", "deploy", version="1.6.0")
    assert [e.action for e in journal.entries()] == ["tick", "tick", "deploy"]
    assert journal.unreadable() == [(3, '{"id": "dead", "kind": "intent", "env": "qa", "act')]
    assert len(lines_of(journal.path)) == 4

    done = Relui(SHIPPED_CONFIG, state_dir)("journal")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "line 3 is unreadable" in done.stderr
    as_json = Relui(SHIPPED_CONFIG, state_dir)("journal", "--json")
    assert json.loads(as_json.stdout)["unreadable"] == [
        {"line": 3, "excerpt": '{"id": "dead", "kind": "intent", "env": "qa", "act'}
    ]

    # journal verify warns as every reader does (the chain around it holds), and a pipeline reading JSON sees it too.
    verify = Relui(SHIPPED_CONFIG, state_dir)("journal", "verify", "--json")
    assert verify.returncode == 0 and "line 3 is unreadable" in verify.stderr
    document = json.loads(verify.stdout)
    assert document["unreadable"] == [{"line": 3, "excerpt": '{"id": "dead", "kind": "intent", "env": "qa", "act'}]


def test_a_hand_edited_line_is_reported_not_skipped(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    fill(journal, 1)
    with journal.path.open("ab") as handle:
        handle.write(b"[1, 2]\n\xff\xfe not json\n")
    fill(journal, 1)
    assert [n for n, _ in journal.unreadable()] == [2, 3]
    assert len(journal.entries()) == 2


def test_a_state_dir_under_a_regular_file_is_one_line(tmp_path: Path, clock: ManualClock) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    journal = Journal(blocker / "state", clock)
    with pytest.raises(JournalError, match=r"cannot write the journal .*: Not a directory"):
        journal.note("ops", "qa", "lock")
    with pytest.raises(JournalError, match=r"cannot read the journal .*: Not a directory"):
        journal.entries()
    done = Relui(SHIPPED_CONFIG, blocker / "state")("journal")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "Not a directory" in done.stderr and "Traceback" not in done.stderr


def test_free_text_is_written_as_one_line(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    intent = journal.intent("ops", "qa", "rollback", reason='bad\n{"kind": "outcome"}\r\n\x1b[2J')
    journal.outcome(intent, "failed", message="line one\nline two")
    journal.note("ops", "qa", "readiness", evidence="https://x.example/1\nforged", note="a\tb")
    assert len(lines_of(journal.path)) == 3
    intent_read, outcome, note = journal.entries()
    assert intent_read.detail["reason"] == 'bad {"kind": "outcome"} [2J'
    assert outcome.detail["message"] == "line one line two"
    assert (note.detail["evidence"], note.detail["note"]) == ("https://x.example/1 forged", "a b")


def test_aborted_and_cancelled_are_outcomes(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    assert {"aborted", "cancelled"} <= set(OUTCOMES)
    for status in ("aborted", "cancelled"):
        journal.outcome(journal.intent("ops", "qa", "deploy"), status)
    assert journal.interrupted() == []
    with pytest.raises(ValueError, match="unknown outcome"):
        journal.outcome(journal.intent("ops", "qa", "deploy"), "gave-up")


APPEND_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from relui.clock import SystemClock
    from relui.services.journal import Journal

    journal = Journal(Path(sys.argv[1]), SystemClock())
    for n in range(100):
        journal.note("ops", "qa", "tick", item=sys.argv[2] + str(n), note="n" * 3000)
    """
)


def test_processes_appending_at_once_never_merge_records(state_dir: Path, clock: ManualClock) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", APPEND_SCRIPT, str(state_dir), f"w{w}-"], cwd=ROOT, env=os.environ)
        for w in range(3)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    read = Journal(state_dir, clock).read()
    assert read.unreadable == [] and len(read.entries) == 300
    assert len({e.detail["item"] for e in read.entries}) == 300


def test_a_lock_is_neither_taken_nor_given_back_unjournaled(ctx: Context) -> None:
    """With the journal on a full disk, relui lock leaves no lock behind, and relui unlock leaves the lock held."""
    journal = ctx.state_dir / "journal.jsonl"
    cluster = ctx.env_ports("qa").cluster
    journal.symlink_to("/dev/full")
    with pytest.raises(JournalError, match="No space left on device"):
        ReleaseService(ctx).take_lock("qa")
    assert cluster.lock() is None, "the lock was taken and its note never written"
    journal.unlink()
    held = ReleaseService(ctx).take_lock("qa")
    saved = journal.read_bytes()
    journal.unlink()
    journal.symlink_to("/dev/full")
    with pytest.raises(JournalError, match="No space left on device"):
        ReleaseService(ctx).release_lock("qa")
    still = cluster.lock()
    assert still is not None and still.holder == held.holder, "the lock was given back and its note never written"
    journal.unlink()
    journal.write_bytes(saved)


def test_smoke_results_that_cannot_be_saved_fail_the_deploy_in_one_line(ctx: Context) -> None:
    """A checklist file relui cannot save (here invalid TOML; a full disk the same) is a failed deploy, not a crash.

    It came out of the deploy as a traceback, journaled ``interrupted`` though nothing had died.
    """
    folder = ctx.state_dir / "checklists" / "qa"
    folder.mkdir(parents=True)
    (folder / "1.5.1.toml").write_text("items = [broken\n")
    result = ReleaseService(ctx).deploy("qa", "1.5.1")
    assert result.status == "failed"
    assert "smoke passed but its results were not saved" in result.message and "\n" not in result.message
    (outcome,) = [e for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.kind == "outcome"]
    assert outcome.status == "failed"


def test_an_action_whose_intent_cannot_be_written_says_nothing_was_changed_once(ctx: Context) -> None:
    (ctx.state_dir / "journal.jsonl").symlink_to("/dev/full")
    result = ReleaseService(ctx).deploy("qa", "1.5.1")
    assert result.status == "blocked" and result.message.count("nothing was changed") == 1, result.message


def test_a_line_still_being_appended_is_not_read_as_a_torn_record(state_dir: Path, clock: ManualClock) -> None:
    """Readers take no lock: one that caught another process mid-append said the journal was torn."""
    journal = Journal(state_dir, clock)
    fill(journal, 2)
    with journal.path.open("ab") as handle:
        handle.write(b'{"action":"rollback","env":"qa","kind":"intent","prev":"fa19')  # its newline not yet written
    assert journal.unreadable() == []
    assert journal.verify("qa").intact
    assert [e.action for e in journal.entries()] == ["tick", "tick"]


def test_the_last_action_is_the_last_that_changed_something(state_dir: Path, clock: ManualClock) -> None:
    """A blocked cutover looked at and closed hid the rollback before it: the column read 'last cutover blocked'."""
    journal = Journal(state_dir, clock)
    rollback = journal.intent("ops", "prod", "rollback")
    journal.outcome(rollback, "ok", message="rolled back")
    for status in ("blocked", "cancelled"):
        attempt = journal.intent("ops", "prod", "cutover")
        journal.outcome(attempt, status, message="nothing was changed")
    journal.note("ops", "prod", "tick", item="tests-passing")
    last = last_action_in(journal.entries("prod"))
    assert last is not None and (last.action, last.kind, last.status) == ("rollback", "outcome", "ok")

    running = journal.intent("ops", "prod", "deploy", version="1.6.1")
    last = last_action_in(journal.entries("prod"))
    assert last is not None and last.id == running.id and last.status == "started"
