"""A kmock Kubernetes emulator on loopback, a kubeconfig pointing at it, and seed objects.

The emulator stores objects as plain JSON and ignores label selectors, so the
tests seed objects of other colors and releases too and assert on the query
parameters the adapter sent. The adapter is synchronous: tests call it with
``asyncio.to_thread`` while the emulator serves on the event loop.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kmock
import pytest_asyncio
import yaml

PODS = kmock.resource("v1/pods")
SERVICES = kmock.resource("v1/services")
EVENTS = kmock.resource("v1/events")
DEPLOYMENTS = kmock.resource("apps/v1/deployments")
LEASES = kmock.resource("coordination.k8s.io/v1/leases")
SSAR = kmock.resource("authorization.k8s.io/v1/selfsubjectaccessreviews")
NS = "shop-prod"
TOKEN = "t0ken-of-alice"
VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.2",
    "gitCommit": "0",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def write_kubeconfig(path: Path, server: str, context: str = "prod-ctx") -> Path:
    """A kubeconfig with ``context`` (and an unrelated one) for a bearer-token user."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": server}}],
        "users": [{"name": "alice", "user": {"token": TOKEN}}],
        "contexts": [
            {"name": context, "context": {"cluster": "kmock", "user": "alice", "namespace": NS}},
            {"name": "staging-ctx", "context": {"cluster": "kmock", "user": "alice"}},
        ],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A Kubernetes ``Status`` error body."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }


def micro(moment: datetime) -> str:
    """A Kubernetes MicroTime."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def labels(color: str, release: str = "shop", version: str = "1.4.2") -> dict[str, str]:
    """The chart's labels of one color's objects."""
    return {
        "app.kubernetes.io/instance": release,
        "relui.dev/color": color,
        "app.kubernetes.io/version": version,
    }


def deployment(color: str, version: str, desired: int, ready: int, release: str = "shop") -> dict[str, Any]:
    """A Deployment as the API returns it."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{release}-{color}", "namespace": NS, "labels": labels(color, release, version)},
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"relui.dev/color": color}},
            "template": {
                "metadata": {"labels": labels(color, release, version)},
                "spec": {"containers": [{"name": "app", "image": f"registry.example.com:5000/shop:{version}"}]},
            },
        },
        "status": {"replicas": desired, "readyReplicas": ready},
    }


def pod(name: str, color: str, version: str, *, ready: bool = True, waiting: str | None = None, restarts: int = 0,
        release: str = "shop") -> dict[str, Any]:  # fmt: skip
    """A Pod as the API returns it; ``waiting`` sets the container's waiting reason."""
    state: dict[str, Any] = (
        {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": "2026-11-26T09:00:00Z"}}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels(color, release, version)},
        "spec": {"containers": [{"name": "app", "image": f"registry.example.com:5000/shop:{version}"}]},
        "status": {
            "phase": "Running",
            "startTime": "2026-11-26T09:00:00Z",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": f"shop:{version}",
                    "imageID": "",
                    "ready": ready,
                    "restartCount": restarts,
                    "state": state,
                }
            ],
        },
    }


def event(name: str, obj: str, reason: str, message: str, minutes_ago: int) -> dict[str, Any]:
    """A Warning event about an object."""
    when = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "involvedObject": {"kind": "Pod", "name": obj, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "lastTimestamp": when,
    }


def seed_release(emulator: kmock.KubernetesEmulator) -> None:
    """Blue live and healthy (1.4.2, 3/3); green deploying 1.5.0 and unhappy; a foreign release beside."""
    objects = emulator.objects
    objects[DEPLOYMENTS, NS, "shop-blue"] = deployment("blue", "1.4.2", 3, 3)
    objects[DEPLOYMENTS, NS, "shop-green"] = deployment("green", "1.5.0", 3, 1)
    objects[DEPLOYMENTS, NS, "other-blue"] = deployment("blue", "9.9.9", 1, 0, release="other")
    for i in range(3):
        objects[PODS, NS, f"shop-blue-7d9-{i}"] = pod(f"shop-blue-7d9-{i}", "blue", "1.4.2")
    objects[PODS, NS, "shop-green-5c4-0"] = pod("shop-green-5c4-0", "green", "1.5.0")
    objects[PODS, NS, "shop-green-5c4-1"] = pod(
        "shop-green-5c4-1", "green", "1.5.0", ready=False, waiting="CrashLoopBackOff", restarts=5
    )
    objects[PODS, NS, "shop-green-5c4-2"] = pod(
        "shop-green-5c4-2", "green", "1.5.0", ready=False, waiting="ImagePullBackOff"
    )
    objects[PODS, NS, "other-blue-1-0"] = pod("other-blue-1-0", "blue", "9.9.9", release="other", ready=False,
                                              waiting="ErrImagePull")  # fmt: skip
    objects[SERVICES, NS, "shop"] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "shop", "namespace": NS},
        "spec": {"selector": {"app.kubernetes.io/instance": "shop", "relui.dev/color": "blue"}},
    }
    objects[EVENTS, NS, "e1"] = event("e1", "shop-green-5c4-1", "BackOff", "Back-off restarting failed container", 1)
    objects[EVENTS, NS, "e2"] = event("e2", "shop-green-5c4-2", "Failed", "Failed to pull image shop:1.5.0", 5)
    objects[EVENTS, NS, "e3"] = event("e3", "other-blue-1-0", "Failed", "not ours", 0)
    objects[EVENTS, NS, "e4"] = event("e4", "shop-blue-7d9-0", "Unhealthy", "Readiness probe failed", 3)


@dataclass
class Kube:
    """The running emulator and a kubeconfig that reaches it."""

    emulator: kmock.KubernetesEmulator
    url: str
    kubeconfig: Path


@pytest_asyncio.fixture
async def kube(tmp_path: Path) -> AsyncIterator[Kube]:
    """An emulator with the builtin resources and the seeded release, on 127.0.0.1."""
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator, host="127.0.0.1") as server:
        emulator.resources.load_bundled()
        seed_release(emulator)
        yield Kube(emulator, str(server.url), write_kubeconfig(tmp_path / "kubeconfig", str(server.url)))
