"""The ``Cluster`` port on the Kubernetes API (the official ``kubernetes`` client).

Pods and Deployments of a release are found by the chart's labels
``app.kubernetes.io/instance=<release>,relui.dev/color=<color>`` in the
environment's namespace; the live color is read back from the live Service's
selector; the operator lock is a ``coordination.k8s.io/v1`` Lease named
``relui-lock-<env>``. The client loads the kubeconfig context of the
environment (exec plugins such as EKS's ``aws eks get-token`` work as the
kubeconfig defines them) or, with no kubeconfig, the in-cluster service
account; it does so on first use, never in the constructor. Every call carries
``_request_timeout`` and every failure becomes a one-line ``PortError``.
"""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from relui.adapters.kube_client import api_error, image_tag, load_api_client, one_line, pod_health, transport_error
from relui.config import EnvironmentConfig
from relui.domain import Color, ColorState, Finding, LockInfo
from relui.ports import LockHeld, NotFound, PortError

INSTANCE_LABEL = "app.kubernetes.io/instance"
COLOR_LABEL = "relui.dev/color"
LEASE_SECONDS = 300
# (connect, read) seconds: long enough for an EKS API server across a VPN,
# short enough that a dead cluster does not freeze a refresh.
REQUEST_TIMEOUT: tuple[float, float] = (5.0, 15.0)
EVENTS_LIMIT = 20
MERGE_PATCH = "application/merge-patch+json"
# What relui itself does in a namespace: (verb, group, resource).
NEEDED_ACCESS = (
    ("list", "", "pods"),
    ("list", "apps", "deployments"),
    ("get", "", "services"),
    ("list", "", "events"),
    ("get", "coordination.k8s.io", "leases"),
    ("create", "coordination.k8s.io", "leases"),
    ("patch", "coordination.k8s.io", "leases"),
)


def selector(release: str, color: Color) -> str:
    """The label selector of one color's objects."""
    return f"{INSTANCE_LABEL}={release},{COLOR_LABEL}={color}"


def holder_identity(holder: str) -> str:
    """``user@host`` as the Lease records it; a bare user name gets this machine's host name."""
    return holder if "@" in holder else f"{holder}@{socket.gethostname()}"


def same_holder(recorded: str, holder: str) -> bool:
    """Whether the Lease's holder is ``holder``: the whole ``principal@host``, as the other ports compare.

    Matching the name alone let the same name on another bastion renew or
    release the lock, and ``alice@evil`` pass for ``alice@example.com``.
    """
    return recorded == holder_identity(holder)


