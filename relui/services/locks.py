"""Who holds an operator lock: the user, the host and, for an action's own lock, the process.

A lock's holder is one string in the cluster (a Kubernetes Lease's
holderIdentity, the sandbox world's lock). relui writes ``principal@host`` for
a lock an operator takes (the verified principal: an STS ARN, a Kubernetes
username, else the local name), and ``user@host#pid`` for the lock an action
takes for itself, so a lock left behind by a process that was killed on this host
can be recognised and taken over at once instead of blocking everyone until
its lease runs out.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relui.domain import LockInfo
    from relui.services.context import Context


@dataclass(frozen=True)
class LockOwner:
    """A lock holder string, taken apart."""

    user: str
    host: str = ""
    pid: int | None = None

    @property
    def label(self) -> str:
        """How the holder is shown: ``ops@bastion-1``."""
        return f"{self.user}@{self.host}" if self.host else self.user

    def dead_on(self, host: str) -> bool:
        """True when this is an action's lock from ``host`` whose process no longer runs."""
        if self.pid is None or not host or self.host != host:
            return False
        return not pid_alive(self.pid)


def lock_owner(holder: str) -> LockOwner:
    """Parse ``user``, ``user@host`` or ``user@host#pid`` (a principal may hold an ``@`` itself)."""
    user, at, rest = holder.rpartition("@")
    if not at:
        return LockOwner(holder)
    host, _, pid = rest.partition("#")
    return LockOwner(user, host, int(pid) if pid.isdigit() else None)


def held_by(owner: LockOwner, names: tuple[str, ...], host: str) -> bool:
    """True when the lock is one of ``names`` on this host: the same principal elsewhere is another holder."""
    return owner.user in names and (not owner.host or not host or owner.host == host)


def holds(ctx: Context, env: str, holder: str) -> bool:
    """Whether ``holder`` is this operator on this host: on ``env``, by its principal or its relui user there."""
    return held_by(lock_owner(holder), (ctx.principal(env).principal, ctx.operator_on(env)), this_host())


def lock_now(ctx: Context, env: str) -> tuple[LockInfo | None, bool]:
    """``env``'s lock as its store has it now (not at the last refresh), and whether this operator holds it."""
    lock = ctx.env_ports(env).cluster.lock()
    return lock, lock is not None and holds(ctx, env, lock.holder)


def holder_name(user: str, host: str, pid: int | None = None) -> str:
    """The holder string relui writes for a lock."""
    return f"{user}@{host}" + (f"#{pid}" if pid is not None else "")


def this_host() -> str:
    """This machine's name, as lock holders record it."""
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
