"""Forged journal lines: objects of another shape, environments nobody configured, unchained records late in the file.

Each was listed as a record (``'prod\\xa0'`` looked like PROD) while
``relui journal verify`` said every chain was intact and exited 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relui.cli import main
from relui.clock import ManualClock
from relui.ports import StoredRecord
from relui.services.journal import Journal, last_action_in
from relui.services.journal_chain import encode, verify_chain
from tests.conftest import SHIPPED_CONFIG

FORGED_ROLLBACK = {
    "action": "rollback",
    "env": "prod\u00a0",
    "kind": "outcome",
    "operator": "owner",
    "status": "ok",
    "version": "1.4.2",
    "message": "rolled back prod by owner",
    "at": "2026-12-01T23:37:30+00:00",
    "id": "aaaaaaaaaaaa",
}
WELL_FORMED = {k: v for k, v in FORGED_ROLLBACK.items() if k != "env"}

# Each a JSON object relui never writes, and what the journal says is wrong with it.
MALFORMED = {
    "nbsp-env": (FORGED_ROLLBACK, "its env 'prod\\xa0' is no environment name"),
    "empty": ({}, "it has no id"),
    "wrong-types": ({"kind": 5, "env": ["a"], "at": 3}, "it has no id"),
    "env-list": ({**WELL_FORMED, "env": ["prod"]}, "its env ['prod'] is no string"),
    "kind-int": ({**WELL_FORMED, "env": "prod", "kind": 5}, "its kind 5 is no string"),
    "kind-unknown": ({**WELL_FORMED, "env": "prod", "kind": "rumour"}, "its kind 'rumour' is none of"),
    "at-no-time": ({**WELL_FORMED, "env": "prod", "at": "yesterday"}, "its at 'yesterday' is no ISO time"),
    "status-missing": ({k: v for k, v in {**WELL_FORMED, "env": "prod"}.items() if k != "status"}, "no status"),
    "seq-text": ({**WELL_FORMED, "env": "prod", "seq": "9", "prev": ""}, "its seq '9'"),
    "seq-bool": ({**WELL_FORMED, "env": "prod", "seq": True, "prev": ""}, "its seq True"),
    "prev-missing": ({**WELL_FORMED, "env": "prod", "seq": 3}, "prev None"),
}


def append(journal: Journal, *records: dict[str, Any]) -> None:
    with journal.path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def actions(journal: Journal) -> None:
    """A deploy on QA and one on PROD, each an intent and an outcome."""
    for env in ("qa", "prod"):
        journal.outcome(journal.intent("ops", env, "deploy", version="1.5.1"), "ok", message="ready")


def cli(state_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(SHIPPED_CONFIG), "--state-dir", str(state_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", list(MALFORMED))
def test_an_object_of_another_shape_is_unreadable_for_every_reader(
    state_dir: Path, clock: ManualClock, name: str
) -> None:
    raw, why = MALFORMED[name]
    journal = Journal(state_dir, clock)
    actions(journal)
    append(journal, raw)
    read = journal.read()
    assert len(read.entries) == 4, [e.to_json() for e in read.entries]
    ((line, _),) = journal.unreadable()
    assert line == 5
    assert why in read.unreadable[0].why
    assert why in read.unreadable[0].warning(journal.path)
    prod = journal.entries("prod")
    assert [e.action for e in prod] == ["deploy", "deploy"]
    newest = last_action_in(prod)
    assert newest is not None and newest.action == "deploy" and newest.operator == "ops"
    assert journal.interrupted() == []


def test_an_unconfigured_environment_cannot_pass_for_a_configured_one(
    state_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = Journal(state_dir, clock)
    actions(journal)
    append(journal, FORGED_ROLLBACK, {}, {"kind": 5, "env": ["a"], "at": 3}, {**WELL_FORMED, "env": "pr0d"})
    code, out, err = cli(state_dir, capsys, "journal")
    assert code == 0, err
    rows = out.splitlines()
    assert len(rows) == 5, out
    assert all(row.split()[1] in ("qa", "prod") for row in rows[:4]), out
    assert rows[4].split()[1] == "'pr0d'", out
    assert "rollback" not in "".join(rows[:4]) and "['a']" not in out and " 5 " not in out
    for line in (5, 6, 7):
        assert f"line {line} is unreadable" in err, err


def test_verify_fails_on_records_no_chain_checks(
    state_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = Journal(state_dir, clock)
    actions(journal)
    forged_chain = {**WELL_FORMED, "env": "pr0d", "seq": 1, "prev": ""}  # a whole chain of its own
    append(journal, FORGED_ROLLBACK, {}, forged_chain)
    code, out, err = cli(state_dir, capsys, "journal", "verify")
    assert code == 1, out + err
    assert "prod: chain intact (2 records)" in out
    assert "line 5 names no configured environment 'prod\\xa0'" in out, out
    assert "line 6 names no environment" in out, out
    assert "line 7 names no configured environment 'pr0d'" in out, out
    assert "line 5 is unreadable" in err and "line 6 is unreadable" in err, err

    code, out, _ = cli(state_dir, capsys, "journal", "verify", "prod")
    assert code == 1 and "'prod\\xa0'" in out, out

    code, out, _ = cli(state_dir, capsys, "journal", "verify", "--json")
    document = json.loads(out)
    assert code == 1 and document["intact"] is False
    assert all(chain["intact"] for chain in document["environments"])
    assert len(document["unchecked"]) == 3 and "line 5" in document["unchecked"][0]


def test_a_journal_with_every_record_in_a_chain_still_verifies(
    state_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A torn tail (a crash) is a warning, as before: it is no record, and the chain around it holds."""
    journal = Journal(state_dir, clock)
    actions(journal)
    with journal.path.open("ab") as handle:
        handle.write(b'{"id": "dead", "kind": "intent", "env": "qa", "act\n')
    journal.note("ops", "qa", "tick", item="tests-passing")
    code, out, err = cli(state_dir, capsys, "journal", "verify", "--json")
    assert code == 0, out
    assert json.loads(out)["unchecked"] == [] and "line 5 is unreadable" in err


