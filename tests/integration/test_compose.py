"""The compose adapters: the real docker client without a daemon, and a fake docker on PATH.

This machine (like most CI runners for relui) has the docker CLI but no
daemon, so the daemon-down path is tested against the real binary. Parsing
and the commands relui runs are tested with a fake ``docker`` script first
on PATH, which records its argv and ``RELUI_TAG``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from relui.adapters.compose import ComposeCluster, ComposeReleases, diagnose, parse_ps
from relui.config import ComposeConfig, EnvironmentConfig
from relui.domain import Color, ReleaseValues
from relui.ports import LockHeld, PortError, SourceUnavailable

pytestmark = pytest.mark.integration

FAKE_DOCKER = r"""#!__PYTHON__
import json, os, sys
from pathlib import Path

here = Path(__file__).resolve().parent
state = json.loads((here / "state.json").read_text())
argv = sys.argv[1:]
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps({"argv": argv, "RELUI_TAG": os.environ.get("RELUI_TAG")}) + "\n")
if argv[:1] == ["version"]:
    print("27.3.1")
elif argv[:2] == ["compose", "version"]:
    print("2.29.7")
elif "ps" in argv:
    print(state["ps"])
elif "up" in argv:
    if state.get("up_fails"):
        sys.stderr.write("container shop-dev-app-1 is unhealthy\n")
        sys.exit(1)
    print("started")
else:
    sys.exit(2)
