"""What every service call needs: config, state dir, ports, who is acting.

Both faces build one of these (the CLI per command, the TUI at start-up) and
hand it to the services; nothing below reads globals or the environment.
Who is acting is resolved once per environment touched (``relui.identity``)
and kept in ``principals``. ``operator_on(env)`` is the relui user acting on
one environment: every record and check of that environment uses it.
``operator`` is one name for the whole session (the header, a drill): with
several environments it is the first verified one's, which on another
environment may be nobody's name there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from relui.config import Config, EnvironmentConfig
from relui.domain import Principal, Remedy, RemedyKind
from relui.ports import Clock, EnvPorts, Ports


@dataclass
class Context:
    """The configured world one operator acts in."""

    config: Config
    state_dir: Path
    ports: Ports
    operator: str
    read_only: bool = False
    # Per environment name; an environment missing here acts as the local, unverified operator.
    principals: dict[str, Principal] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        """The world's clock (wall clock, or a manual one in tests and drills)."""
        return self.ports.clock

    def env(self, name: str) -> EnvironmentConfig:
        """An environment's config by name; ConfigError lists the known ones."""
        return self.config.env(name)

    def env_ports(self, name: str) -> EnvPorts:
        """An environment's ports by name."""
        return self.ports.envs[self.config.env(name).name]

    @property
    def operator_roles(self) -> tuple[str, ...]:
        """The roles config grants the operator (by name; ``roles_on`` for one environment)."""
        return self.config.roles_of(self.operator)

    def principal(self, env: str) -> Principal:
        """Who acts on ``env``, and how relui knows."""
        name = self.config.env(env).name
        found = self.principals.get(name)
        if found is not None:
            return found
        roles = self.config.roles_of(self.operator)
        return Principal(self.operator, self.operator, how="local operator name (unverified)", roles=roles)

    def operator_on(self, env: str) -> str:
        """The relui user acting on ``env``: its principal's user (verified, or the local name where it is not).

        Not ``operator``: in the TUI that was the first verified environment's
        user, so a DEV account that maps to nobody put its ARN on PROD's
        journal, and PROD's deployer and approver checks compared that name.
        """
        return self.principal(env).user

    def roles_on(self, env: str) -> tuple[str, ...]:
        """The operator's roles on ``env``: the verified mapping where the identity is not local."""
        principal = self.principal(env)
        if principal.kind == "local":
            return self.config.roles_of(principal.user)
        # A dark source proved nothing: the claimed roles count only where the identity guard lets them (rollback).
        return principal.roles if principal.verified or principal.dark else ()

    def may(self, env: str, action: str) -> bool:
        """Whether the operator's roles on ``env`` allow ``action`` ([permissions])."""
        allowed = self.config.permissions.get(action, ("devops",))
        return any(role in allowed for role in self.roles_on(env))

    def identity_refusal(self, env: str) -> str | None:
        """Why ``env`` refuses this operator's identity (protected, unverified, not allowed), or None."""
        cfg = self.config.env(env)
        principal = self.principal(cfg.name)
        if not cfg.protected or principal.verified or cfg.identity.allow_unverified:
            return None
        refusal, remedy = unverified_refusal(cfg, principal)
        # Checklist, attestation and lock refusals stay one CLI-worded line (both faces print it as is).
        return refusal + (f"; see: relui whoami {cfg.name}" if remedy else "")


def unverified_refusal(env: EnvironmentConfig, principal: Principal) -> tuple[str, Remedy | None]:
    """Why a protected environment refuses an unverified identity and the fix in words, and the remedy if any."""
    if env.identity.kind == "local":
        fix = f'set [environments.identity] kind = "aws" or "kubernetes" for {env.name}'
        remedy = None
    else:
        fix = "log in again (aws sso login, a fresh kubeconfig) and retry"
        remedy = Remedy(RemedyKind.WHOAMI, env.name)
    return f"{env.name} is protected and {principal.user} is not verified ({principal.how}); {fix}", remedy
