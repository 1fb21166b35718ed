"""``relui calendar``: run as a pipeline would (a subprocess) and in-process on a fixed clock."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from relui.clock import ManualClock
from relui.commands import calendar as calendar_command
from relui.commands.base import build_context
from relui.config import load_config
from relui.services.calendar import ReleaseCalendar
from relui.services.journal import Journal

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config.toml"


def seed_journal(state_dir: Path) -> None:
    """Releases as the release service records them, plus records that are not releases."""
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    journal = Journal(state_dir, clock)
    for env, action, version, status in [
        ("qa", "deploy", "1.5.0", "ok"),
        ("qa", "cutover", "1.5.0", "ok"),
        ("prod", "deploy", "1.5.0", "ok"),
        ("prod", "cutover", "1.5.0", "forced"),
        ("prod", "deploy", "1.6.1-rc1", "failed"),  # failed: not a release
        ("prod", "cutover", "1.5.1", "blocked"),  # blocked: not a release
        ("prod", "rollback", "1.4.2", "ok"),
    ]:
        clock.advance(600)
        intent = journal.intent("ops", env, action, version=version)
        journal.outcome(intent, status, version=version)
    journal.note("qa", "prod", "tick", item="tests-passing")  # a note, not a release
    journal.intent("ops", "dev", "deploy", version="1.6.0")  # unfinished: not a release


def run_relui(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python -m relui`` with the shipped config and a private state dir."""
    return subprocess.run(
        [sys.executable, "-m", "relui", *args, "--config", str(SHIPPED), "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_calendar_json_in_a_subprocess(tmp_path: Path) -> None:
    seed_journal(tmp_path)
    done = run_relui("calendar", "--json", state_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    # The wall clock decides "now"; whatever it is, the verdict must be the service's.
    at = datetime.fromisoformat(report["now"]["at"])
    expected = ReleaseCalendar(load_config(SHIPPED).calendar).status(at)
    assert report["now"]["release_allowed"] is expected.open
    assert report["now"]["reason"] == expected.reason
    assert report["timezone"] == "Europe/Berlin"
    assert report["cadence"] == ["minor: every 2-4 weeks", "hotfix: as needed", "major: every 3 months"]
    assert len(report["windows"]) == 5
    for window in report["windows"]:
        start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
        assert (start.hour, end.hour) == (8, 17) and start.date() == end.date()
        assert end > at

    prod = report["releases"]["prod"]
    assert [(r["action"], r["version"], r["status"]) for r in prod] == [
        ("rollback", "1.4.2", "ok"),
        ("cutover", "1.5.0", "forced"),
        ("deploy", "1.5.0", "ok"),
    ]
    assert prod[0]["operator"] == "ops" and prod[0]["env"] == "prod"
    assert prod[0]["at"].startswith("2026-11-24T10:10")
    assert [r["action"] for r in report["releases"]["qa"]] == ["cutover", "deploy"]
    assert report["releases"]["dev"] == []


def test_calendar_text_in_a_subprocess(tmp_path: Path) -> None:
    seed_journal(tmp_path)
    done = run_relui("calendar", "--last", "1", state_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Release now: ")
    for heading in ("Cadence (Europe/Berlin)", "Next windows", "Freezes ahead", "Last releases"):
        assert heading in out
    assert "PROD  rollback  1.4.2         ops         2026-11-24 10:10 UTC" in out
    assert "cutover" not in out.split("PROD", 1)[1]  # --last 1: only the newest per environment
    assert "DEV   -" in out


def test_negative_last_is_a_usage_error(tmp_path: Path) -> None:
    done = run_relui("calendar", "--last", "-1", state_dir=tmp_path)
    assert done.returncode == 2
    assert "--last" in done.stderr


def global_options(state_dir: Path) -> argparse.Namespace:
    """The global options build_context reads: shipped config, private state dir."""
    return argparse.Namespace(config=str(SHIPPED), state_dir=str(state_dir), read_only=False)


@pytest.mark.parametrize(
    ("when", "verdict", "first_window"),
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=UTC), "ALLOWED (release window open until 17:00", "Thu 2026-11-26"),
        (datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "NOT ALLOWED (outside release windows", "Mon 2026-11-30"),
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "NOT ALLOWED (change freeze until 2027-01-04", "Tue 2027-01-05"),
    ],
)
def test_calendar_on_a_fixed_clock(
    when: datetime, verdict: str, first_window: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = build_context(global_options(tmp_path), clock=ManualClock(when))
    args = argparse.Namespace(json=False, last=3)
    assert calendar_command.run(args, ctx) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"Release now: {verdict}")
    windows = out.split("Next windows\n", 1)[1].splitlines()
    assert windows[0].startswith(f"  {first_window} 08:00 - 17:00")


def test_calendar_json_on_a_fixed_clock_during_the_freeze(tmp_path: Path) -> None:
    when = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    ctx = build_context(global_options(tmp_path), clock=ManualClock(when))
    report = calendar_command.calendar_json(ctx, last=3)
    assert report["now"]["freeze"] == {"start": "2026-12-21", "end": "2027-01-04", "reason": "Year-end change freeze"}
    assert report["now"]["next_opening"] == "2027-01-05T07:00:00+00:00"
    assert report["now"]["banner"] == "FREEZE until 4 Jan: Year-end change freeze"
    assert report["freezes"] == [report["now"]["freeze"]]