"""

# compose >= 2.21 prints one JSON object per line; a sidecar and a crash-looping replica included.
PS_LINES = "\n".join(
    json.dumps(row)
    for row in (
        {"Name": "shopdev-app-1", "Service": "app", "State": "running", "Health": "healthy",
         "Image": "localhost:5000/shop:1.5.0", "ExitCode": 0, "Status": "Up 3 minutes (healthy)"},
        {"Name": "shopdev-app-2", "Service": "app", "State": "restarting", "Health": "",
         "Image": "localhost:5000/shop:1.5.0", "ExitCode": 1, "Status": "Restarting (1) 4 seconds ago"},
        {"Name": "shopdev-db-1", "Service": "db", "State": "running", "Health": "",
         "Image": "postgres:16", "ExitCode": 0, "Status": "Up 3 minutes"},
    )
)  # fmt: skip


def compose_env() -> EnvironmentConfig:
    return EnvironmentConfig(
        name="dev",
        kind="compose",
        protected=False,
        namespace="dev",
        release="shop",
        deploy_timeout_seconds=30,
        compose=ComposeConfig(file="deploy/compose.yaml", service="app", project="shopdev"),
    )


@pytest.fixture
def fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake docker first on PATH; returns its directory (state.json, calls.jsonl)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(FAKE_DOCKER.replace("__PYTHON__", sys.executable))
    script.chmod(0o755)
    (bin_dir / "state.json").write_text(json.dumps({"ps": PS_LINES}))
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}")
    return bin_dir


def calls(bin_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]


def test_the_real_docker_client_without_a_daemon_is_one_clear_line(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is not installed: this test checks relui's error for a daemon that is down")
    with pytest.raises(SourceUnavailable) as caught:
        ComposeCluster(compose_env(), state_dir=tmp_path).color_states()
    message = str(caught.value)
    assert message.startswith("Docker daemon not running (Cannot connect to the Docker daemon")
    assert message.endswith("; start Docker (systemctl start docker) or set DOCKER_HOST") and "\n" not in message
    (finding,) = diagnose(compose_env())
    assert not finding.ok and finding.fix == "start Docker (systemctl start docker) or set DOCKER_HOST"


def test_a_deploy_without_a_daemon_is_one_line_and_records_nothing(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is not installed: this test checks relui's error for a daemon that is down")
    releases = ComposeReleases(compose_env(), state_dir=tmp_path)
    for call in (releases.values, lambda: releases.deploy(Color.BLUE, "1.6.0", "relui deploy 1.6.0 by alice")):
        with pytest.raises(SourceUnavailable) as caught:
            call()
        assert str(caught.value).startswith("Docker daemon not running (") and "\n" not in str(caught.value)
    assert releases.history() == []


def test_install_on_compose_says_the_first_deploy_starts_it(tmp_path: Path) -> None:
    releases = ComposeReleases(compose_env(), state_dir=tmp_path)
    with pytest.raises(PortError) as caught:
        releases.install(Color.BLUE, "1.6.0", "relui install 1.6.0 by alice")
    assert str(caught.value) == (
        f"{compose_env().name} runs on Docker Compose: there is no release to install; "
        f"start it with: relui deploy {compose_env().name} 1.6.0"
    )


def test_no_docker_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SourceUnavailable, match="docker not found on PATH: install the Docker CLI"):
        ComposeReleases(compose_env(), state_dir=tmp_path).values()


def test_ps_output_becomes_the_blue_color(fake_docker: Path, tmp_path: Path) -> None:
    states = ComposeCluster(compose_env(), state_dir=tmp_path).color_states()
    blue, green = states[Color.BLUE], states[Color.GREEN]
    assert (blue.version, blue.enabled, blue.desired, blue.ready) == ("1.5.0", True, 2, 1)
    assert [(p.name, p.ready, p.reason) for p in blue.pods] == [
        ("shopdev-app-1", True, None),
        ("shopdev-app-2", False, "CrashLoopBackOff"),
    ]
    assert (green.enabled, green.desired) == (False, 0)
    version, ps = calls(fake_docker)
    assert version["argv"] == ["version", "--format", "{{.Server.Version}}"]
    assert ps["argv"] == ["compose", "-f", "deploy/compose.yaml", "-p", "shopdev", "ps", "--all", "--format", "json"]


def test_ps_as_a_json_array_and_an_empty_project() -> None:
    rows = [json.loads(line) for line in PS_LINES.splitlines()]
    assert [r["Name"] for r in parse_ps(json.dumps(rows), "app")] == ["shopdev-app-1", "shopdev-app-2"]
    assert parse_ps("", "app") == [] and parse_ps("[]", "app") == []
    with pytest.raises(PortError, match="did not print JSON"):
        parse_ps("NAME IMAGE", "app")


def test_warning_events_and_the_live_color(fake_docker: Path, tmp_path: Path) -> None:
    cluster = ComposeCluster(compose_env(), state_dir=tmp_path)
    assert cluster.observed_active_color() is Color.BLUE
    assert cluster.warning_events(Color.BLUE) == [
        "CrashLoopBackOff: container shopdev-app-2 is Restarting (1) 4 seconds ago"
    ]
    assert cluster.warning_events(Color.GREEN) == []


def test_deploy_runs_up_with_the_tag_and_keeps_a_history(fake_docker: Path, tmp_path: Path) -> None:
    releases = ComposeReleases(compose_env(), state_dir=tmp_path)
    first = releases.deploy(Color.BLUE, "1.6.0", "relui deploy 1.6.0 to blue by alice")
    up = [c for c in calls(fake_docker) if "up" in c["argv"]]
    assert up == [
        {
            "argv": ["compose", "-f", "deploy/compose.yaml", "-p", "shopdev", "up", "-d", "--wait", "app"],
            "RELUI_TAG": "1.6.0",
        }
    ]
    assert (first.number, first.status, first.values) == (1, "deployed", ReleaseValues(Color.BLUE, "1.6.0", None))
    releases.deploy(Color.BLUE, "1.6.1", "relui deploy 1.6.1 to blue by alice")
    back = releases.rollback(1, "relui rollback by alice")
    assert back.description == "Rollback to 1: relui rollback by alice" and back.values is not None
    assert back.values.blue_tag == "1.6.0"
    assert [(r.number, r.status) for r in releases.history()] == [(3, "deployed"), (2, "superseded"), (1, "superseded")]
    assert releases.values() == ReleaseValues(Color.BLUE, "1.5.0", None, True, False)  # what ps says runs


def test_a_failed_deploy_is_recorded_and_reported(fake_docker: Path, tmp_path: Path) -> None:
    (fake_docker / "state.json").write_text(json.dumps({"ps": PS_LINES, "up_fails": True}))
    releases = ComposeReleases(compose_env(), state_dir=tmp_path)
    with pytest.raises(PortError, match="failed: container shop-dev-app-1 is unhealthy"):
        releases.deploy(Color.BLUE, "1.6.1-rc1", "relui deploy 1.6.1-rc1 to blue by alice")
    assert [(r.number, r.status) for r in releases.history()] == [(1, "failed")]


def test_green_is_refused_as_single_color(tmp_path: Path) -> None:
    releases = ComposeReleases(compose_env(), state_dir=tmp_path)
    with pytest.raises(PortError, match=r"single color \(blue\): cannot route traffic to green"):
        releases.set_active(Color.GREEN, "relui cutover blue->green by alice")
    with pytest.raises(PortError, match="cannot deploy to green"):
        releases.deploy(Color.GREEN, "1.6.0", "x")


def test_the_lock_is_shared_through_the_state_dir(tmp_path: Path) -> None:
    alice, bob = ComposeCluster(compose_env(), state_dir=tmp_path), ComposeCluster(compose_env(), state_dir=tmp_path)
    taken = alice.acquire_lock("alice@dev")
    with pytest.raises(LockHeld, match="lock held by alice@dev"):
        bob.acquire_lock("bob@dev")
    assert bob.lock() is not None and bob.lock().since == taken.since  # type: ignore[union-attr]
    bob.release_lock("bob@dev")
    alice.release_lock("alice@dev")
    assert bob.acquire_lock("bob@dev").holder == "bob@dev"


def test_diagnose_with_a_working_docker(fake_docker: Path) -> None:
    (finding,) = diagnose(compose_env())
    assert finding.ok and finding.detail == "Docker 27.3.1, Compose 2.29.7, file deploy/compose.yaml"
