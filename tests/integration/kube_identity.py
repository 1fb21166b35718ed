"""An API server on loopback that answers ``SelfSubjectReview`` (authentication.k8s.io/v1) per bearer token.

``kmock.KubernetesScaffold`` serves discovery; the reaction added here plays
the authenticator: it reads the request's bearer token and answers with the
username and groups that token belongs to (401 for a token it does not know),
as a real API server does for ``kubectl auth whoami``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kmock
import pytest_asyncio
import yaml

SELF_SUBJECT_REVIEWS = kmock.resource("authentication.k8s.io/v1/selfsubjectreviews")
# token -> (username, groups)
USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "t0ken-of-alice": ("alice@example.com", ("system:authenticated", "release-managers")),
    "t0ken-of-bob": ("bob@example.com", ("system:authenticated", "developers")),
}


@dataclass
class KubeAuth:
    """The running server and a kubeconfig whose contexts log in as alice and bob."""

    scaffold: kmock.KubernetesScaffold
    url: str
    kubeconfig: Path


def _review(request: Any) -> dict[str, Any]:
    token = str(request.headers.get("Authorization", "")).removeprefix("Bearer ").strip()
    username, groups = USERS.get(token, ("system:anonymous", ("system:unauthenticated",)))
    return {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": {"username": username, "uid": username, "groups": list(groups)}},
    }


def write_kubeconfig(path: Path, server: str) -> Path:
    """Contexts ``alice-ctx`` and ``bob-ctx`` on one cluster, each with its own token."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": server}}],
        "users": [{"name": name, "user": {"token": f"t0ken-of-{name}"}} for name in ("alice", "bob")],
        "contexts": [
            {"name": f"{name}-ctx", "context": {"cluster": "kmock", "user": name}} for name in ("alice", "bob")
        ],
        "current-context": "alice-ctx",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest_asyncio.fixture
async def kube_auth(tmp_path: Path) -> AsyncIterator[KubeAuth]:
    """The server on 127.0.0.1, answering SelfSubjectReview per token."""
    async with kmock.KubernetesScaffold() as scaffold, kmock.Server(scaffold, host="127.0.0.1") as server:
        scaffold.resources.load_bundled()
        scaffold["post", SELF_SUBJECT_REVIEWS] << _review
        url = str(server.url)
        yield KubeAuth(scaffold, url, write_kubeconfig(tmp_path / "kubeconfig", url))