class KubeCluster:
    """Pods, deployments, the live selector and the Lease lock of one environment."""

    def __init__(
        self,
        env: EnvironmentConfig,
        *,
        kubeconfig: str | None = None,
        request_timeout: tuple[float, float] = REQUEST_TIMEOUT,
    ) -> None:
        self.env = env
        self.lease_name = f"relui-lock-{env.name}"
        self._kubeconfig = kubeconfig
        self._timeout = request_timeout
        self._api: client.ApiClient | None = None
        self._guard = threading.Lock()

    # -- the port ---------------------------------------------------------------

    def color_states(self) -> dict[Color, ColorState]:
        """Deployment and pod health per color."""
        return {color: self._color_state(color) for color in Color}

    def observed_active_color(self) -> Color | None:
        """The color the live Service ``<release>`` selects, read back from the cluster."""
        service = self._call(
            f"get services {self.env.release}",
            self._core().read_namespaced_service,
            self.env.release,
            self.env.namespace,
        )
        selected = (service.spec.selector or {}).get(COLOR_LABEL) if service.spec else None
        if selected is None:
            return None
        if selected not in ("blue", "green"):
            raise PortError(f"live service {self.env.release} selects {COLOR_LABEL}={selected}; expected blue or green")
        return Color(selected)

    def warning_events(self, color: Color) -> list[str]:
        """Warning events of the color's objects (pods, replica sets), newest first."""
        events = self._call(
            "list events", self._core().list_namespaced_event, self.env.namespace, field_selector="type=Warning"
        )
        prefix = f"{self.env.release}-{color}-"
        mine = [e for e in events.items if (e.involved_object.name or "").startswith(prefix)]
        mine.sort(key=_event_time, reverse=True)
        return [f"{e.reason}: {one_line(e.message or '')} ({e.involved_object.name})" for e in mine[:EVENTS_LIMIT]]

    def lock(self) -> LockInfo | None:
        """The live holder of the Lease, or None (absent, released or expired)."""
        lease = self._read_lease()
        return _live_lock(lease, datetime.now(UTC)) if lease is not None else None

    def acquire_lock(self, holder: str) -> LockInfo:
        """Take or renew the Lease; LockHeld when someone else holds it and it has not expired."""
        try:
            return self._try_acquire(holder)
        except _Conflict:
            pass  # someone wrote the Lease between our read and write: look again, once
        try:
            return self._try_acquire(holder)
        except _Conflict:
            raise PortError(
                f"lock {self.lease_name} changed twice while taking it; another operator is racing you, try again"
            ) from None

    def release_lock(self, holder: str) -> None:
        """Clear the holder; a no-op when ``holder`` does not hold the Lease."""
        lease = self._read_lease()
        if lease is None or not same_holder(lease.spec.holder_identity or "", holder):
            return
        body = {"metadata": {"resourceVersion": lease.metadata.resource_version}, "spec": {"holderIdentity": None}}
        try:
            self._patch_lease(body)
        except _Conflict:
            lease = self._read_lease()  # renewed by us elsewhere, or taken over: retry only if still ours
            if lease is not None and same_holder(lease.spec.holder_identity or "", holder):
                body["metadata"] = {"resourceVersion": lease.metadata.resource_version}
                self._patch_lease(body)

    def server_version(self) -> str:
        """The API server's ``gitVersion`` from ``GET /version``.

        Not the client's ``VersionApi``: it asks ``/version/``, which some API
        servers and proxies answer with 404, while every one answers ``/version``.
        """
        api = self._client()
        body = self._call(
            "get version",
            api.call_api,
            "/version",
            "GET",
            header_params={"Accept": "application/json"},
            response_types_map={200: "object"},
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
        )
        return str(body.get("gitVersion") or "unknown") if isinstance(body, dict) else "unknown"

    # -- lease helpers ------------------------------------------------------------

    def _try_acquire(self, holder: str) -> LockInfo:
        holder, now = holder_identity(holder), datetime.now(UTC)
        lease = self._read_lease()
        if lease is None:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.lease_name, "namespace": self.env.namespace},
                "spec": _lease_spec(holder, now, now, 0),
            }
            self._lease_call("create", self._coordination().create_namespaced_lease, self.env.namespace, body)
            return LockInfo(holder, now, now)
        current = _live_lock(lease, now)
        if current is not None and current.holder != holder:
            raise LockHeld(current)
        since = current.since if current is not None else now
        transitions = (lease.spec.lease_transitions or 0) + (0 if current is not None else 1)
        body = {
            "metadata": {"resourceVersion": lease.metadata.resource_version},
            "spec": _lease_spec(holder, since, now, transitions),
        }
        self._patch_lease(body)
        return LockInfo(holder, since, now)

    def _read_lease(self) -> Any:
        try:
            return self._lease_call(
                "get", self._coordination().read_namespaced_lease, self.lease_name, self.env.namespace
            )
        except NotFound:
            return None

    def _patch_lease(self, body: dict[str, Any]) -> None:
        # A merge patch carrying metadata.resourceVersion is refused with 409 when the
        # Lease changed since we read it: optimistic concurrency without update rights.
        patch = self._coordination().patch_namespaced_lease
        self._lease_call("patch", patch, self.lease_name, self.env.namespace, body, _content_type=MERGE_PATCH)

    def _lease_call(self, verb: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call(f"{verb} leases {self.lease_name}", call, *args, conflict=True, **kwargs)

    # -- reading colors -----------------------------------------------------------

    def _color_state(self, color: Color) -> ColorState:
        labels = selector(self.env.release, color)
        apps = client.AppsV1Api(self._client())
        listed = self._call(
            "list deployments", apps.list_namespaced_deployment, self.env.namespace, label_selector=labels
        )
        deployments = [d for d in listed.items if _matches(d, self.env.release, color)]
        if not deployments:
            return ColorState(color=color, version=None, enabled=False, desired=0, ready=0)
        pods = self._call("list pods", self._core().list_namespaced_pod, self.env.namespace, label_selector=labels)
        deployment = deployments[0]
        containers = deployment.spec.template.spec.containers if deployment.spec else []
        version = (deployment.metadata.labels or {}).get("app.kubernetes.io/version") or (
            image_tag(containers[0].image) if containers else None
        )
        return ColorState(
            color=color,
            version=version,
            enabled=True,
            desired=deployment.spec.replicas if deployment.spec.replicas is not None else 1,
            ready=_ready_replicas(deployment),
            pods=tuple(
                sorted(
                    (pod_health(p, color) for p in pods.items if _matches(p, self.env.release, color)),
                    key=lambda p: p.name,
                )
            ),
        )

    # -- plumbing -----------------------------------------------------------------

    def _client(self) -> client.ApiClient:
        with self._guard:
            if self._api is None:
                self._api = load_api_client(self.env, self._kubeconfig)
            return self._api

    def _core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self._client())

    def _coordination(self) -> client.CoordinationV1Api:
        return client.CoordinationV1Api(self._client())

    def _call(self, what: str, call: Any, *args: Any, conflict: bool = False, **kwargs: Any) -> Any:
        """One API call with the request timeout; failures become one-line PortErrors."""
        try:
            return call(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            if exc.status == 409 and conflict:
                raise _Conflict(what) from None
            raise api_error(exc, what, self.env) from None
        except (urllib3.exceptions.HTTPError, TimeoutError) as exc:
            raise transport_error(exc, self._server(), self.env) from None

    def _server(self) -> str:
        return str(self._api.configuration.host) if self._api is not None else "the kubernetes API"


class _Conflict(PortError):
    """409 on a Lease write: the caller re-reads and tries once more."""


def _lease_spec(holder: str, since: datetime, renewed: datetime, transitions: int) -> dict[str, Any]:
    return {
        "holderIdentity": holder,
        "leaseDurationSeconds": LEASE_SECONDS,
        "acquireTime": _micro_time(since),
        "renewTime": _micro_time(renewed),
        "leaseTransitions": transitions,
    }


def _micro_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _live_lock(lease: Any, now: datetime) -> LockInfo | None:
    spec = lease.spec
    if spec is None or not spec.holder_identity:
        return None
    renewed = spec.renew_time or spec.acquire_time
    duration = spec.lease_duration_seconds or LEASE_SECONDS
    if renewed is not None and renewed + timedelta(seconds=duration) < now:
        return None  # abandoned: the holder stopped renewing
    return LockInfo(spec.holder_identity, spec.acquire_time or renewed or now, renewed)


def _matches(obj: Any, release: str, color: Color) -> bool:
    # Guard against a server (or proxy) that ignored the label selector: colors must never mix.
    labels = obj.metadata.labels or {}
    return bool(labels.get(INSTANCE_LABEL) == release and labels.get(COLOR_LABEL) == str(color))


def _ready_replicas(deployment: Any) -> int:
    """Ready pods of the Deployment's *current* template.

    Right after an upgrade the status still describes the old template until the
    controller observes the new generation, and during a rollout readyReplicas
    counts old pods too: neither may pass for the new version being ready.
    """
    status = deployment.status
    if status is None:
        return 0
    generation, observed = deployment.metadata.generation, status.observed_generation
    if generation is not None and observed is not None and observed < generation:
        return 0
    ready = status.ready_replicas or 0
    updated = status.updated_replicas
    return min(ready, updated) if updated is not None else ready


def _event_time(event: Any) -> datetime:
    moment = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
    return moment if isinstance(moment, datetime) else datetime.fromtimestamp(0, UTC)


def diagnose(
    env: EnvironmentConfig, *, kubeconfig: str | None = None, request_timeout: tuple[float, float] = (3.0, 5.0)
) -> list[Finding]:
    """``relui doctor``: the context answers, and RBAC allows every verb relui uses in the namespace."""
    cluster = KubeCluster(env, kubeconfig=kubeconfig, request_timeout=request_timeout)
    context = env.kube_context or "current context"
    try:
        version = cluster.server_version()
    except PortError as exc:
        detail, _, fix = str(exc).partition("; ")
        return [Finding("kubernetes", False, detail, fix or f"check kube_context {context} and the cluster")]
    findings = [Finding("kubernetes", True, f"{context}: API {version} at {cluster._server()}")]
    authz = client.AuthorizationV1Api(cluster._client())
    denied: list[str] = []
    for verb, group, resource in NEEDED_ACCESS:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {"namespace": env.namespace, "verb": verb, "group": group, "resource": resource}
            },
        }
        try:
            answer = cluster._call("create selfsubjectaccessreviews", authz.create_self_subject_access_review, review)
        except PortError as exc:
            detail, _, fix = str(exc).partition("; ")
            return [*findings, Finding("kubernetes RBAC", False, detail, fix)]
        if not (answer.status and answer.status.allowed):
            denied.append(f"{verb} {resource}" + (f".{group}" if group else ""))
    if denied:
        findings.append(
            Finding(
                "kubernetes RBAC",
                False,
                f"cannot {', '.join(denied)} in {env.namespace}",
                f"bind a Role in {env.namespace} granting: {'; '.join(denied)}",
            )
        )
    else:
        verbs = ", ".join(f"{v} {r}" for v, _, r in NEEDED_ACCESS)
        findings.append(Finding("kubernetes RBAC", True, f"allowed in {env.namespace}: {verbs}"))
    return findings
