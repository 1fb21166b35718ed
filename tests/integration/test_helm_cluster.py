"""The real helm v4 binary and relui's kubernetes and helm adapters against one API server.

The API server is kmock's emulator extended in ``kube_emulator`` (OpenAPI v3,
server-side apply, protobuf Secrets for helm's release storage, selectors),
with ``kube_controller``'s test controller turning Deployments into pods. The
first test drives the helm CLI itself through install, upgrade, history and
rollback of ``charts/bluegreen``; the second runs relui's drill through the
ports ``relui.backends.build_ports`` builds for a ``kind = "kubernetes"``
environment, polling with the service layer's ``RolloutWatch``. A missing
helm binary fails the test with how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from relui.backends import build_ports
from relui.clock import SystemClock
from relui.config import load_config
from relui.domain import Color
from relui.ports import EnvPorts, NotFound
from relui.services.rollout import POLL_SECONDS, ActionFailed, Progress, RolloutWatch
from tests.integration.fake_helm import CHART
from tests.integration.kube_controller import RunningCluster, running_cluster
from tests.integration.kube_fixtures import NS

pytestmark = pytest.mark.integration
HELM = Path(sys.prefix) / "tools" / "bin" / "helm"
SERVICES = "/api/v1/namespaces/shop-prod/services/"
CONFIG = """
[[environments]]
name = "prod"
kind = "kubernetes"
protected = false
namespace = "shop-prod"
release = "shop"
chart = "{chart}"
kube_context = "prod-ctx"
deploy_timeout_seconds = 120

