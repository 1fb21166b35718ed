"""A command stopped by SIGTERM (``timeout``, a cancelled CI job) leaves the journal and the lock as Ctrl-C does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import drill_config


def journal(state: Path) -> list[dict[str, object]]:
    path = state / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_sigterm_mid_deploy_journals_interrupted_and_gives_the_lock_back(tmp_path: Path) -> None:
    config, state = drill_config(tmp_path, time_scale=1), tmp_path / "state"
    env = {**os.environ, "RELUI_USER": "ops"}
    base = [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(state)]
    deploy = subprocess.Popen(
        [*base, "deploy", "qa", "1.5.1", "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not any(e.get("action") == "deploy" and e.get("status") == "started" for e in journal(state)):
            assert deploy.poll() is None, deploy.communicate()
            assert time.monotonic() < deadline, "the deploy never journaled its intent"
            time.sleep(0.05)
        time.sleep(0.5)  # into the rollout
        deploy.send_signal(signal.SIGTERM)
        _, err = deploy.communicate(timeout=30)
    finally:
        if deploy.poll() is None:
            deploy.kill()
    assert deploy.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("relui: stopped by SIGTERM")
    deploys = [e for e in journal(state) if e.get("action") == "deploy"]
    assert [e["status"] for e in deploys] == ["started", "interrupted"]
    assert deploys[-1]["message"] == "Terminated: stopped by SIGTERM"
    status = subprocess.run([*base, "status", "qa", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(status.stdout)["environments"][0]["lock"] is None, "the action's lock was given back"
