"""Files that are no files: a config or a state file that is a device, a FIFO or endless.

``Path.read_bytes`` read whatever it was given until it ended. ``--config
/dev/zero`` filled memory until the kernel killed relui; a readiness record
that was a FIFO, or a symlink to ``/dev/full`` (which reads as endless
zeros), held the state dir for its whole 20 s deadline and then blamed the
journal. Each is now refused at once, in one line naming the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.readiness import ReadinessError, record
from relui.statedir import UnreadableFile, read_file
from tests.conftest import SHIPPED_CONFIG
from tests.unit.test_cli import Relui

# A hang detector, not a speed budget: the old code took the 20 s state-dir deadline, or never ended.
PROMPTLY = 15


def relui(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "relui", *args],
        capture_output=True,
        timeout=PROMPTLY,
        input=stdin,
        env={**os.environ, "RELUI_USER": "ops"},
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def test_an_endless_config_is_refused_in_one_line(tmp_path: Path) -> None:
    done = relui("--config", "/dev/zero", "--state-dir", str(tmp_path), "calendar")
    assert done.returncode == 2, done.stderr
    assert done.stderr == "relui: /dev/zero: cannot read config: a character device, not a regular file\n"


def test_a_config_from_a_pipe_is_still_read(tmp_path: Path) -> None:
    """``--config <(envsubst < relui.toml)`` is a pipe: it is read to its end, as before."""
    done = relui("--config", "/dev/stdin", "--state-dir", str(tmp_path), "calendar", stdin=SHIPPED_CONFIG.read_bytes())
    assert done.returncode == 0, done.stderr
    assert "Cadence (Europe/Berlin)" in done.stdout


def test_a_config_pipe_whose_writer_says_nothing_is_refused_within_its_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--config <(step)`` from a step that hangs: one line after PIPE_SECONDS, not a wait for ever.

    The writer keeps its end open, having sent a first part of the file.
    """
    from relui import statedir
    from relui.cli import main

    monkeypatch.setattr(statedir, "PIPE_SECONDS", 1.0)
    fifo = tmp_path / "config.pipe"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer that holds the pipe open and stalls
    try:
        os.write(writer, b'[calendar]\ntimezone = "UTC"\n')
        started = time.monotonic()
        code = main(["--config", str(fifo), "--state-dir", str(tmp_path / "state"), "calendar"])
        took = time.monotonic() - started
    finally:
        os.close(writer)
    assert code == 2
    assert capsys.readouterr().err == (
        f"relui: {fifo}: cannot read config: a pipe that did not end within 1 s; "
        "write the config to a file, or let the command writing it finish\n"
    )
    assert 1.0 <= took < PROMPTLY


def test_a_config_larger_than_any_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    done = relui("--config", str(big), "--state-dir", str(tmp_path), "calendar")
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"relui: {big}: cannot read config: larger than 16 MiB, the most relui reads of one file\n"


def _records_file(ctx: Context) -> Path:
    record(ctx, "prod", "restore-test", "https://wiki.example/restore-1")  # the file exists
    path = ctx.state_dir / "readiness" / "prod.toml"
    assert path.is_file()
    return path


def test_a_record_on_dev_full_is_refused_at_once_and_the_failure_journaled(ctx: Context) -> None:
    path = _records_file(ctx)
    path.unlink()
    path.symlink_to("/dev/full")
    done = Relui(SHIPPED_CONFIG, ctx.state_dir)(
        "readiness", "prod", "signoff", "oauth2-flows", "--evidence", "https://jira.example/SEC-1", "--yes"
    )
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{path}: a character device, not a regular file" in done.stderr
    assert "did not answer" not in done.stderr and "journal" not in done.stderr
    last = Journal(ctx.state_dir, ctx.clock).entries("prod")[-1]
    assert (last.action, last.status, last.detail.get("item")) == ("readiness", "failed", "oauth2-flows")


def test_a_record_that_is_a_fifo_says_so_and_the_rest_of_the_review_reads(ctx: Context) -> None:
    path = _records_file(ctx)
    path.unlink()
    os.mkfifo(path)  # no writer: a blocking read waited for one
    done = Relui(SHIPPED_CONFIG, ctx.state_dir)("readiness", "prod")
    assert done.returncode == 1, done.stderr
    assert f"{path}: a FIFO, not a regular file" in done.stdout
    assert "load-testing        met" in done.stdout  # what does not read the file is still evaluated
    with pytest.raises(ReadinessError, match="a FIFO, not a regular file"):
        record(ctx, "prod", "oauth2-flows", "https://jira.example/SEC-1")


def test_an_endless_sandbox_world_is_unavailable_with_its_fix(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert Relui(SHIPPED_CONFIG, state)("status", "qa").returncode == 0
    world = state / "sandbox" / "world.json"
    world.unlink()
    world.symlink_to("/dev/zero")
    done = Relui(SHIPPED_CONFIG, state)("status", "qa")
    assert done.returncode == 1, done.stderr
    assert (
        f"cluster unavailable: sandbox world {world} is unreadable (a character device, not a regular file); "
        "delete it to start a fresh world"
    ) in done.stdout


def test_read_file_reads_up_to_its_limit_and_no_further(tmp_path: Path) -> None:
    exact, over = tmp_path / "exact", tmp_path / "over"
    exact.write_bytes(b"x" * 4096)
    over.write_bytes(b"x" * 4097)
    assert read_file(exact, limit=4096) == b"x" * 4096
    with pytest.raises(UnreadableFile):
        read_file(over, limit=4096)
    with pytest.raises(IsADirectoryError):
        read_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "absent")
