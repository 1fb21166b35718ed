"""The local records store: the same hash chain in journal.jsonl, caught edits, conditional documents."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from relui.adapters.records_local import LocalRecords
from relui.clock import ManualClock
from relui.ports import ABSENT, RecordConflict
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.record_store import merge
from relui.statedir import exclusive
from tests.conftest import SHIPPED_CONFIG
from tests.unit.test_cli import Relui


def fill(journal: Journal) -> None:
    for n in range(3):
        journal.note("ops", "qa", "tick", item=f"item-{n}")
        journal.note("ops", "prod", "tick", item=f"item-{n}")


def test_every_record_carries_seq_and_the_hash_of_the_one_before(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    fill(journal)
    qa = [e for e in journal.entries("qa")]
    assert [e.seq for e in qa] == [1, 2, 3] and qa[0].prev == "" and all(len(e.prev) == 64 for e in qa[1:])
    assert journal.verify("qa").intact and journal.verify("prod").intact
    done = Relui(SHIPPED_CONFIG, state_dir)("journal", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "qa: chain intact (3 records)" in done.stdout and "prod: chain intact (3 records)" in done.stdout


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    lines = path.read_text().splitlines()
    path.write_text("\n".join(change(lines)) + "\n")


def test_an_edited_line_is_named_and_blocks_the_cutover(ctx: Context) -> None:
    journal = Journal(ctx.state_dir, ctx.clock)
    fill(journal)

    def edit(lines: list[str]) -> list[str]:
        raw = json.loads(lines[2])  # qa's second record
        raw["operator"] = "mallory"
        lines[2] = json.dumps(raw)
        return lines

    _rewrite(journal.path, edit)
    report = journal.verify("qa")
    assert not report.intact and f"{journal.path} line 3 was edited" in (report.broken or "")
    done = Relui(SHIPPED_CONFIG, ctx.state_dir)("journal", "verify", "qa")
    assert done.returncode == 1 and "line 3 was edited" in done.stdout, done.stdout
    assert Journal(ctx.state_dir, ctx.clock).verify("prod").intact

    from relui.services.release import ReleaseService

    result = ReleaseService(ctx).cutover("qa", force=True, reason="anyway")
    records = next(g for g in result.guards if g.name == "records")
    assert result.status == "blocked" and "does not verify" in records.reason


@pytest.mark.parametrize("where", ["middle", "first"])
def test_a_removed_or_reordered_line_is_caught(state_dir: Path, clock: ManualClock, where: str) -> None:
    journal = Journal(state_dir, clock)
    fill(journal)
    if where == "middle":
        _rewrite(journal.path, lambda lines: lines[:2] + lines[3:])
        assert "record seq 2 of qa was removed" in (journal.verify("qa").broken or "")
    else:
        _rewrite(journal.path, lambda lines: [lines[2], lines[1], lines[0], *lines[3:]])
        assert "out of order" in (journal.verify("qa").broken or "")


def test_records_written_before_the_chain_start_it(state_dir: Path, clock: ManualClock) -> None:
    legacy = {"id": "old", "kind": "note", "at": "2026-01-01T00:00:00+00:00", "operator": "ops", "env": "qa"}
    (state_dir / "journal.jsonl").write_text(json.dumps({**legacy, "action": "tick", "status": "ok"}) + "\n")
    journal = Journal(state_dir, clock)
    journal.note("ops", "qa", "tick")
    report = journal.verify("qa")
    assert report.intact and report.records == 2 and report.before_chain == 1
    _rewrite(journal.path, lambda lines: lines[1:])
    assert "a record before seq 1" not in (journal.verify("qa").broken or "x")  # the first kept record starts it


def test_conditional_documents_refuse_a_lost_race(state_dir: Path) -> None:
    store = LocalRecords(state_dir)
    first = store.write_document("checklists/qa/1.6.0.toml", b"a = 1\n", ABSENT)
    with pytest.raises(RecordConflict):
        store.write_document("checklists/qa/1.6.0.toml", b"a = 2\n", ABSENT)
    second = store.write_document("checklists/qa/1.6.0.toml", b"a = 2\n", first.version)
    with pytest.raises(RecordConflict):
        store.write_document("checklists/qa/1.6.0.toml", b"a = 3\n", first.version)
    assert store.read_document("checklists/qa/1.6.0.toml") == second


def test_a_change_replayed_after_a_lost_race_keeps_both_writers() -> None:
    before = {"items": {"a": {"done": True}}, "signoffs": [{"role": "qa"}]}
    mine = {"items": {"a": {"done": True}, "b": {"done": True}}, "signoffs": [{"role": "qa"}, {"role": "po"}]}
    theirs = {"items": {"a": {"done": True}, "c": {"done": True}}, "signoffs": [{"role": "qa"}, {"role": "sec"}]}
    merged = merge(before, mine, theirs)
    assert set(merged["items"]) == {"a", "b", "c"}
    assert merged["signoffs"] == [{"role": "qa"}, {"role": "sec"}, {"role": "po"}]


def test_ticks_keep_working_in_the_state_dir(ctx: Context) -> None:
    Checklists(ctx).tick("qa", "tests-passing", note="local")
    assert list((ctx.state_dir / "checklists" / "qa").glob("*.toml"))
    assert Journal(ctx.state_dir, ctx.clock).verify("qa").intact


def test_changes_that_both_add_a_table_keep_both_writers() -> None:
    """The first tick (or sign-off) of a fresh checklist, made at once by two people: neither is lost."""
    assert merge({}, {"items": {"b": 1}}, {"items": {"a": 1}}) == {"items": {"a": 1, "b": 1}}
    assert merge(
        {"smoke": {}}, {"smoke": {}, "signoffs": [{"role": "qa"}]}, {"smoke": {}, "signoffs": [{"role": "po"}]}
    ) == {
        "smoke": {},
        "signoffs": [{"role": "po"}, {"role": "qa"}],
    }


def test_eight_people_ticking_a_fresh_checklist_at_once_lose_no_tick(ctx: Context) -> None:
    """Eight threads tick eight items of QA's checklist together, each through the store's conditional write."""
    items = [item.id for item in ctx.config.checklist if not item.auto]
    start = threading.Barrier(len(items))

    def tick(item: str) -> None:
        start.wait()
        Checklists(ctx).tick("qa", item)

    for _ in range(5):
        for path in (ctx.state_dir / "checklists" / "qa").glob("*.toml"):
            path.unlink()
        threads = [threading.Thread(target=tick, args=(item,)) for item in items]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        view = Checklists(ctx).view("qa")
        assert {s.item.id for s in view.items if s.done} >= set(items)


def test_a_reader_probing_the_action_mutex_does_not_make_an_action_busy(tmp_path: Path) -> None:
    """status and the dashboard ask "does an action run?" by taking the mutex a moment: one starting then was busy."""
    store = LocalRecords(tmp_path)
    probing = threading.Event()

    def probe() -> None:
        with exclusive(tmp_path / "actions" / "qa", blocking=False) as free:
            assert free
            probing.set()
            time.sleep(0.05)

    (tmp_path / "actions").mkdir()
    reader = threading.Thread(target=probe)
    reader.start()
    probing.wait(5)
    lease = store.acquire_lease("qa", "ops", "bastion", os.getpid())
    reader.join()
    assert lease is not None, "refused as busy while only a reader looked"
    assert store.lease("qa") is not None
    store.release_lease(lease)
    assert store.lease("qa") is None
