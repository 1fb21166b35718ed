"""Who is acting on each environment: the Identity adapter its config names, and the mapping to relui users.

``[environments.identity] kind`` picks the adapter (``local`` env vars,
``aws`` STS, ``kubernetes`` SelfSubjectReview). A verified principal becomes a
relui user through ``[[identity.users]]`` (an ARN fnmatch pattern, a
Kubernetes username or group); its roles are the entry's ``roles``, else the
user's ``[roles]`` entry. A verified principal no entry names is itself the
user, with no roles. An identity source that fails leaves the environment
with the local name, unverified and without roles, and says why in ``how``.

This module sits beside ``backends``: it imports adapters, services never do.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import replace

from relui.adapters.deadline import guard
from relui.adapters.identity_local import LocalIdentity, os_login
from relui.config import Config, EnvironmentConfig
from relui.config_team import IdentityUser
from relui.domain import Principal
from relui.ports import Identity, PortError, SourceUnavailable

IDENTITY_DEADLINE = 20.0


def identity_port(env: EnvironmentConfig, *, kubeconfig: str | None = None) -> Identity:
    """The environment's Identity adapter, behind the deadline guard."""
    kind = env.identity.kind
    port: Identity
    if kind == "aws" and env.aws is not None:
        from relui.adapters.identity_aws import AwsIdentity

        port, source = AwsIdentity.of(env.aws), f"aws sts of {env.name}"
    elif kind == "kubernetes":
        from relui.adapters.identity_kube import KubeIdentity

        port, source = KubeIdentity(env, kubeconfig=kubeconfig), f"kubernetes identity of {env.name}"
    else:
        return LocalIdentity()
    guarded: Identity = guard(port, source, "identity", default=IDENTITY_DEADLINE)
    return guarded


def resolve_identity(
    config: Config, env: EnvironmentConfig, *, port: Identity | None = None, kubeconfig: str | None = None
) -> Principal:
    """Who acts on ``env``: asked of its identity source once, mapped to a relui user; never raises."""
    local = LocalIdentity().whoami()
    kind = env.identity.kind
    if kind == "local":
        return replace(local, roles=config.roles_of(local.user))
    try:
        raw = (port or identity_port(env, kubeconfig=kubeconfig)).whoami()
    except PortError as exc:
        if isinstance(exc, SourceUnavailable):
            # Dark: the source could not be asked (unreachable, hung, failing). A rollback may still go
            # ahead, and every other guard refuses, with the roles of the OS login: the kernel's word, not
            # a name one sets. One's own environment can make a source dark (a dead HTTPS_PROXY, a
            # HOSTALIASES file), and with $RELUI_USER's roles anyone on a bastion rolled PROD back as ops.
            login = os_login()
            return Principal(
                login,
                login,
                verified=False,
                how=f"{kind} identity not verified: {exc}; the roles of the OS login {login} count",
                roles=config.roles_of(login),
                kind=kind,
                dark=True,
            )
        # A source that answered (no credentials, expired or rejected ones, RBAC) proved nothing: no roles
        # at all, or anyone could unset their keys and roll back PROD under a name they chose.
        return Principal(
            local.principal, local.user, verified=False, how=f"{kind} identity not verified: {exc}", kind=kind
        )
    return map_principal(config, replace(raw, kind=kind))


def map_principal(config: Config, raw: Principal) -> Principal:
    """A verified principal as the relui user ``[[identity.users]]`` names, with that user's roles."""
    if not raw.verified:
        return replace(raw, roles=())
    entry = _entry(config.identity.users, raw)
    if entry is None:
        return replace(raw, user=raw.principal, roles=(), how=f"{raw.how}; no [[identity.users]] entry names it")
    roles = entry.roles if entry.roles is not None else config.roles_of(entry.name)
    return replace(raw, user=entry.name, roles=roles)


def _entry(users: Iterable[IdentityUser], raw: Principal) -> IdentityUser | None:
    for user in users:
        if raw.kind == "aws" and user.arn is not None and fnmatch.fnmatchcase(raw.principal, user.arn):
            return user
        if raw.kind == "kubernetes" and (
            (user.kube_user is not None and user.kube_user == raw.principal)
            or (user.kube_group is not None and user.kube_group in raw.groups)
        ):
            return user
    return None


def resolve_principals(config: Config, names: Iterable[str] | None = None) -> dict[str, Principal]:
    """The principal of each named environment (every one when ``names`` is None), one source call each."""
    envs = [config.env(n) for n in names] if names is not None else list(config.environments)
    kubeconfig = os.environ.get("KUBECONFIG")
    return {env.name: resolve_identity(config, env, kubeconfig=kubeconfig) for env in envs}


def operator_of(principals: dict[str, Principal], fallback: str) -> str:
    """The relui user acting: the first verified principal's user, else the local name."""
    verified = [p.user for p in principals.values() if p.verified]
    return verified[0] if verified else fallback
