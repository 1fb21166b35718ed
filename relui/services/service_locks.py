"""Taking, renewing, releasing and taking over an environment's operator lock.

The lock's holder is ``principal@host`` (see ``locks``): the verified
principal where the environment's identity is verified, so the same person on
two hosts holds two different locks and claiming a name releases nothing.
Only the holder releases it; another principal takes it over only with
``--force`` and a reason, which is journaled. A lock an action took for itself and whose process died on
this host is stale and released by anyone. Read-only mode changes no lock.
"""

from __future__ import annotations

import contextlib

from relui.domain import LockInfo, Remedy, RemedyKind
from relui.ports import LockHeld, PortError
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.locks import holder_name, holds, lock_owner, this_host
from relui.services.text import one_line


class LockRefused(Exception):
    """A lock change that is not allowed; the message is one line saying why, ``remedy`` the way out if any."""

    def __init__(self, message: str, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.remedy = remedy


class LockService:
    """Lock operations of one Context, journaled."""

    def __init__(self, ctx: Context, journal: Journal) -> None:
        self.ctx = ctx
        self.journal = journal

    def holder(self, env: str) -> str:
        """The holder string this operator's locks of ``env`` carry: the principal and this host."""
        return holder_name(self.ctx.principal(env).principal, this_host())

    def _holds(self, env: str, holder: str) -> bool:
        return holds(self.ctx, env, holder)

    def _refuse_unverified(self, env: str) -> None:
        refusal = self.ctx.identity_refusal(env)
        if refusal:
            raise LockRefused(refusal)

    def _refuse_read_only(self) -> None:
        if self.ctx.read_only:
            raise LockRefused("read-only mode: relui changes no lock")

    def _check_role(self, env: str) -> None:
        self._refuse_unverified(env)
        if not self.ctx.may(env, "lock"):
            roles = ", ".join(self.ctx.roles_on(env)) or "none"
            raise LockRefused(f"{self.ctx.operator_on(env)} (roles: {roles}) may not change the {env} lock")

    def take(self, env: str) -> LockInfo:
        """Take (or renew) the lock; raises LockHeld when someone else holds it."""
        name = self.ctx.env(env).name
        self._refuse_read_only()
        self._check_role(name)
        cluster = self.ctx.env_ports(name).cluster
        current = cluster.lock()
        if current is not None and lock_owner(current.holder).dead_on(this_host()):
            cluster.release_lock(current.holder)
        holder = self.holder(name)
        renewing = current is not None and current.holder == holder
        operator, who = self.ctx.operator_on(name), self._who(name)
        if not renewing:
            # Journaled before the cluster is asked: killed once it granted the lock, the journal still names it.
            self.journal.note(operator, name, "lock", "taking", holder=holder, **who)
        try:
            info = self._acquire(name, holder, renewing=renewing)
        except PortError as exc:
            if not renewing:
                with contextlib.suppress(PortError):
                    self.journal.note(operator, name, "lock", "failed", holder=holder, message=str(exc))
            raise
        try:
            self.journal.note(operator, name, "lock", holder=holder, **who)
        except PortError:
            # Not journaled, not held: a full disk must not leave a lock nobody's journal names.
            if not renewing:
                with contextlib.suppress(PortError):
                    cluster.release_lock(holder)
            raise
        return info

    def _acquire(self, env: str, holder: str, *, renewing: bool = False) -> LockInfo:
        """Acquire, and when that fails give back what it may have taken, so no lock is held unjournaled.

        An acquire can take effect and still fail (the answer was lost, the connection
        reset after the write): the operator, told it failed, would never release it.
        A failed renewal leaves the lock as it was.
        """
        try:
            return self.ctx.env_ports(env).cluster.acquire_lock(holder)
        except LockHeld:
            raise  # refused: nothing was taken
        except PortError:
            if not renewing:
                self.release_quietly(env, holder)
            raise

    def renew(self, env: str) -> LockInfo:
        """Keep a held lock alive (a running TUI does this); not journaled, raises LockHeld if lost."""
        name = self.ctx.env(env).name
        self._refuse_read_only()
        return self.ctx.env_ports(name).cluster.acquire_lock(self.holder(name))

    def release(self, env: str, *, force: bool = False, reason: str = "") -> str:
        """Release our lock, a dead action's stale lock, or (forced, with a reason) another operator's."""
        name = self.ctx.env(env).name
        self._refuse_read_only()
        self._check_role(name)
        cluster = self.ctx.env_ports(name).cluster
        current = cluster.lock()
        if current is None:
            return f"{name} has no lock to release"
        owner = lock_owner(current.holder)
        if self._holds(name, current.holder):
            self._journaled_release(name, current.holder, "ok", **self._who(name))
            return f"released the lock of {name}"
        if owner.dead_on(this_host()):
            self._journaled_release(name, current.holder, "stale")
            return f"released the stale lock of {owner.label} on {name} (its process ended)"
        if not force:
            raise LockRefused(
                f"the {name} lock is held by {owner.label} since {current.since:%Y-%m-%d %H:%M} UTC",
                Remedy(RemedyKind.UNLOCK_FORCE, name),
            )
        why = one_line(reason)
        if not why:
            raise LockRefused(f"taking over {owner.label}'s lock of {name} needs --reason saying why")
        holder = self.holder(name)
        who = self._who(name)
        self.journal.note(
            self.ctx.operator_on(name), name, "unlock", "forced", holder=current.holder, reason=why, **who
        )
        cluster.release_lock(current.holder)
        self._acquire(name, holder)
        self.journal.note(self.ctx.operator_on(name), name, "lock", holder=holder, **who)
        return f"took over the lock of {name} from {owner.label}: {holder} holds it now (journaled)"

    def _journaled_release(self, env: str, holder: str, status: str, **detail: str) -> None:
        """Journal the unlock, then release: a journal that cannot be written leaves the lock held, and says so."""
        self.journal.note(self.ctx.operator_on(env), env, "unlock", status, holder=holder, **detail)
        try:
            self.ctx.env_ports(env).cluster.release_lock(holder)
        except PortError as exc:
            with contextlib.suppress(PortError):
                self.journal.note(self.ctx.operator_on(env), env, "unlock", "failed", holder=holder, message=str(exc))
            raise

    def _who(self, env: str) -> dict[str, str]:
        """The journal's record of who acted: the principal and how it was verified."""
        principal = self.ctx.principal(env)
        return {"principal": principal.principal, "verified_by": principal.how}

    def release_quietly(self, env: str, holder: str) -> None:
        """Give back the lock an action took for itself; a failure is journaled, never raised."""
        try:
            self.ctx.env_ports(env).cluster.release_lock(holder)
        except PortError as exc:
            with contextlib.suppress(PortError):  # the lock expires with its lease; status shows it meanwhile
                self.journal.note(self.ctx.operator_on(env), env, "unlock", "failed", message=str(exc))
