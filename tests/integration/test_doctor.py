"""``relui doctor`` as a pipeline runs it: a subprocess, its exit code, its stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.fake_helm import CHART, REPO, FakeHelm
from tests.integration.kube_fixtures import closed_port, write_kubeconfig

pytestmark = pytest.mark.integration


def doctor(
    tmp_path: Path, config: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "relui", "--config", str(config), "--state-dir", str(tmp_path / "state"), "doctor"]
    return subprocess.run(
        [*argv, *extra],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def test_the_shipped_sandbox_config_is_healthy(tmp_path: Path) -> None:
    done = doctor(tmp_path, REPO / "config.toml")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for title in ("DEV (sandbox)", "QA (sandbox)", "PROD (sandbox)"):
        at = lines.index(title)
        assert lines[at + 1].split() == ["source", "status", "detail"]
        assert lines[at + 2].split() == ["sandbox", "ok", "sandbox:", "simulated"]
    assert lines[-1] == "doctor: all 3 checks ok" and done.stderr == ""


def test_json_lists_the_findings(tmp_path: Path) -> None:
    done = doctor(tmp_path, REPO / "config.toml", "qa", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "schema_version": 1,
        "ok": True,
        "environments": [
            {
                "name": "qa",
                "kind": "sandbox",
                "ok": True,
                "findings": [{"source": "sandbox", "ok": True, "detail": "sandbox: simulated", "fix": ""}],
            }
        ],
    }


def test_a_sandbox_world_that_cannot_be_read_fails_the_check(tmp_path: Path) -> None:
    """status said the world was unreadable while doctor said all was ok."""
    assert doctor(tmp_path, REPO / "config.toml", "qa").returncode == 0
    worlds = list(tmp_path.rglob("world.json"))
    assert worlds, "the sandbox wrote no world"
    worlds[0].write_text("{bad")
    done = doctor(tmp_path, REPO / "config.toml", "qa")
    assert done.returncode == 1 and done.stderr == ""
    assert any(line.split()[:2] == ["sandbox", "FAIL"] and "is unreadable" in line for line in done.stdout.splitlines())


def test_an_unreachable_cluster_is_one_line_with_a_fix_and_exit_1(tmp_path: Path) -> None:
    port = closed_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    helm = FakeHelm.create(tmp_path / "helm", version="v4.1.4")
    config = tmp_path / "config.toml"
    config.write_text(
        "[[environments]]\n"
        'name = "prod"\nkind = "kubernetes"\nprotected = true\nnamespace = "shop-prod"\nrelease = "shop"\n'
        f'chart = "{CHART}"\nkube_context = "prod-ctx"\n'
    )
    done = doctor(tmp_path, config, env={"KUBECONFIG": str(kubeconfig), "RELUI_HELM": helm.executable})
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    failed = [line for line in done.stdout.splitlines() if " FAIL " in line]
    assert failed == [
        f"  kubernetes  FAIL    kubernetes API http://127.0.0.1:{port} (prod-ctx) refused the connection"
        "  fix: check kube_context, VPN and the cluster"
    ]
    assert f"  helm        ok      helm v4.1.4 at {helm.executable}" in done.stdout
    assert done.stdout.splitlines()[-1] == "doctor: 1 of 2 checks failed (prod)"
