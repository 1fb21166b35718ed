"""What a person attests for the readiness review (a security review, a restore test), with the link that proves it.

Each attestation is recorded in ``readiness/<env>.toml`` in the environment's
records store, written conditionally on the version read, journaled first, and
signed where signing is configured. A record whose signature does not verify,
or that is unsigned where a signature is required, is kept but does not count.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomli_w

from relui.config import EnvironmentConfig
from relui.domain import Remedy, RemedyKind
from relui.ports import PortError
from relui.printable import printable_fields
from relui.services import signing
from relui.services.context import Context
from relui.services.journal import Journal, JournalError
from relui.services.problems import Problem, ServiceError
from relui.services.record_store import changed, store_for
from relui.services.state_shapes import READINESS_FIELDS, readiness_damage
from relui.services.text import one_line

# What a person attests with an evidence link, and the criterion each one feeds.
RECORDS: dict[str, tuple[str, str]] = {
    "oauth2-flows": ("security-review", "OAuth2 flows validated"),
    "secrets-rotated": ("security-review", "secrets rotated"),
    "restore-test": ("disaster-recovery", "restore test"),
}


class ReadinessError(ServiceError):
    """A readiness record that cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Record:
    """A person's attestation of one item, with the link that proves it."""

    item: str
    evidence: str
    by: str
    at: str
    note: str = ""
    principal: str = ""
    verified_by: str = ""
    payload: str = ""  # the signed attestation (relui.services.signing)
    signature: str = ""
    problem: str | None = None  # set when read: why the record does not count

    def __post_init__(self) -> None:
        # Read back from the readiness file; payload and signature are checked as they are.
        printable_fields(self, "item", "by", "at", "note", "principal", "verified_by", "problem")
        printable_fields(self, "evidence", limit=EVIDENCE_LIMIT)

    def line(self) -> str:
        """The record in a few words: who, when, where the proof is, and the note made with it."""
        said = f"{self.by} {self.at[:10]} {self.evidence}"
        return f"{said} ({self.note})" if self.note else said


def records_path(ctx: Context, env: str) -> Path:
    """The readiness state file of one environment."""
    return ctx.state_dir / "readiness" / f"{env}.toml"


def _name(ctx: Context, env: str) -> str:
    """The readiness document of an environment in its records store."""
    return str(records_path(ctx, env).relative_to(ctx.state_dir))


def _parse(data: bytes, name: str) -> dict[str, Any]:
    """The state of a readiness file; ReadinessError when it is no TOML or not the shape relui writes.

    A damaged file is reported, never read around nor written over: the
    records in it stay as they are until someone repairs it.
    """
    try:
        state = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReadinessError(f"readiness file {name} is unreadable: {exc}") from None
    damage = readiness_damage(state)
    if damage:
        raise ReadinessError(
            f"readiness file {name} is unreadable: {damage}; repair the file (relui does not write over it)"
        )
    return state


def _load_state(ctx: Context, env: str) -> dict[str, Any]:
    name = _name(ctx, env)
    try:
        document = store_for(ctx.state_dir, env).read_document(name)
    except PortError as exc:
        raise ReadinessError(f"readiness file {name} is unreadable: {exc}") from None
    return _parse(document.data, name) if document else {}


def read_records(ctx: Context, env: str) -> dict[str, Record]:
    """The attestations recorded for an environment, by item."""
    name = ctx.env(env).name
    raw = _load_state(ctx, name).get("records", {})  # a table of tables of strings (``_parse`` made sure)
    found = {}
    for item, r in raw.items():
        entry = Record(item, *(r.get(k, "") for k in READINESS_FIELDS))
        found[item] = replace(entry, problem=_attestation_problem(ctx, name, entry))
    return found


def _attestation_problem(ctx: Context, env: str, entry: Record) -> str | None:
    """Why an attestation does not count: its signature, or none where one is required."""
    if entry.signature:
        expect = {"kind": "attestation", "env": env, "signer": entry.by, "evidence": f"{entry.item} {entry.evidence}"}
        signed = signing.Signed(entry.payload, entry.signature)
        return signing.check_signed(ctx.config, signed, expect=expect, now=ctx.clock.now()).problem
    cfg = ctx.env(env)
    if cfg.protected and not cfg.identity.allow_unverified:
        return "not signed"
    return None


# A Grafana or Jira search link runs past the 500 characters free text is kept to; a link is never cut.
EVIDENCE_LIMIT = 2000