@pytest.mark.parametrize("name", ["kind-unknown", "at-no-time", "seq-text", "prev-missing"])
def test_an_object_of_another_shape_naming_an_environment_breaks_its_chain(
    state_dir: Path, clock: ManualClock, name: str
) -> None:
    journal = Journal(state_dir, clock)
    actions(journal)
    append(journal, MALFORMED[name][0])
    broken = journal.verify("prod").broken or ""
    assert "line 5 is no journal record" in broken and MALFORMED[name][1] in broken, broken
    assert journal.verify("qa").intact


def test_an_unchained_record_after_the_chain_was_not_written_before_it(
    state_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = Journal(state_dir, clock)
    journal.outcome(journal.intent("ops", "qa", "deploy", version="1.5.1"), "ok")
    append(journal, {**WELL_FORMED, "env": "prod"})  # PROD has no chained record yet
    report = journal.verify("prod")
    assert not report.intact and report.before_chain == 0
    assert "line 3 has no seq/prev but comes after a chained record" in (report.broken or "")
    code, out, _ = cli(state_dir, capsys, "journal", "verify", "prod")
    assert code == 1 and "prod: chain broken" in out and "chain intact" not in out, out


def test_records_written_before_the_chain_still_lead_it(
    state_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A journal from before chaining: its unchained records come first, for environments used since or not."""
    old = {**WELL_FORMED, "at": "2026-01-01T00:00:00+00:00"}
    append(Journal(state_dir, clock), {**old, "env": "prod"}, {**old, "env": "qa"}, {**old, "env": "prod"})
    journal = Journal(state_dir, clock)
    journal.note("ops", "qa", "tick")
    assert journal.verify("qa").intact and journal.verify("qa").before_chain == 1
    assert journal.verify("prod").intact and journal.verify("prod").before_chain == 2
    code, out, _ = cli(state_dir, capsys, "journal", "verify")
    assert code == 0 and "prod: chain intact (2 records, 2 written before the chain)" in out, out


def stored(*records: dict[str, Any]) -> list[StoredRecord]:
    return [StoredRecord(f"s3://b/journal/prod/{n:012d}.json", encode(r), n) for n, r in enumerate(records, 1)]


def test_a_shared_store_holds_chained_records_of_its_environment_only() -> None:
    """S3 keeps one prefix per environment and relui only ever chains there: anything else in it is a forgery."""
    first = {**WELL_FORMED, "env": "prod", "seq": 1, "prev": ""}
    assert verify_chain("prod", stored(first), shared_file=False).intact
    unchained = verify_chain("prod", stored({**WELL_FORMED, "env": "prod"}), shared_file=False)
    assert "has no seq/prev, and this store holds chained records only" in (unchained.broken or "")
    other = verify_chain("prod", stored(first, {**WELL_FORMED, "env": "qa", "seq": 1, "prev": ""}), shared_file=False)
    assert "names environment 'qa', not prod" in (other.broken or "")
