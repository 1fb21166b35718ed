"""A command stopped by SIGTERM (``timeout``, a cancelled CI job) leaves the journal and the lock as Ctrl-C does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relui.cli import CommandStop, Terminated
from relui.services import stopping
from tests.conftest import drill_config


def journal(state: Path) -> list[dict[str, object]]:
    path = state / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def start_deploy(tmp_path: Path) -> tuple[subprocess.Popen[str], list[str], dict[str, str], Path]:
    """``relui deploy qa 1.5.1 --yes`` on the sandbox, half a second into its rollout."""
    config, state = drill_config(tmp_path, time_scale=1), tmp_path / "state"
    env = {**os.environ, "RELUI_USER": "ops"}
    base = [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(state)]
    deploy = subprocess.Popen(
        [*base, "deploy", "qa", "1.5.1", "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 60
    while not any(e.get("action") == "deploy" and e.get("status") == "started" for e in journal(state)):
        assert deploy.poll() is None, deploy.communicate()
        assert time.monotonic() < deadline, "the deploy never journaled its intent"
        time.sleep(0.05)
    time.sleep(0.5)  # into the rollout
    return deploy, base, env, state


def lock_is_free(base: list[str], env: dict[str, str]) -> bool:
    status = subprocess.run([*base, "status", "qa", "--json"], capture_output=True, text=True, env=env, timeout=60)
    return json.loads(status.stdout)["environments"][0]["lock"] is None


def test_sigterm_mid_deploy_aborts_it_as_the_tui_does_and_gives_the_lock_back(tmp_path: Path) -> None:
    """The same signal, the same end on both faces: the deploy is aborted and put back, not cut off."""
    deploy, base, env, state = start_deploy(tmp_path)
    try:
        deploy.send_signal(signal.SIGTERM)
        _, err = deploy.communicate(timeout=60)
    finally:
        if deploy.poll() is None:
            deploy.kill()
    assert deploy.returncode == 143, err
    assert err.strip().splitlines()[-1] == (
        "relui: stopped by SIGTERM; its action was brought to a safe end first (relui journal)"
    )
    deploys = [e for e in journal(state) if e.get("action") == "deploy"]
    assert [e["status"] for e in deploys] == ["started", "aborted"]
    assert str(deploys[-1]["message"]).startswith("aborted by ops: stopped by SIGTERM; green 1.5.1 stopped at")
    assert "green put back on revision" in str(deploys[-1]["message"])
    assert lock_is_free(base, env), "the action's lock was given back"


def test_a_second_sigterm_or_one_with_nothing_running_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Then ``Terminated`` unwinds the command like Ctrl-C: interrupted in the journal, the lock given back."""
    asked: list[str] = []
    monkeypatch.setattr(stopping, "stop_all", lambda why: asked.append(why) or [])
    monkeypatch.setattr(stopping, "busy", lambda: False)
    with pytest.raises(Terminated, match="stopped by SIGTERM"):
        CommandStop()(signal.SIGTERM, None)
    assert asked == []

    monkeypatch.setattr(stopping, "busy", lambda: True)
    stop = CommandStop()
    stop(signal.SIGTERM, None)  # an action runs: asked to end safely, the command goes on
    assert stop.signum == signal.SIGTERM
    with pytest.raises(Terminated, match="stopped by SIGTERM"):
        stop(signal.SIGTERM, None)
    deadline = time.monotonic() + 5
    while not asked and time.monotonic() < deadline:
        time.sleep(0.01)
    assert asked == ["stopped by SIGTERM"]