def evidence_problem(evidence: str) -> str | None:
    """Why ``evidence`` is not an evidence link (http or https, with a host), or None when it is.

    ``record`` refuses with it; the TUI's evidence form asks it before it closes,
    so a mistyped link is fixed where it was typed. The raw value is checked: a
    space or a line break inside it makes it no link (flattened, ``https://a/x y``
    would be recorded as proof); around it, it is trimmed as any free text is.
    """
    link = evidence.strip()
    try:
        parts = urlparse(link)
    except ValueError:  # an unclosed [ of an IPv6 host
        parts = urlparse("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"evidence must be a link (https://...) to the review, ticket or report, got {one_line(evidence)!r}"
    if len(link) > EVIDENCE_LIMIT:
        # Kept whole or not at all: cut short, a link is a broken link recorded as proof.
        return (
            f"evidence link is {len(link)} characters, more than the {EVIDENCE_LIMIT} relui keeps; "
            "link a ticket, a saved search or a short link instead"
        )
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in link):
        # repr shows the line break or control character (\n, \x07) that one_line would hide.
        return (
            "evidence must be a link with no space, line break or control character in it, "
            f"got {one_line(repr(link))}; write a space in a link as %20"
        )
    return None


def who_may_not_record(ctx: Context, env: str) -> ReadinessError | None:
    """Why the operator may make no attestation on ``env`` at all (read-only, unverified, no role), or None.

    ``record`` refuses with it; the readiness screen asks it (in a thread: identity may be asked of
    AWS) before it asks for a link, so nobody types evidence only to be refused for who they are.
    """
    if ctx.read_only:
        return ReadinessError("read-only mode: readiness records are refused", Problem.REFUSED)
    refusal = ctx.identity_refusal(env)
    if refusal:
        return ReadinessError(refusal, Problem.REFUSED)
    if not ctx.roles_on(env):
        return ReadinessError(
            f"{ctx.operator_on(env)} holds no role on {env}; an attestation is made by someone who does",
            Problem.REFUSED,
        )
    return None


def record(ctx: Context, env: str, item: str, evidence: str, note: str = "") -> Record:
    """Record the operator's attestation of ``item`` with an evidence link; journaled."""
    env = ctx.env(env).name
    if ctx.read_only:
        raise ReadinessError("read-only mode: readiness records are refused", Problem.REFUSED)
    if item not in RECORDS:
        known = ", ".join(RECORDS)
        raise ReadinessError(f"no readiness record {item!r}; record one of: {known}", Problem.USAGE)
    problem = evidence_problem(evidence)  # before one_line, which would flatten a line break into a space
    if problem:
        raise ReadinessError(problem, Problem.USAGE)
    evidence, note = one_line(evidence, limit=EVIDENCE_LIMIT), one_line(note)
    refused = who_may_not_record(ctx, env)
    if refused:
        raise refused
    roles = ctx.roles_on(env)
    now = ctx.clock.now()
    who = ctx.principal(env)
    signed = _sign_attestation(ctx, env, item, evidence, roles[0], now)
    entry = Record(
        item,
        evidence,
        ctx.operator_on(env),
        now.isoformat(),
        note,
        who.principal,
        who.how,
        signed.payload if signed else "",
        signed.signature if signed else "",
    )
    name = _name(ctx, env)
    journal = Journal(ctx.state_dir, ctx.clock)
    store = store_for(ctx.state_dir, env)
    try:
        with changed(
            store, name, lambda data: _parse(data, name), lambda state: tomli_w.dumps(state).encode()
        ) as state:
            # Journal first: a record that cannot be journaled is not made.
            journal.note(
                ctx.operator_on(env),
                env,
                "readiness",
                item=item,
                criterion=RECORDS[item][0],
                evidence=evidence,
                note=note,
                principal=entry.principal,
                verified_by=entry.verified_by,
                signed=bool(signed),
            )
            state["env"] = env
            stored = {"evidence": evidence, "by": entry.by, "at": entry.at, "note": note}
            extra = {"principal": entry.principal, "verified_by": entry.verified_by}
            extra |= {"payload": entry.payload, "signature": entry.signature}
            state.setdefault("records", {})[item] = stored | {k: v for k, v in extra.items() if v}
    except PortError as exc:
        if isinstance(exc, JournalError):
            raise
        journal.note(ctx.operator_on(env), env, "readiness", "failed", item=item, message=str(exc))
        raise ReadinessError(f"cannot save the readiness record {name}: {exc}; fix the records store") from None
    return entry


def _sign_attestation(
    ctx: Context, env: str, item: str, evidence: str, role: str, now: datetime
) -> signing.Signed | None:
    """The signature of an attestation where signing is configured (or required); ReadinessError says how."""
    cfg = ctx.env(env)
    if not signing.signing_configured(ctx.config):
        if cfg.protected and not cfg.identity.allow_unverified:
            hint = signing.setup_hint(ctx.operator_on(env), role)
            raise ReadinessError(
                f"{env} needs signed attestations: set [signing] allowed_signers; {hint}", Problem.USAGE
            )
        return None
    text = signing.payload(
        "attestation", env, "", role, ctx.operator_on(env), now, now + signing.ATTESTATION_VALID, f"{item} {evidence}"
    )
    try:
        return signing.sign(ctx.config, text, ctx.operator_on(env), role)
    except signing.SigningError as exc:
        raise ReadinessError(str(exc), exc.problem) from None


def attested(
    env: EnvironmentConfig, records: dict[str, Record], items: tuple[str, ...]
) -> tuple[bool, str, Remedy | None]:
    """(all recorded, one line naming each record, the way to record the first one missing if any)."""
    parts, missing = [], []
    for item in items:
        found = records.get(item)
        label = RECORDS[item][1]
        if found and found.problem:
            missing.append(item)
            parts.append(f"{label}: {found.line()} does not count ({found.problem})")
        elif found:
            parts.append(f"{label}: {found.line()}")
        else:
            missing.append(item)
            parts.append(f"{label}: not recorded")
    if missing:
        return False, "; ".join(parts), Remedy(RemedyKind.READINESS_SIGNOFF, env.name, missing[0])
    return True, "; ".join(parts), None
