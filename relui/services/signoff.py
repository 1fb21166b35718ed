"""Sign-offs as the checklist keeps them, and whether each one counts when read.

A sign-off is a role's approval of one version for one environment. It is
checked each time it is read: an SSH signature against ``[signing]``
allowed signers (``relui.services.signing``); a GitHub environment approval
only when the pipeline's OIDC role recorded it and the journal holds that
note; an unsigned one only where the environment allows unverified callers.
Recording sign-offs stays with the checklist (``relui.services.checklist``).
Signing is imported when a signed one is checked: reading a checklist with
none (the dashboard's columns, most of a release) does not load it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from typing import Any

from relui.config import Config
from relui.domain import Principal
from relui.printable import printable_fields
from relui.services import record_store
from relui.services.context import Context
from relui.services.journal import Journal


@dataclass(frozen=True)
class SignOff:
    """A role's approval of one version for one environment, and whether it counts."""

    role: str
    user: str
    at: str
    principal: str = ""  # who recorded it, as the identity source proved (or claimed) it
    verified_by: str = ""
    payload: str = ""  # the signed canonical JSON (relui.services.signing)
    signature: str = ""
    github_run_url: str = ""  # a GitHub environment approval recorded by the pipeline
    github_approver: str = ""
    # Set when read: why this sign-off does not count (None: it does), and whose key signed it.
    problem: str | None = None
    key_owner: str | None = None
    trust: str = ""

    def __post_init__(self) -> None:
        # Read back from a file anyone with write access to it may have written; never payload or signature,
        # which are checked as they are (a tampered one then fails its check).
        words = ("role", "user", "at", "principal", "verified_by", "github_run_url", "github_approver")
        printable_fields(self, *words, "problem", "key_owner", "trust")

    @property
    def pipeline(self) -> bool:
        """True for a GitHub environment approval the pipeline recorded."""
        return bool(self.github_run_url)

    def stored(self) -> dict[str, str]:
        """The fields the checklist file keeps."""
        keep = {"role": self.role, "user": self.user, "at": self.at}
        extra = {
            "principal": self.principal,
            "verified_by": self.verified_by,
            "payload": self.payload,
            "signature": self.signature,
            "github_run_url": self.github_run_url,
            "github_approver": self.github_approver,
        }
        return keep | {k: v for k, v in extra.items() if v}


def checked(ctx: Context, env: str, version: str | None, raw: dict[str, Any]) -> SignOff:
    """A stored sign-off with what reading it found: why it does not count, or how it does."""
    fields = {k: str(raw.get(k, "")) for k in ("role", "user", "at")}
    extra = ("principal", "verified_by", "payload", "signature", "github_run_url", "github_approver")
    record = SignOff(**fields, **{k: str(raw[k]) for k in extra if raw.get(k)})
    problem, key_owner, trust = _trust(ctx, env, version or "", record)
    return replace(record, problem=problem, key_owner=key_owner, trust=trust)


def _trust(ctx: Context, env: str, version: str, s: SignOff) -> tuple[str | None, str | None, str]:
    config, env_cfg = ctx.config, ctx.env(env)
    if s.pipeline:
        refused = _not_pipeline(config, s.principal, s.verified_by)
        if refused:
            return refused, None, ""
        if not _journaled_by(ctx, env, s):
            return "the journal holds no such approval recorded by the pipeline", None, ""
        if env not in record_store.remote_envs(ctx.state_dir) and not_the_pipeline(config, ctx.principal(env)):
            # Not SSH-signed: a shared store's bucket policy says who writes it; a state dir's owner writes anything.
            return (
                "a GitHub approval in a local state dir counts only for the pipeline that recorded it (anyone who "
                "can write the directory could have written it); share records: [environments.records]",
                None,
                "",
            )
        return None, None, f"GitHub approval by {s.github_approver} ({s.github_run_url}), recorded by {s.principal}"
    if s.signature:
        from relui.services import signing

        expect = {"kind": "signoff", "env": env, "version": version, "role": s.role, "signer": s.user}
        check = signing.check_signed(config, signing.Signed(s.payload, s.signature), expect=expect, now=ctx.clock.now())
        return check.problem, check.key_owner, f"signed by {s.user}'s SSH key"
    if env_cfg.protected and not env_cfg.identity.allow_unverified:
        return "it is not signed; sign-offs here are SSH-signed (relui signoff signs)", None, ""
    return None, None, f"unsigned, {s.verified_by or 'unverified'}"


def not_the_pipeline(config: Config, who: Principal) -> str | None:
    """Why ``who`` may not record a GitHub approval (not the pipeline's verified OIDC role), or None."""
    return _not_pipeline(config, who.principal if who.verified else "", who.how if who.verified else "")


def _not_pipeline(config: Config, principal: str, verified_by: str) -> str | None:
    pattern = config.identity.pipeline_role
    if not pattern:
        return "no [identity] pipeline_role is configured to accept a GitHub approval from"
    if not verified_by.startswith("aws sts") or not pipeline_principal(principal, pattern):
        return f"recorded by {principal or 'an unknown principal'}, not the pipeline's OIDC role"
    return None


def _journaled_by(ctx: Context, env: str, s: SignOff) -> bool:
    """The pipeline's approval is in the journal, noted by that principal (a file edit alone is not)."""
    for entry in Journal(ctx.state_dir, ctx.clock).entries(env):
        if entry.kind == "note" and entry.action == "signoff" and entry.status == "ok":
            d = entry.detail
            if d.get("github_run_url") == s.github_run_url and d.get("principal") == s.principal:
                return True
    return False


def pipeline_principal(principal: str, pattern: str) -> bool:
    """True when ``principal`` is the pipeline's role: its STS ARN, or the IAM role ARN it assumed, matches."""
    if fnmatch.fnmatchcase(principal, pattern):
        return True
    # arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION is arn:aws:iam::ACCOUNT:role/NAME (the role path is not kept).
    parts = principal.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return fnmatch.fnmatchcase(f"{parts[0]}:{parts[1]}:iam::{parts[4]}:role/{name}", pattern)
    return False


__all__ = ["SignOff", "checked", "pipeline_principal"]
