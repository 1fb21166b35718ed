"""Break-glass approvals: a second person lets one forced action through on a protected environment.

On a protected environment one operator alone cannot force past the process
guards. Another person, with a role ``[permissions] approve`` allows, who
neither deployed the release nor forces it, records an approval
(``relui approve ENV --break-glass --action A [--version V] --reason T``); it
is journaled, valid for ``signing.BREAK_GLASS_VALID`` and for one action of that
environment: the action it names (``cutover``), and the release it names when
it names one. An approval given for a cutover forces no deploy, and one given
for 1.6.0 forces nothing of 1.7.0. The forced action's intent names the
approval it used, which spends it. Where
``[signing]`` is configured the approval is SSH-signed by the approver and
counts only while its signature verifies (``relui.services.signing``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relui.printable import printable_fields
from relui.services import signing
from relui.services.context import Context
from relui.services.journal import Entry
from relui.services.problems import Problem

# The verbs --force, and so a break-glass approval, can let through: smoke changes nothing live and is never forced.
FORCEABLE_VERBS = ("deploy", "cutover", "rollback", "install")


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
    action: str  # the verb it lets through: deploy, smoke, cutover, rollback, install
    version: str = ""  # the release it was given for; "" for any release of that action

    def __post_init__(self) -> None:
        # Read back from the journal, whose lines anyone who may write the store can add: guards print these words.
        # Never the id, action or version: the journal matches and spends an approval by those as written.
        printable_fields(self, "approver", "reason")

    @property
    def purpose(self) -> str:
        """``cutover of 1.6.0``, or ``rollback`` when no release was named."""
        return f"{self.action} of {self.version}" if self.version else self.action


def new_approval(
    env: str,
    approver: str,
    roles: tuple[str, ...],
    allowed: tuple[str, ...],
    reason: str,
    now: datetime,
    purpose: tuple[str, str],
) -> Approval:
    """An approval by ``approver`` for ``purpose`` (action, version or ""), checked for role and reason.

    ``allowed`` is ``[permissions] approve``.
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
    action, version = purpose
    if action not in FORCEABLE_VERBS:
        raise ApprovalError(f"a break-glass approval is for one of: {', '.join(FORCEABLE_VERBS)}; not {action!r}")
    expires = now + signing.BREAK_GLASS_VALID
    return Approval(uuid.uuid4().hex[:12], env, approver, reason, now, expires, action, version)


def approval_detail(approval: Approval) -> dict[str, Any]:
    """What the journal note of an approval carries."""
    return {
        "break_glass": approval.id,
        "reason": approval.reason,
        "expires": approval.expires.isoformat(),
        "for_action": approval.action,
        "for_version": approval.version,
    }


def signed_evidence(approval_id: str, action: str, version: str, reason: str) -> str:
    """What the approver's signature vouches for: this approval, its action and release, and why."""
    return f"{approval_id} for {action} {version or 'of any release'}: {reason}"


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
    evidence = signed_evidence(approval.id, approval.action, approval.version, approval.reason)
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
            # The signed evidence names the approval and its purpose: a copy of the note under another id,
            # or with another action or release written in, is not it.
            d = entry.detail
            evidence = signed_evidence(
                str(d.get("break_glass", "")), str(d.get("for_action", "")), str(d.get("for_version", "")),
                str(d.get("reason", "")),
            )  # fmt: skip
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
    purpose: tuple[str, str | None],
    check: Callable[[Entry], str | None] | None = None,
    principal: str | None = None,
    deployed_by: frozenset[str] = frozenset(),
) -> Approval | None:
    """The newest unspent, unexpired approval of ``env`` for ``purpose``, given by someone other than ``operator``.

    ``purpose`` is the action's verb and the release in play (None when none is): an approval
    counts for its own action only, and for its own release when it names one. Nor may it be
    given by ``principal`` (the verified principal acting now) under another name, nor by anyone
    in ``deployed_by`` (who deployed the release in play, by name or principal): the second person
    vouches for someone else's release. ``check`` says why an approval's record does not count
    (its signature); such approvals are passed over.
    """
    action, in_play = purpose
    spent = {str(e.detail.get("break_glass")) for e in entries if e.kind == "intent" and e.detail.get("break_glass")}
    for entry in reversed(entries):
        if entry.kind != "note" or entry.action != "approve" or entry.env != env or entry.status != "ok":
            continue
        approval_id = str(entry.detail.get("break_glass", ""))
        for_action, for_version = str(entry.detail.get("for_action", "")), str(entry.detail.get("for_version", ""))
        if for_action != action or for_version not in ("", in_play):
            continue
        try:
            at = datetime.fromisoformat(entry.at)
            expires = datetime.fromisoformat(str(entry.detail.get("expires", "")))
        except ValueError:
            continue
        if at.utcoffset() is None or expires.utcoffset() is None:  # no moment, and no comparing it with now
            continue
        if approval_id in spent or entry.operator == operator or not at <= now < expires:
            continue
        if principal and entry.detail.get("principal") == principal:
            continue
        if entry.operator in deployed_by or entry.detail.get("principal") in deployed_by:
            continue
        if check is not None and check(entry) is not None:
            continue
        reason = str(entry.detail.get("reason", ""))
        return Approval(approval_id, env, entry.operator, reason, at, expires, for_action, for_version)
    return None
