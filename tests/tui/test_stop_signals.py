"""The real ``relui`` in a pseudo-terminal, stopped by SIGTERM or a hang-up in the middle of a deploy.

Before, either signal killed relui where it stood: the deploy's intent had no
outcome, its lock stayed held, the terminal was left in the alternate screen.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, drill_config

ALT_SCREEN_OFF = b"\x1b[?1049l"


class Terminal:
    """relui on a pty of 100x30, every byte it wrote kept."""

    def __init__(self, config: Path, state: Path, command: tuple[str, ...] = ()) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "RELUI_"))}
        env.update(TERM="xterm-256color", LANG="C.UTF-8", RELUI_USER="ops")
        argv = [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(state), *command]
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT)
        os.close(slave)
        self.master: int | None = master
        self.output = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while self.master is not None:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.output += data

    def seen(self) -> bytes:
        with self.lock:
            return bytes(self.output)

    def wait_for(self, text: bytes, timeout: float = 30.0, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen()[after:]:
            assert self.proc.poll() is None, f"relui exited with {self.proc.returncode}: {self.seen()[-800:]!r}"
            assert time.monotonic() < deadline, f"never saw {text!r}: {self.seen()[-800:]!r}"
            time.sleep(0.05)

    def type(self, text: str) -> None:
        assert self.master is not None
        os.write(self.master, text.encode())
        time.sleep(0.3)

    def hang_up(self) -> None:
        """The SSH session drops: the terminal goes away, then the hang-up signal comes."""
        master, self.master = self.master, None
        assert master is not None
        os.close(master)
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None


def journal(state: Path) -> list[dict[str, object]]:
    path = state / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def deploy_mid_rollout(tmp_path: Path) -> tuple[Terminal, Path, Path]:
    """relui started, ``:deploy qa 1.5.1`` confirmed, its rollout under way."""
    config, state = drill_config(tmp_path, time_scale=1), tmp_path / "state"
    term = Terminal(config, state)
    term.wait_for(b"ready")
    term.type(":")
    term.type("deploy qa 1.5.1\r")
    term.wait_for(b"waiting for your answer")
    term.type("\t")  # Cancel has focus when the confirm opens; Tab goes to Confirm
    term.type("\r")
    term.wait_for(b"pods ready")
    return term, config, state


def lock_of(config: Path, state: Path, env: str) -> object:
    status = subprocess.run(
        [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(state), "status", env, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "RELUI_USER": "ops"},
        timeout=60,
    )
    return json.loads(status.stdout)["environments"][0]["lock"]


@pytest.mark.parametrize("how", ["sigterm", "hang-up"])
def test_a_signal_mid_deploy_stops_it_safely_then_quits(tmp_path: Path, how: str) -> None:
    term, config, state = deploy_mid_rollout(tmp_path)
    try:
        before = len(term.seen())
        if how == "sigterm":
            term.proc.send_signal(signal.SIGTERM)
        else:
            term.hang_up()
        code = term.proc.wait(timeout=60)
    finally:
        term.stop()

    assert code == (143 if how == "sigterm" else 129)
    name = "SIGTERM" if how == "sigterm" else "SIGHUP"
    deploys = [e for e in journal(state) if e.get("action") == "deploy"]
    assert [e["status"] for e in deploys] == ["started", "aborted"]
    assert str(deploys[-1]["message"]).startswith(f"aborted by ops: stopped by {name}; green 1.5.1 stopped at")
    assert "green put back on revision" in str(deploys[-1]["message"])
    [note] = [e for e in journal(state) if e.get("action") == "abort"]
    assert note["target"] == deploys[0]["id"] and note["reason"] == f"stopped by {name}"
    assert lock_of(config, state, "qa") is None, "the deploy's lock was given back"
    if how == "sigterm":
        after = term.seen()[before:]
        assert ALT_SCREEN_OFF in after, "the terminal was put back"
        assert b"relui: stopped by SIGTERM; deploy on qa ended aborted" in after


def test_sigterm_with_nothing_running_quits_at_once(tmp_path: Path) -> None:
    term = Terminal(drill_config(tmp_path, time_scale=1), tmp_path / "state")
    try:
        term.wait_for(b"ready")
        before = len(term.seen())
        started = time.monotonic()
        term.proc.send_signal(signal.SIGTERM)
        code = term.proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        term.stop()
    assert code == 143
    assert took < 4, "it waited for the exit grace instead of quitting through the app"
    after = term.seen()[before:]
    assert ALT_SCREEN_OFF in after
    assert b"relui: stopped by SIGTERM" in after


def test_a_cli_deploy_whose_terminal_hangs_up_is_stopped_as_the_tui_stops_it(tmp_path: Path) -> None:
    """``relui deploy ... --yes`` over SSH when the session drops: its prints must not turn into a crash."""
    config, state = drill_config(tmp_path, time_scale=1), tmp_path / "state"
    term = Terminal(config, state, ("deploy", "qa", "1.5.1", "--yes"))
    try:
        term.wait_for(b"pods ready")
        term.hang_up()
        code = term.proc.wait(timeout=60)
    finally:
        term.stop()
    assert code == 129
    deploys = [e for e in journal(state) if e.get("action") == "deploy"]
    assert [e["status"] for e in deploys] == ["started", "aborted"]
    assert str(deploys[-1]["message"]).startswith("aborted by ops: stopped by SIGHUP; green 1.5.1 stopped at")
    assert lock_of(config, state, "qa") is None
