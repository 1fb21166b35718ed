"""The team settings of relui's config: where records live, how identity is verified, who may sign.

Their types, and the readers of ``[environments.records]``, ``[environments.identity]``,
``[identity]`` and ``[signing]`` (``config_reader`` calls them with its ``fail``,
which names the file, line and key of a bad value).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from relui.tomlpath import KeyPath, Table

IDENTITY_KINDS = ("local", "aws", "kubernetes")
Fail = Callable[[KeyPath, str], NoReturn]


@dataclass(frozen=True)
class RecordsConfig:
    """Where an environment's records live when not in the state dir: an S3 bucket and prefix."""

    url: str  # s3://bucket/prefix
    bucket: str
    prefix: str = ""
    retain_days: int | None = None  # S3 Object Lock retention of each journal record


@dataclass(frozen=True)
class IdentityConfig:
    """How an environment learns who acts: ``local`` env vars (unverified), ``aws`` STS, ``kubernetes``."""

    kind: str = "local"
    # A protected environment refuses an unverified identity unless this says otherwise (the sandbox's PROD).
    allow_unverified: bool = False
    # kubernetes: the API server a SelfSubjectReview must reach, and the CA its certificate must chain to.
    # Both come from the config only, so no KUBECONFIG (or proxy) can pick the server that vouches.
    api_server: str | None = None
    certificate_authority: str | None = None  # an absolute path to a PEM file


@dataclass(frozen=True)
class IdentityUser:
    """One ``[[identity.users]]`` entry: a verified principal pattern and the relui user it is."""

    name: str
    arn: str | None = None  # fnmatch pattern over the STS ARN
    kube_user: str | None = None
    kube_group: str | None = None
    roles: tuple[str, ...] | None = None  # None: the user's [roles] entry


@dataclass(frozen=True)
class IdentityMapping:
    """``[identity]``: verified principals mapped to relui users, and the pipeline's OIDC role."""

    users: tuple[IdentityUser, ...] = ()
    pipeline_role: str | None = None  # fnmatch pattern over the STS ARN of the pipeline's role


@dataclass(frozen=True)
class SigningConfig:
    """``[signing]``: who may sign approvals (allowed_signers) and the key this user signs with."""

    allowed_signers: str | None = None
    key: str | None = None


def read_identity(env: Table, t: Table | None, fail: Fail, base: Path) -> IdentityConfig:
    """The identity source; a sandbox with the local one is a rehearsal and accepts unverified names.

    ``base`` is the config file's directory, which ``certificate_authority`` is relative to.
    """
    sandbox = env.data.get("kind") == "sandbox"
    if t is None:
        return IdentityConfig(allow_unverified=sandbox)
    kind = t.choice("kind", IDENTITY_KINDS, "local")
    api_server, authority = _api_server(t, fail, base) if kind == "kubernetes" else (None, None)
    cfg = IdentityConfig(
        kind=kind,
        allow_unverified=t.flag("allow_unverified", sandbox and kind == "local"),
        api_server=api_server,
        certificate_authority=authority,
    )
    if cfg.kind == "aws" and env.data.get("aws") is None:
        fail(t.path.key("kind"), 'kind = "aws" asks STS through [environments.aws]; add its region')
    t.done()
    return cfg


def _api_server(t: Table, fail: Fail, base: Path) -> tuple[str, str | None]:
    """The pinned API server of a ``kubernetes`` identity, and the CA file an https one is checked against."""
    url: str | None = t.text("api_server")
    if url is None:
        fail(
            t.path.key("api_server"),
            'kind = "kubernetes" needs the API server that answers who acts (api_server = "https://..."): '
            "a KUBECONFIG alone can point at any server",
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is no number, or out of range, raises here and not at first use
    except ValueError as exc:
        fail(t.path.key("api_server"), f"{url!r} is no URL ({exc})")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        example = "https://ABC.gr7.eu-central-1.eks.amazonaws.com"
        fail(t.path.key("api_server"), f'expected a URL like "{example}", got {url!r}')
    ca = t.file("certificate_authority", base)
    if parts.scheme == "http":
        if not _loopback(parts.hostname):
            fail(t.path.key("api_server"), f"{url!r} is plain http: anyone on the way could answer; use https")
        if ca is not None:
            fail(t.path.key("certificate_authority"), "a plain http api_server has no certificate to check; use https")
        return url.rstrip("/"), None
    if ca is None:
        fail(
            t.path.key("certificate_authority"),
            "an https api_server needs the PEM file of the cluster's CA (for EKS: aws eks describe-cluster "
            "--query cluster.certificateAuthority.data --output text | base64 -d > prod-ca.pem)",
        )
    return url.rstrip("/"), ca


def _loopback(host: str) -> bool:
    """True for localhost and loopback addresses: an emulator on this machine, as tests and rehearsals run."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_identity_mapping(t: Table | None, fail: Fail) -> IdentityMapping:
    """[[identity.users]]: each entry names exactly one of arn, kube_user, kube_group."""
    if t is None:
        return IdentityMapping()
    users = []
    for u in t.tables("users"):
        user = IdentityUser(
            name=u.text("name", required=True),
            arn=u.text("arn"),
            kube_user=u.text("kube_user"),
            kube_group=u.text("kube_group"),
            roles=u.texts("roles", None) if "roles" in u.data else None,
        )
        if sum(x is not None for x in (user.arn, user.kube_user, user.kube_group)) != 1:
            fail(u.path, "an identity user needs exactly one of arn, kube_user or kube_group")
        users.append(user)
        u.done()
    cfg = IdentityMapping(users=tuple(users), pipeline_role=t.text("pipeline_role"))
    t.done()
    return cfg


def read_signing(t: Table | None) -> SigningConfig:
    """[signing]: the allowed_signers file and this user's key."""
    if t is None:
        return SigningConfig()
    cfg = SigningConfig(allowed_signers=t.text("allowed_signers"), key=t.text("key"))
    t.done()
    return cfg


def read_records(t: Table, fail: Fail) -> RecordsConfig:
    """[environments.records]: an s3://bucket/prefix url and the Object Lock retention."""
    url = t.text("url", required=True)
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*?))?/?", url)
    if match is None:
        fail(t.path.key("url"), f'expected "s3://bucket/prefix", got {url!r}')
    days = t.num("retain_days", 0, minimum=0, maximum=36500, integer=True)
    cfg = RecordsConfig(url=url, bucket=match.group(1), prefix=match.group(2) or "", retain_days=days or None)
    t.done()
    return cfg