[[environments.smoke]]
name = "color-answers"
command = ["{python}", "-c", "import os, sys; sys.exit(os.environ['RELUI_COLOR'] != 'green')"]
"""


def helm_binary() -> str:
    if not os.access(HELM, os.X_OK):
        pytest.fail(f"helm v4 is not installed at {HELM}: run make tools (this test needs the real binary)")
    return str(HELM)


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningCluster]:
    """The emulator and controller; helm and the kubernetes client find it through $KUBECONFIG."""
    with running_cluster(tmp_path) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("RELUI_HELM", helm_binary())
        yield running
        assert running.controller.errors == [], "the test controller failed"


def helm(running: RunningCluster, *args: str) -> str:
    done = subprocess.run(
        [helm_binary(), *args, "--namespace", NS, "--kube-context", "prod-ctx"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, **running.env),
        check=False,
    )
    assert done.returncode == 0, f"helm {' '.join(args[:2])} failed: {done.stderr.strip()}"
    return done.stdout


def selector_color(running: RunningCluster) -> str | None:
    live = running.read("v1/services", "shop")
    return None if live is None else live["spec"]["selector"].get("relui.dev/color")


def test_the_real_helm_installs_upgrades_lists_and_rolls_back_the_chart(cluster: RunningCluster) -> None:
    helm(cluster, "upgrade", "--install", "shop", str(CHART), "--set", "blue.tag=1.4.2", "--description", "first")
    blue = cluster.read("apps/v1/deployments", "shop-blue")
    assert blue is not None and blue["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.4.2")
    assert selector_color(cluster) == "blue" and cluster.read("apps/v1/deployments", "shop-green") is None
    assert cluster.read("v1/secrets", "sh.helm.release.v1.shop.v1") is not None  # helm's release storage
    helm(cluster, "upgrade", "shop", str(CHART), "--reuse-values", "--set", "green.enabled=true,green.tag=1.5.0")
    assert cluster.read("apps/v1/deployments", "shop-green") is not None
    history = json.loads(helm(cluster, "history", "shop", "--output", "json"))
    assert [(r["revision"], r["status"], r["description"]) for r in history] == [
        (1, "superseded", "first"),
        (2, "deployed", "Upgrade complete"),
    ]
    helm(cluster, "rollback", "shop", "1")
    assert cluster.read("apps/v1/deployments", "shop-green") is None  # rollback removed what revision 2 added
    history = json.loads(helm(cluster, "history", "shop", "--output", "json"))
    assert [(r["revision"], r["status"]) for r in history][-1] == (3, "deployed")
    # What helm v4 sent: server-side apply for every object, protobuf Secrets for its storage.
    applies = cluster.requests("PATCH", "/namespaces/shop-prod/")
    assert applies and {r.headers["Content-Type"] for r in applies} == {"application/apply-patch+yaml"}
    assert all(r.params.get("fieldManager") == "helm" for r in applies)
    stored = cluster.requests("POST", "/secrets") + cluster.requests("PUT", "/secrets")
    assert {r.headers["Content-Type"] for r in stored} == {"application/vnd.kubernetes.protobuf"}


def drill_ports(tmp_path: Path) -> tuple[EnvPorts, RolloutWatch]:
    config_file = tmp_path / "relui.toml"
    config_file.write_text(CONFIG.format(chart=CHART, python=sys.executable))
    config = load_config(config_file)
    ports = build_ports(config, tmp_path / "state", SystemClock())
    env_ports = ports.envs["prod"]
    return env_ports, RolloutWatch(config.env("prod"), env_ports, ports.clock)


def test_relui_drill_through_the_kubernetes_and_helm_adapters(cluster: RunningCluster, tmp_path: Path) -> None:
    ports, watch = drill_ports(tmp_path)
    releases, kube = ports.releases, ports.cluster
    seen: list[Progress] = []
    emit = seen.append

    with pytest.raises(NotFound) as missing:
        releases.values()
    assert str(missing.value) == (
        "release shop not found in namespace shop-prod; start it with: relui install prod VERSION"
    )

    # First install: blue 1.4.2, live.
    installed = releases.install(Color.BLUE, "1.4.2", "relui install 1.4.2 by alice")
    assert (installed.number, installed.status) == (1, "deployed")
    watch.wait_ready(Color.BLUE, "1.4.2", emit)
    assert kube.observed_active_color() is Color.BLUE

    # Deploy 1.5.0 to the idle color and smoke it with a command check.
    releases.deploy(Color.GREEN, "1.5.0", "relui deploy 1.5.0 to green by alice")
    assert watch.wait_ready(Color.GREEN, "1.5.0", emit).all_ready
    (smoke,) = watch.smoke(Color.GREEN, emit)
    assert smoke.passed, smoke.detail
    assert kube.observed_active_color() is Color.BLUE  # a deploy never moves traffic

    # Cutover, with the live selector read back from the Service helm applied.
    cutover = releases.set_active(Color.GREEN, "relui cutover blue->green by alice")
    watch.verify_live(Color.GREEN, emit)
    assert selector_color(cluster) == "green"
    applied = cluster.requests("PATCH", SERVICES + "shop")[-1]
    assert applied.data["spec"]["selector"]["relui.dev/color"] == "green"  # sent so, not merged so by the emulator

    # Instant rollback, then a revision rollback back to the cutover.
    releases.set_active(Color.BLUE, "relui rollback green->blue by alice")
    watch.verify_live(Color.BLUE, emit)
    releases.rollback(cutover.number, f"relui rollback to revision {cutover.number} by alice")
    assert releases.values().active_color is Color.GREEN
    watch.verify_live(Color.GREEN, emit)

    # A crash-looping deploy to the idle color fails at the first poll that sees its pods.
    before = releases.values()
    good = next(r for r in releases.history() if r.status == "deployed")
    releases.deploy(Color.BLUE, "1.6.1-crash", "relui deploy 1.6.1-crash to blue by alice")
    started = time.monotonic()
    with pytest.raises(ActionFailed) as failed:
        watch.wait_ready(Color.BLUE, "1.6.1-crash", emit)
    took = time.monotonic() - started
    assert took < 3 * POLL_SECONDS + 1, f"failure took {took:.1f}s, not one poll (deploy timeout is 120s)"
    assert "CrashLoopBackOff" in str(failed.value) and "shop-blue-" in str(failed.value)
    events = kube.warning_events(Color.BLUE)
    assert events and events[0].startswith("BackOff: Back-off restarting failed container app (shop-blue-")
    assert kube.observed_active_color() is Color.GREEN  # live traffic never moved

    # Put the idle color back on the revision it had; the next upgrade builds on that.
    restored = releases.rollback(good.number, "relui put blue back after a failed deploy by alice")
    assert releases.values() == before
    watch.wait_ready(Color.BLUE, "1.4.2", emit)
    newest = releases.history()[0]
    assert (newest.number, newest.status, newest.description) == (
        restored.number,
        "deployed",
        f"Rollback to {good.number}",
    )
    # No helm call of relui waited on the rollout: helm never watched anything.
    assert not [r for r in cluster.requests("GET") if r.params.get("watch")]
