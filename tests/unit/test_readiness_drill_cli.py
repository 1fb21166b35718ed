"""``relui readiness`` and ``relui drill`` run as a pipeline runs them: subprocesses on the shipped config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SHIPPED_CONFIG


def relui(*args: str, state_dir: Path, config: Path = SHIPPED_CONFIG) -> subprocess.CompletedProcess[str]:
    """``python -m relui`` as operator ``ops`` with a private state dir."""
    return subprocess.run(
        [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(state_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "RELUI_USER": "ops"},
        check=False,
    )


def test_readiness_of_prod_on_the_shipped_config(tmp_path: Path) -> None:
    shown = relui("readiness", "prod", state_dir=tmp_path)
    assert shown.returncode == 1, shown.stderr  # a fresh world has no attestations: not ready
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("PROD go-live readiness: ") and lines[1].split() == ["criterion", "status", "evidence"]
    assert len(lines) == 9

    bad = relui("readiness", "prod", "signoff", "oauth2-flows", "--evidence", "trust me", state_dir=tmp_path)
    assert bad.returncode == 2 and "must be a link" in bad.stderr
    done = relui(
        "readiness", "prod", "signoff", "restore-test", "--evidence", "https://wiki.example/restore", state_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "recorded restore-test on prod for disaster-recovery by ops" in done.stdout

    as_json = relui("readiness", "prod", "--json", state_dir=tmp_path)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["env"] == "prod" and report["ready"] is False
    criteria = {c["name"]: c for c in report["criteria"]}
    assert len(criteria) == 7
    assert {c["status"] for c in criteria.values()} <= {"met", "not met", "unknown"}
    assert "https://wiki.example/restore" in criteria["disaster-recovery"]["evidence"]
    assert criteria["disaster-recovery"]["status"] == "met"  # the sandbox's nightly snapshot is fresh


def test_drill_list(tmp_path: Path) -> None:
    listed = relui("drill", "--list", state_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == ["error-spike", "crashloop", "missing-tag", "prometheus-dark", "lock-held"]
    refused = relui("drill", state_dir=tmp_path)
    assert refused.returncode == 2 and "--list" in refused.stderr


def test_a_headless_drill_played_with_cli_commands_and_scored(tmp_path: Path) -> None:
    real, drill = tmp_path / "state", tmp_path / "drill"
    setup = relui("drill", "missing-tag", "--no-tui", "--state-dir-out", str(drill), state_dir=real)
    assert setup.returncode == 0, setup.stderr
    assert "Release 2.4.0 to PROD" in setup.stdout and f"drill state dir: {drill}" in setup.stdout

    deploy = relui("deploy", "prod", "2.4.0", "--yes", state_dir=drill, config=drill / "config.toml")
    assert deploy.returncode == 3 and "BLOCK image" in deploy.stderr

    scored = relui("drill", "--score", str(drill), "--json", state_dir=real)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    result = json.loads(scored.stdout)
    assert result["passed"] is True and result["drill"] == "missing-tag" and result["operator"] == "ops"
    assert result["recorded_in"] == str(real / "drills.jsonl")

    review = json.loads(relui("readiness", "prod", "--json", state_dir=real).stdout)
    training = {c["name"]: c for c in review["criteria"]}["team-training"]
    assert training["status"] == "met", training
    assert not (real / "journal.jsonl").exists()  # the drill's actions stayed in the drill's state dir
