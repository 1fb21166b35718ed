"""A command builds the adapters of the environments it touches, and no others.

With three real environments, ``relui calendar`` used to import the Kubernetes
client and boto3 and build every environment's sessions before reading a
calendar that needs none of them.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.lazy import LazyEnvs
from tests.conftest import SHIPPED_CONFIG

REAL = """
[[environments]]
name = "qa"
kind = "kubernetes"
release = "shop"
kube_context = "nope"
[environments.aws]
region = "eu-west-1"
ecr_repository = "shop"

[[environments]]
name = "prod"
kind = "kubernetes"
protected = true
release = "shop"
kube_context = "nope"
[environments.aws]
region = "eu-west-1"
rds_instance = "shop"
"""

PROBE = """
import sys
from relui.cli import main
code = main(sys.argv[1:])
heavy = [m for m in ("kubernetes", "boto3", "botocore", "relui.adapters.kubernetes", "relui.adapters.records_s3")
         if m in sys.modules]
print("HEAVY", ",".join(heavy), file=sys.stderr)
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "real.toml"
    config.write_text(REAL)
    home = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none"), "RELUI_USER": "ops", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args, "--config", str(config), "--state-dir", str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=120,
        env=home,
    )


def heavy(done: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in done.stderr.splitlines() if line.startswith("HEAVY")).removeprefix("HEAVY").strip()


def test_a_command_that_reads_no_environment_loads_no_cloud_client(tmp_path: Path) -> None:
    done = run(tmp_path, "calendar")
    assert done.returncode == 0, done.stderr
    assert heavy(done) == ""


def test_an_environment_that_is_asked_for_is_built_with_its_clients(tmp_path: Path) -> None:
    done = run(tmp_path, "status", "qa", "--json")
    assert {"kubernetes", "boto3"} <= set(heavy(done).split(",")), done.stderr


def test_only_the_environments_looked_up_are_built(tmp_path: Path) -> None:
    ports = build_ports(load_config(SHIPPED_CONFIG), tmp_path, ManualClock())
    envs = ports.envs
    assert isinstance(envs, LazyEnvs)
    assert list(envs) == ["dev", "qa", "prod"] and envs.built() == []
    assert "qa" in envs and envs.built() == []
    envs["qa"].cluster.color_states()
    assert envs.built() == ["qa"]
    assert len(list(envs.values())) == 3 and envs.built() == ["dev", "qa", "prod"]


def test_a_records_store_on_s3_is_built_when_first_read(tmp_path: Path) -> None:
    config = tmp_path / "records.toml"
    qa = 'namespace = "shop-qa"\nrelease = "shop"\nrefresh_seconds = 2\ndeploy_timeout_seconds = 90\n'
    assert qa in SHIPPED_CONFIG.read_text()
    config.write_text(
        SHIPPED_CONFIG.read_text().replace(qa, qa + '[environments.records]\nurl = "s3://team-records/relui"\n')
    )
    ports = build_ports(load_config(config), tmp_path / "state", ManualClock())
    assert "built=False" in repr(ports.envs["qa"].records)


def test_an_environment_is_built_once_whichever_threads_ask_together() -> None:
    made: list[int] = []
    gate = threading.Barrier(8)

    def build() -> object:
        made.append(1)
        return object()

    envs: LazyEnvs[object] = LazyEnvs({"qa": build})
    seen: list[object] = []

    def ask() -> None:
        gate.wait()
        seen.append(envs["qa"])

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and all(one is seen[0] for one in seen)
