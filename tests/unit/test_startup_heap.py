"""The collector is held off only while the TUI draws its first frame; every other path runs with it on."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from relui import cli, entry, startup_heap
from tests.conftest import SHIPPED_CONFIG


@pytest.fixture(autouse=True)
def collector_back_on() -> Iterator[None]:
    yield
    startup_heap.release()
    gc.enable()


def test_a_cli_command_runs_with_the_collector_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A long ``cutover --watch`` must not run for its whole bake with collections off."""
    seen: list[bool] = []
    real = cli.build_context

    def spy(args: object) -> object:
        seen.append(gc.isenabled())
        return real(args)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "build_context", spy)
    code = entry.main(["--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path), "calendar"])
    assert code == 0
    assert seen == [True]
    assert gc.isenabled()


def test_a_usage_error_gives_the_collector_back(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        entry.main(["--no-such-flag"])
    assert gc.isenabled()


def test_settling_collects_freezes_and_turns_the_collector_on() -> None:
    """In a fresh interpreter: held at start, then one collection, a frozen heap, collections on."""
    code = (
        "import gc\n"
        "from relui import startup_heap as s\n"
        "s.hold(); assert not gc.isenabled() and s.held()\n"
        "garbage = []; garbage.append(garbage); del garbage\n"
        "s.settle(); assert gc.isenabled() and not s.held()\n"
        "assert gc.get_freeze_count() > 0\n"
        "frozen = gc.get_freeze_count(); s.settle(); assert gc.get_freeze_count() == frozen  # once per process\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run.stdout.strip() == "ok", run.stderr


def test_the_collector_was_not_on_before_hold_stays_off() -> None:
    """Code that turned collections off itself (a profiler, a test) keeps them off: release undoes only hold."""
    gc.disable()
    startup_heap.hold()
    startup_heap.release()
    assert not gc.isenabled()
