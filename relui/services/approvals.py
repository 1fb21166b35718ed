"""Break-glass approvals: a second person lets one forced action through on a protected environment.

On a protected environment one operator alone cannot force past the process
guards. Another person, with a role ``[permissions] approve`` allows, who
neither deployed the release nor forces it, records an approval
(``relui approve ENV --break-glass --reason T``); it is journaled, valid for
``signing.BREAK_GLASS_VALID`` and for one action of that environment: the forced
action's intent names the approval it used, which spends it. Where
``[signing]`` is configured the approval is SSH-signed by the approver and
counts only while its signature verifies (``relui.services.signing``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relui.services import signing
from relui.services.context import Context
from relui.services.journal import Entry
from relui.services.problems import Problem


class ApprovalError(Exception):
    """An approval that cannot be given; the message says why."""


@dataclass(frozen=True)
class Approval:
    """One break-glass approval as the journal holds it."""

    id: str
    env: str
    approver: str
    reason: str
    at: datetime
    expires: datetime


def new_approval(
    env: str, approver: str, roles: tuple[str, ...], allowed: tuple[str, ...], reason: str, now: datetime
) -> Approval:
    """An approval by ``approver``, checked for role (``allowed``: [permissions] approve) and reason.

    Journal it to make it count.
    """
    if not any(role in allowed for role in roles):
        held = ", ".join(roles) or "none"
        raise ApprovalError(
            f"{approver} (roles: {held}) cannot approve a break-glass; [permissions] approve allows "
            f"{' or '.join(allowed) or 'no role'}"
        )
    if not reason.strip():
        raise ApprovalError("a break-glass approval needs --reason saying why the guards may be passed")
    return Approval(uuid.uuid4().hex[:12], env, approver, reason, now, now + signing.BREAK_GLASS_VALID)


def approval_detail(approval: Approval) -> dict[str, Any]:
    """What the journal note of an approval carries."""
    return {"break_glass": approval.id, "reason": approval.reason, "expires": approval.expires.isoformat()}


def sign_approval(ctx: Context, approval: Approval, role: str) -> dict[str, Any]:
    """The signed payload of an approval (empty where signing is off); SigningError says how to set up."""
    env = ctx.env(approval.env)
    if not signing.signing_configured(ctx.config):
        if env.identity.allow_unverified:
            return {}
        hint = signing.setup_hint(approval.approver, role)
        raise signing.SigningError(
            f"{env.name} needs signed approvals: set [signing] allowed_signers; {hint}", Problem.USAGE
        )
    evidence = f"{approval.id}: {approval.reason}"
    text = signing.payload(
        "break-glass", env.name, "", role, approval.approver, approval.at, approval.expires, evidence
    )
    signed = signing.sign(ctx.config, text, approval.approver, role)
    return {"payload": signed.payload, "signature": signed.signature}


def approval_check(ctx: Context, env: str) -> Callable[[Entry], str | None]:
    """Why a journaled approval of ``env`` does not count (bad or missing signature), or None."""
    cfg = ctx.env(env)

    def check(entry: Entry) -> str | None:
        text, signature = entry.detail.get("payload"), entry.detail.get("signature")
        if isinstance(text, str) and isinstance(signature, str) and signature:
            # The signed evidence names the approval: a copy of the note under another id is not it.
            evidence = f"{entry.detail.get('break_glass', '')}: {entry.detail.get('reason', '')}"
            expect = {"kind": "break-glass", "env": cfg.name, "signer": entry.operator, "evidence": evidence}
            found = signing.check_signed(
                ctx.config, signing.Signed(text, signature), expect=expect, now=ctx.clock.now()
            )
            return found.problem
        return None if cfg.identity.allow_unverified else "it is not signed"

    return check


def usable_approval(
    entries: list[Entry],
    env: str,
    operator: str,
    now: datetime,
    check: Callable[[Entry], str | None] | None = None,
    principal: str | None = None,
    deployed_by: frozenset[str] = frozenset(),
) -> Approval | None:
    """The newest unspent, unexpired approval of ``env`` given by someone other than ``operator``.

    Nor by ``principal`` (the verified principal acting now) under another name, nor by anyone in
    ``deployed_by`` (who deployed the release in play, by name or principal): the second person
    vouches for someone else's release. ``check`` says why an approval's record does not count
    (its signature); such approvals are passed over.
    """
    spent = {str(e.detail.get("break_glass")) for e in entries if e.kind == "intent" and e.detail.get("break_glass")}
    for entry in reversed(entries):
        if entry.kind != "note" or entry.action != "approve" or entry.env != env or entry.status != "ok":
            continue
        approval_id = str(entry.detail.get("break_glass", ""))
        try:
            at = datetime.fromisoformat(entry.at)
            expires = datetime.fromisoformat(str(entry.detail.get("expires", "")))
        except ValueError:
            continue
        if approval_id in spent or entry.operator == operator or not at <= now < expires:
            continue
        if principal and entry.detail.get("principal") == principal:
            continue
        if entry.operator in deployed_by or entry.detail.get("principal") in deployed_by:
            continue
        if check is not None and check(entry) is not None:
            continue
        return Approval(approval_id, env, entry.operator, str(entry.detail.get("reason", "")), at, expires)
    return None
