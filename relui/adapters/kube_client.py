"""Talking to the Kubernetes API: loading the client, reading pods, one-line errors.

The plumbing under ``relui.adapters.kubernetes``: which kubeconfig and context
(or the in-cluster service account) the client uses, how a pod's container
states become a ``PodHealth``, and how API and transport failures become
``PortError`` lines an operator can act on.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from relui.config import EnvironmentConfig
from relui.domain import Color, PodHealth
from relui.ports import NotFound, PortError, SourceUnavailable

_USER = re.compile(r'User "([^"]+)"')
# Waiting reasons a container does not leave by itself: a deploy stops at the first poll that sees one.
HOPELESS_WAITING = (
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
)


def load_api_client(env: EnvironmentConfig, kubeconfig: str | None = None) -> client.ApiClient:
    """An API client for the environment's context, or the in-cluster account with no kubeconfig."""
    return client.ApiClient(load_configuration(env, kubeconfig))


def _kubeconfig_path(kubeconfig: str | None) -> str:
    return kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"


def in_cluster(kubeconfig: str | None = None) -> bool:
    """True when the client takes the in-cluster service account: no kubeconfig file, KUBERNETES_SERVICE_HOST set."""
    files = [Path(p).expanduser() for p in _kubeconfig_path(kubeconfig).split(os.pathsep) if p]
    return not any(f.is_file() for f in files) and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def load_configuration(env: EnvironmentConfig, kubeconfig: str | None = None) -> client.Configuration:
    """The client settings of the environment's context (server, TLS, credentials), or the in-cluster account's."""
    path = _kubeconfig_path(kubeconfig)
    files = [Path(p).expanduser() for p in path.split(os.pathsep) if p]
    configuration = client.Configuration()
    # One retry for a refused or reset connection; read timeouts are not retried
    # so a hung API server costs one timeout, not several.
    configuration.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=2)
    if in_cluster(kubeconfig):
        try:
            config.load_incluster_config(client_configuration=configuration)
        except config.ConfigException as exc:
            raise PortError(f"in-cluster kubernetes config unusable: {exc}") from None
        return configuration
    if not any(f.is_file() for f in files):
        raise PortError(
            f"no kubeconfig at {path} and not running in a cluster; set KUBECONFIG or run aws eks update-kubeconfig"
        )
    try:
        config.load_kube_config(
            config_file=path, context=env.kube_context, client_configuration=configuration, persist_config=False
        )
    except (config.ConfigException, KeyError, ValueError) as exc:
        raise PortError(f"kubeconfig {path}: {one_line(exc)}; {_contexts_hint(path, env.kube_context)}") from None
    return configuration


def _contexts_hint(path: str, wanted: str | None) -> str:
    try:
        contexts, _ = config.list_kube_config_contexts(config_file=path)
    except (config.ConfigException, OSError, KeyError, ValueError):
        return "check the file"
    names = ", ".join(c["name"] for c in contexts) or "none"
    return f"kube_context = {wanted!r} must be one of: {names}" if wanted else f"contexts: {names}"


def one_line(exc: object) -> str:
    """Any message squeezed to one line of at most 300 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def image_tag(image: str | None) -> str | None:
    """The tag of ``repo[:port]/name:tag`` (None for a digest-only or untagged image)."""
    if not image:
        return None
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def pod_reason(pod: Any) -> str | None:
    """Why a pod is not ready, in the words ``kubectl get pods`` uses.

    A waiting reason that will not pass by waiting (``HOPELESS_WAITING``) wins
    over any other container's, so one crash-looping container of several is
    what the operator sees; then any waiting reason, then a terminated one,
    then an unschedulable (``PodScheduled=False``) pod's scheduler reason.
    """
    status = pod.status
    statuses = list(status.init_container_statuses or []) + list(status.container_statuses or [])
    waiting = [cs.state.waiting.reason for cs in statuses if cs.state and cs.state.waiting and cs.state.waiting.reason]
    terminated = [
        cs.state.terminated.reason
        for cs in statuses
        if cs.state and cs.state.terminated and cs.state.terminated.reason and cs.state.terminated.reason != "Completed"
    ]
    hopeless = [reason for reason in waiting if reason in HOPELESS_WAITING]
    if hopeless or waiting or terminated:
        return str((hopeless or waiting or terminated)[0])
    if (status.phase or "") == "Pending":
        scheduled = next((c for c in status.conditions or [] if c.type == "PodScheduled"), None)
        if scheduled is not None and scheduled.status == "False":
            return str(scheduled.reason or "Unschedulable")
        return "Pending"
    return None


def pod_health(pod: Any, color: Color) -> PodHealth:
    """One pod as relui shows it: ready, restarts and the reason an operator looks at."""
    status = pod.status
    statuses = list(status.container_statuses or []) + list(status.init_container_statuses or [])
    phase = status.phase or "Unknown"
    if pod.metadata.deletion_timestamp:
        phase = "Terminating"
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    containers = pod.spec.containers if pod.spec else []
    return PodHealth(
        name=pod.metadata.name,
        color=color,
        phase=phase,
        ready=ready,
        restarts=sum(cs.restart_count or 0 for cs in statuses),
        reason=pod_reason(pod),
        started_at=status.start_time,
        version=(pod.metadata.labels or {}).get("app.kubernetes.io/version") or image_tag(containers[0].image),
    )


def api_error(exc: ApiException, what: str, env: EnvironmentConfig) -> PortError:
    """An API error as one line: what failed, why, and what to do."""
    verb, _, rest = what.partition(" ")
    resource = rest.split(" ")[0] if rest else "objects"
    message = _status_message(exc)
    context = env.kube_context or "the current context"
    if exc.status == 401:
        return SourceUnavailable(
            f"kubernetes rejected the credentials of {context} (401): log in again "
            "(e.g. aws sso login, or aws eks update-kubeconfig) and retry"
        )
    if exc.status == 403:
        user = _USER.search(message)
        who = user.group(1) if user else "this user"
        return PortError(
            f"RBAC: user {who} cannot {verb} {resource} in {env.namespace}; grant it with a Role allowing "
            f"'{verb}' on {resource} (check: kubectl auth can-i {verb} {resource} -n {env.namespace})"
        )
    if exc.status == 404:
        return NotFound(f"kubernetes: {what} in {env.namespace}: not found ({message or 'no such object'})")
    if exc.status == 409:
        return PortError(f"kubernetes: {what} in {env.namespace}: conflict, changed meanwhile; retry ({message})")
    if exc.status and exc.status >= 500:
        return SourceUnavailable(f"kubernetes API error {exc.status} on {what}: {message or exc.reason}; retry later")
    return PortError(f"kubernetes: {what} in {env.namespace} failed ({exc.status} {exc.reason}): {message}")


def transport_error(exc: BaseException, server: str, env: EnvironmentConfig) -> SourceUnavailable:
    """A connection failure or timeout as one line."""
    text = str(exc).lower()
    context = env.kube_context or "the current context"
    if "timed out" in text or "timeout" in text or isinstance(exc, TimeoutError):
        why = "did not answer in time"
    elif "refused" in text:
        why = "refused the connection"
    elif "name or service not known" in text or "nodename nor servname" in text or "resolution" in text:
        why = "has a host name that does not resolve"
    else:
        why = f"is unreachable ({one_line(exc)})"
    return SourceUnavailable(f"kubernetes API {server} ({context}) {why}; check kube_context, VPN and the cluster")


def _status_message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return one_line(exc.body or "") if isinstance(exc.body, str) else ""
    return one_line(body.get("message", "")) if isinstance(body, dict) else ""
