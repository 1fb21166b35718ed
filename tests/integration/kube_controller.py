"""A running API server for helm and relui: the emulator on its own loop, and a test controller.

``running_cluster()`` starts ``ClusterEmulator`` with ``kmock.Server`` on
127.0.0.1 in a background thread (so the test body, relui and helm can be
plain blocking code), writes a kubeconfig pointing at it, and starts
``DeploymentController``: a thread that plays the Deployment controller and
the kubelet over HTTP, like a real one. Each Deployment gets its
``replicas`` pods, replaced when its pod template changes; a pod whose image
tag contains ``crash`` crash-loops (``CrashLoopBackOff``, 5 restarts, a
``BackOff`` warning event), one whose tag contains ``unschedulable`` stays
Pending (``PodScheduled=False``, reason ``Unschedulable``), every other pod is
Ready. The controller fills in Deployment status. Its requests carry the
user agent ``CONTROLLER_AGENT`` so assertions on relui's and helm's requests
can leave them out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kmock

from tests.integration.kube_emulator import ClusterEmulator
from tests.integration.kube_fixtures import NS, write_kubeconfig

CONTROLLER_AGENT = "relui-test-controller"
TICK_SECONDS = 0.05
START_TIMEOUT = 10.0
OWNER_LABEL = "test.relui.dev/deployment"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def pod_for(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    """The pod the kubelet would report for one replica of ``deployment``."""
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    tag = _tag(container["image"])
    labels = {**(template.get("metadata") or {}).get("labels", {}), OWNER_LABEL: deployment["metadata"]["name"]}
    status: dict[str, Any]
    if "unschedulable" in tag:
        status = {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient cpu.",
                },
            ],
        }
    else:
        crash = "crash" in tag
        state = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}}
        status = {
            "phase": "Running",
            "startTime": _now(),
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "False" if crash else "True"},
            ],
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container["image"],
                    "imageID": "",
                    "ready": not crash,
                    "restartCount": 5 if crash else 0,
                    "state": state if crash else {"running": {"startedAt": _now()}},
                }
            ],
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": template["spec"],
        "status": status,
    }


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


class DeploymentController:
    """Turns Deployments into pods and Deployment status, over the API, every ``TICK_SECONDS``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-deployment-controller", daemon=True)

    def start(self) -> None:
        """Start reconciling in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"User-Agent": CONTROLLER_AGENT, "Content-Type": content_type, "Accept": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read() or b"null")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(TICK_SECONDS)

    def reconcile(self) -> None:
        """One pass: pods for every Deployment, none for a deleted one, status filled in."""
        deployments = self._request("GET", f"/apis/apps/v1/namespaces/{NS}/deployments")["items"]
        pods = self._request("GET", f"/api/v1/namespaces/{NS}/pods")["items"]
        wanted: set[str] = set()
        for deployment in deployments:
            name = deployment["metadata"]["name"]
            template = json.dumps(deployment["spec"]["template"], sort_keys=True).encode()
            digest = hashlib.sha1(template, usedforsecurity=False).hexdigest()[:8]
            replicas = int(deployment["spec"].get("replicas", 1))
            names = [f"{name}-{digest}-{i}" for i in range(replicas)]
            wanted.update(names)
            have = {p["metadata"]["name"]: p for p in pods}
            mine = []
            for pod_name in names:
                if pod_name not in have:
                    created = pod_for(deployment, pod_name)
                    self._request("POST", f"/api/v1/namespaces/{NS}/pods", created)
                    self._warn_if_crashing(created)
                    have[pod_name] = created
                mine.append(have[pod_name])
            self._set_status(deployment, replicas, sum(1 for p in mine if _ready(p)))
        for pod in pods:
            owned = (pod["metadata"].get("labels") or {}).get(OWNER_LABEL)
            if owned and pod["metadata"]["name"] not in wanted:
                self._request("DELETE", f"/api/v1/namespaces/{NS}/pods/{pod['metadata']['name']}")

    def _warn_if_crashing(self, pod: dict[str, Any]) -> None:
        waiting = [s["state"].get("waiting") for s in pod["status"].get("containerStatuses", [])]
        if not any(w and w.get("reason") == "CrashLoopBackOff" for w in waiting):
            return
        name = pod["metadata"]["name"]
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.backoff", "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": name, "namespace": NS},
            "reason": "BackOff",
            "message": "Back-off restarting failed container app",
            "type": "Warning",
            "lastTimestamp": _now(),
        }
        self._request("POST", f"/api/v1/namespaces/{NS}/events", event)

    def _set_status(self, deployment: dict[str, Any], replicas: int, ready: int) -> None:
        generation = deployment["metadata"].get("generation", 1)
        done = ready == replicas
        status = {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": replicas - ready,
            "conditions": [
                {"type": "Available", "status": "True" if done else "False"},
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
                },
            ],
        }
        if deployment.get("status") == status:
            return
        path = f"/apis/apps/v1/namespaces/{NS}/deployments/{deployment['metadata']['name']}/status"
        self._request("PATCH", path, {"status": status}, content_type="application/merge-patch+json")


@dataclass
class RunningCluster:
    """The emulator serving on loopback, its kubeconfig, and the controller keeping pods."""

    emulator: ClusterEmulator
    url: str
    kubeconfig: Path
    controller: DeploymentController
    loop: asyncio.AbstractEventLoop
    env: dict[str, str] = field(default_factory=dict)

    def requests(self, method: str | None = None, path_part: str = "") -> list[Any]:
        """Requests from helm and relui (not the controller), optionally one method and path fragment."""

        async def collect() -> list[Any]:
            return [
                r
                for r in list(self.emulator)
                if r.headers.get("User-Agent") != CONTROLLER_AGENT
                and (method is None or r.method.value == method.upper())
                and path_part in r.url.path
            ]

        return asyncio.run_coroutine_threadsafe(collect(), self.loop).result(timeout=10)

    def read(self, resource: str, name: str) -> dict[str, Any] | None:
        """One stored object as JSON (None when absent), read on the emulator's loop."""

        async def read() -> dict[str, Any] | None:
            key = (kmock.resource(resource), NS, name)
            if key in self.emulator.objects and not self.emulator.objects[key].deleted:
                raw: dict[str, Any] = json.loads(json.dumps(self.emulator.objects[key].raw))
                return raw
            return None

        return asyncio.run_coroutine_threadsafe(read(), self.loop).result(timeout=10)


