"""End to end: `relui status --json` on a sandbox cluster that reads a real Prometheus and moto.

The environment's cluster is simulated, but ``[environments.prometheus]`` and
``[environments.aws]`` point at real servers, so backends.py must wire the
real adapters, and the error rate shown must be the one Prometheus computes
from the backfilled traffic (the sandbox's own figures differ).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.integration.moto_fixtures import ACCESS_KEY, REGION, REPOSITORY, SECRET_KEY, start_moto  # noqa: F401
from tests.integration.prom_fixtures import (
    ERROR_RATE_BY_COLOR,
    NAMESPACE,
    RELEASE,
    PrometheusServer,
    free_port,
    start_prometheus,  # noqa: F401 - registers the session fixture `prometheus_server`
)

pytestmark = pytest.mark.integration
REPO_ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, prometheus_url: str, moto_url: str) -> Path:
    """A one-environment config: sandbox cluster, real Prometheus, ECR on moto."""
    config = {
        "environments": [
            {
                "name": "qa",
                "kind": "sandbox",
                "namespace": NAMESPACE,
                "release": RELEASE,
                "prometheus": {"url": prometheus_url, "error_rate": ERROR_RATE_BY_COLOR, "timeout_seconds": 3.0},
                "aws": {"region": REGION, "endpoint_url": moto_url, "ecr_repository": REPOSITORY},
            }
        ]
    }
    path.write_text(tomli_w.dumps(config))
    return path


def relui_status(config: Path, state_dir: Path) -> tuple[int, dict[str, Any], str]:
    """Run `relui status --json` in a subprocess with fake AWS keys; exit code, the qa row, stderr."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_CONFIG_FILE": str(state_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(state_dir / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "RELUI_USER": "alice",
    }
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "relui", "status", "--json", "--config", str(config), "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert done.stdout, f"relui status printed nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    (row,) = json.loads(done.stdout)["environments"]
    return done.returncode, row, done.stderr


def test_status_shows_prometheus_error_rate(prometheus_server: PrometheusServer, moto_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "relui.toml", prometheus_server.url, moto_url)
    before = time.time()
    code, row, stderr = relui_status(config, tmp_path / "state")
    after = time.time()
    assert code == 0, stderr
    traffic = prometheus_server.traffic
    for color in ("blue", "green"):
        expected = traffic.error_ratio(color, before)
        assert expected is not None and expected == traffic.error_ratio(color, after)
        assert row["error_rate"][color] == pytest.approx(expected, rel=1e-9)
    assert row["error_rate"] == pytest.approx({"blue": 0.01, "green": 0.06}, rel=1e-9)
    assert not [p for p in row["problems"] if p.startswith("metrics")], row["problems"]
    assert row["colors"]["blue"]["version"]  # the cluster side still comes from the sandbox


def test_status_with_prometheus_down_reports_a_problem_and_exits_1(moto_url: str, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path / "relui.toml", url, moto_url)
    code, row, stderr = relui_status(config, tmp_path / "state")
    assert code == 1, stderr  # docs/cli.md: a source that did not answer is exit 1; the row is printed all the same
    assert row["error_rate"] == {"blue": None, "green": None}
    assert (
        f"metrics unavailable: prometheus at {url} is unreachable: connection refused; "
        "check [environments.prometheus] url"
    ) in row["problems"]
