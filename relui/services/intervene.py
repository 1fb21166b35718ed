"""Stepping into a release from outside the action: abort what runs, approve a break-glass.

``abort`` stops an in-flight deploy or smoke started by any relui process
sharing this state: the running action notices within one poll, puts the
idle color back on the revision it had before and ends ``aborted``. A
traffic switch (cutover, rollback) is never stopped midway. ``approve`` is a
second person's break-glass approval, journaled, for one forced action.
"""

from __future__ import annotations

import time

from relui.services.approvals import (
    Approval,
    ApprovalError,
    approval_detail,
    new_approval,
    sign_approval,
)
from relui.services.problems import Problem, ServiceError
from relui.services.release import ReleaseService
from relui.services.signing import SigningError
from relui.services.stopping import how_it_ended
from relui.services.text import InvalidInput, one_line, validate_version
from relui.services.turns import PREEMPT_SECONDS


class InterventionRefused(ServiceError):
    """An abort or approval that is not allowed; the message says why.

    ``Problem.REFUSED``, except an approval that cannot be signed (the signing setup's problem, or ssh-keygen's).
    """

    def __init__(self, message: str, problem: Problem = Problem.REFUSED) -> None:
        super().__init__(message, problem)


def abort(service: ReleaseService, env: str, reason: str = "", wait_seconds: float = PREEMPT_SECONDS) -> str:
    """Ask the running action of ``env`` to stop and wait until it has; returns what happened."""
    ctx = service.ctx
    name = ctx.env(env).name
    if ctx.read_only:
        raise InterventionRefused("read-only mode: relui aborts nothing")
    if not ctx.may(name, "abort"):
        raise InterventionRefused(f"{ctx.operator_on(name)} may not abort actions on {name}; ask a devops operator")
    running = service.inflight.running(name)
    if running is None:
        return f"nothing is running on {name}"
    if not running.abortable:
        raise InterventionRefused(
            f"{running.action} by {running.operator} is moving traffic on {name} and cannot be stopped midway; "
            f"wait for it, then roll back if needed"
        )
    why = one_line(reason)
    service.journal.note(
        ctx.operator_on(name), name, "abort", target=running.id, action_aborted=running.action, reason=why
    )
    service.inflight.request_abort(name, running.id, ctx.operator_on(name), why, ctx.clock.now())
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not service.inflight.busy(name):
            break
        time.sleep(0.2)
    else:
        return f"asked {running.action} by {running.operator} on {name} to stop; it has not stopped yet"
    return how_it_ended(service, name, running.id, running.action)


def approve(service: ReleaseService, env: str, reason: str, action: str, version: str | None = None) -> Approval:
    """Record this operator's break-glass approval for one forced ``action`` on ``env`` (of ``version``, if named).

    ``None`` approves any release of that action; a version given must be an image tag, so an empty
    ``--version "$V"`` with V unset is refused, not widened to every release.
    """
    ctx = service.ctx
    name = ctx.env(env).name
    if version is not None:
        try:
            validate_version(version)
        except InvalidInput as exc:
            raise InterventionRefused(
                f"--version: {exc}; leave --version out to approve any release", Problem.USAGE
            ) from None
    if ctx.read_only:
        raise InterventionRefused("read-only mode: relui records no approval")
    if not ctx.env(name).protected:
        raise InterventionRefused(f"{name} is not protected: --force --reason needs no approval there")
    refusal = ctx.identity_refusal(name)
    if refusal:
        raise InterventionRefused(refusal)
    roles, allowed = ctx.roles_on(name), ctx.config.permissions.get("approve", ())
    try:
        approval = new_approval(
            name, ctx.operator_on(name), roles, allowed, one_line(reason), ctx.clock.now(), (action, version or "")
        )
        signed = sign_approval(ctx, approval, next(r for r in roles if r in allowed))
    except ApprovalError as exc:
        raise InterventionRefused(str(exc)) from None
    except SigningError as exc:
        raise InterventionRefused(str(exc), exc.problem) from None
    who = ctx.principal(name)
    service.journal.note(
        ctx.operator_on(name),
        name,
        "approve",
        "ok",
        **approval_detail(approval),
        **signed,
        principal=who.principal,
        verified_by=who.how,
    )
    return approval