@contextmanager
def running_cluster(directory: Path) -> Iterator[RunningCluster]:
    """Serve the emulator on 127.0.0.1 in a thread; fail (never skip) when it cannot start."""
    started = threading.Event()
    stop: asyncio.Event | None = None
    box: dict[str, Any] = {}

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        try:
            async with ClusterEmulator() as emulator, kmock.Server(emulator, host="127.0.0.1") as server:
                emulator.resources.load_bundled()
                box.update(emulator=emulator, url=str(server.url), loop=asyncio.get_running_loop())
                started.set()
                await stop.wait()
        except Exception as exc:  # reported to the test that waits for the start
            box["error"] = exc
            started.set()
            raise

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name="kube-emulator", daemon=True)
    thread.start()
    if not started.wait(START_TIMEOUT) or "error" in box:
        raise RuntimeError(f"the kube emulator did not start on 127.0.0.1: {box.get('error', 'timed out')}")
    kubeconfig = write_kubeconfig(directory / "kubeconfig", box["url"])
    controller = DeploymentController(box["url"])
    controller.start()
    helm_home = directory / "helm-home"
    env = {
        "KUBECONFIG": str(kubeconfig),
        "HELM_CACHE_HOME": str(helm_home / "cache"),
        "HELM_CONFIG_HOME": str(helm_home / "config"),
        "HELM_DATA_HOME": str(helm_home / "data"),
    }
    try:
        yield RunningCluster(box["emulator"], box["url"], kubeconfig, controller, box["loop"], env)
    finally:
        controller.stop()
        loop = box["loop"]
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
