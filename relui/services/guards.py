"""Every precondition of an action, each deciding pass / warn / block with a reason.

Facts are gathered once through the ports (``facts.gather``); the guards here
are pure functions of those facts, so the CLI, the TUI and the tests see
exactly the same decisions. On unprotected environments the process guards
(checklist, sign-off, window, readiness) only warn. Health and traffic guards
(pods, warm, candidate, revision) block everywhere and can never be forced.
"""

from __future__ import annotations

from datetime import timedelta

from relui.domain import (
    Color,
    ColorState,
    GuardResult,
    Principal,
    Remedy,
    RemedyKind,
    Revision,
)
from relui.services.context import unverified_refusal
from relui.services.guard_facts import (
    CUTOVER_PHASES,
    PROCESS_GUARDS,
    UNFORCEABLE,
    UNFORCEABLE_PROTECTED,
    Facts,
    _result,
    blocking,
    forceable,
    unforceable,
    with_break_glass,
)
from relui.services.locks import held_by, lock_owner
from relui.services.release_day_guards import (
    guard_checklist,
    guard_credentials,
    guard_error_rate,
    guard_image,
    guard_readiness,
    guard_signoff,
    guard_smoke,
    guard_snapshot,
    guard_window,
)
from relui.services.release_state import ReleaseState, serving, warm_previous

__all__ = [
    "CUTOVER_PHASES",
    "PROCESS_GUARDS",
    "UNFORCEABLE",
    "UNFORCEABLE_PROTECTED",
    "Facts",
    "blocking",
    "forceable",
    "guard_checklist",
    "guard_credentials",
    "guard_error_rate",
    "guard_image",
    "guard_readiness",
    "guard_signoff",
    "guard_smoke",
    "guard_snapshot",
    "guard_window",
    "unforceable",
    "with_break_glass",
]


def guard_read_only(f: Facts) -> GuardResult:
    """Read-only mode blocks every action."""
    return _result(
        "read-only", not f.read_only, "read-only mode: relui only watches" if f.read_only else "actions enabled", f
    )


def guard_identity(f: Facts) -> GuardResult:
    """A protected environment acts only for a verified identity, unless it allows unverified ones."""
    who = f.principal
    if who is not None and who.verified:
        return _result("identity", True, f"{who.label}, verified by {who.how}", f)
    who = who or Principal(f.operator, f.operator, how="local operator name (unverified)")
    if not f.env.protected:
        return _result("identity", True, f"{f.operator}: {who.how}", f)
    if who.dark and f.action == "rollback":
        # A rollback only returns traffic to what was live: a source that cannot answer never makes it impossible.
        return _result(
            "identity",
            False,
            f"{who.how}; the rollback goes ahead as the OS login {who.user} (unverified, journaled so)",
            f,
            warn_only=True,
        )
    if f.env.identity.allow_unverified:
        return _result("identity", True, f"{f.operator}: {who.how}; {f.env.name} allows unverified identities", f)
    refusal, remedy = unverified_refusal(f.env, who)
    return _result("identity", False, refusal, f, remedy=remedy)


def guard_role(f: Facts) -> GuardResult:
    """The operator's roles must allow the action (on a verified environment: the verified mapping's roles)."""
    roles = ", ".join(f.roles) or "none"
    # Verified, or dark: the roles are the principal's (a dark source's are the OS login's), so it is named.
    who = f.principal.label if f.principal and (f.verified or f.principal.dark) else f.operator
    if f.allowed:
        return _result("role", True, f"{who} ({roles}) may {f.action}", f)
    p = f.principal
    if p is not None and p.kind != "local" and not p.verified and not p.dark:
        return _result("role", False, f"{f.operator} is not verified on {f.env.name}: no roles ({p.how})", f)
    return _result("role", False, f"{who} (roles: {roles}) may not {f.action}; ask a devops operator", f)


def guard_lock(f: Facts) -> GuardResult:
    """Another operator's live lock stops the action; a rollback goes ahead with a warning."""
    if "lock" in f.unknown:
        return _result("lock", False, f.unknown["lock"], f, warn_only=f.action == "rollback")
    if f.lock is None:
        return _result("lock", True, "lock free; relui holds it for the action", f)
    owner = lock_owner(f.lock.holder)
    if held_by(owner, f.acting_as, f.host):
        return _result("lock", True, f"you hold the lock since {f.lock.since:%H:%M} UTC", f)
    if f.stale_lock is not None:
        return _result("lock", True, f"stale lock of {owner.label} (its process ended) is taken over", f)
    text = f"{owner.label} holds the lock since {f.lock.since:%Y-%m-%d %H:%M} UTC"
    if f.action == "rollback":
        return _result("lock", False, f"{text}; a rollback is never held back by a lock", f, warn_only=True)
    return _result("lock", False, f"{text}; ask them to release it", f)


def guard_release(f: Facts) -> GuardResult:
    """Deploy needs a release to deploy into; install needs there to be none yet."""
    if f.action == "install":
        if f.release_missing:
            return _result("release", True, f"no release {f.env.release} yet: install starts it", f)
        if f.release is None:
            return _result("release", False, f.unknown.get("candidate", "release state unknown"), f)
        return _result("release", False, f"release {f.env.release} exists already; deploy a version instead", f)
    if f.release_missing:
        return _result(
            "release",
            False,
            f"release {f.env.release} not found in {f.env.namespace}",
            f,
            remedy=RemedyKind.INSTALL,
        )
    if f.release is None:
        return _result("release", False, f.unknown.get("candidate", "release state unknown"), f)
    return _result("release", True, f"live: {f.release.live}", f)


def guard_candidate(f: Facts) -> GuardResult:
    """Cutover and smoke need a candidate deployed to the idle color since the last switch."""
    rel = f.release
    if f.env.single_color:
        return _result("candidate", False, f"{f.env.name} runs one color: a deploy goes live directly", f)
    if rel and rel.candidate:
        return _result("candidate", True, f"candidate {rel.candidate.version} on {rel.candidate.color}", f)
    if rel is None:
        return _result("candidate", False, f.unknown.get("candidate", "release state unknown"), f)
    return _result("candidate", False, "no candidate deployed since the last switch", f, remedy=RemedyKind.DEPLOY)


def _pods_text(color: Color, state: ColorState | None, version: str | None) -> str:
    if state is None:
        return f"{color}: no pods"
    why = f" ({state.worst_reason})" if state.worst_reason else ""
    runs = f"{state.version or '-'}" + ("" if state.version == version else f", not {version}")
    return f"{color} {runs}: {state.ready}/{state.desired} pods ready{why}"


def guard_pods(f: Facts) -> GuardResult:
    """Traffic only moves onto a color whose pods all run the version and are ready. Never forceable."""
    rel = f.release
    target = rel.candidate if rel and f.action == "cutover" else None
    if target is None:
        return _result("pods", False, f.unknown.get("pods", "no color to move traffic to"), f)
    if "pods" in f.unknown:
        return _result("pods", False, f.unknown["pods"], f)
    state = f.colors.get(target.color)
    return _result("pods", serving(state, target.version), _pods_text(target.color, state, target.version), f)


def guard_warm(f: Facts) -> GuardResult:
    """An instant rollback goes only back to the previous live version, while it is warm."""
    rel = f.release
    if rel is None:
        return _result("warm", False, f.unknown.get("candidate", "release state unknown"), f)
    if rel.rolled_back and f.unfinished_rollback and rel.previous:
        return _result(
            "warm",
            True,
            f"finishing the rollback from {rel.previous.version} that was cut off after its switch: "
            f"tag and incident only; traffic stays on {rel.live}",
            f,
        )
    if rel.rolled_back:
        return _result(
            "warm",
            False,
            f"already rolled back: {rel.live} is live since {_switch_at(rel)}; nothing moves",
            f,
        )
    target = rel.rollback_target
    if target is None:
        return _result(
            "warm",
            False,
            f"nothing to roll back to: {rel.live} has been live since it was installed"
            + (f"; the candidate {rel.candidate} was never live" if rel.candidate else ""),
            f,
        )
    by_revision = Remedy(RemedyKind.TO_REVISION, f.env.name, str(target.revision or "N"))
    if "pods" in f.unknown:
        return _result("warm", False, f.unknown["pods"], f, remedy=by_revision)
    if warm_previous(rel, f.colors) is None:
        now = _pods_text(target.color, f.colors.get(target.color), target.version)
        return _result("warm", False, f"{target} is no longer warm ({now})", f, remedy=by_revision)
    state = f.colors[target.color]
    return _result("warm", True, f"{target} is warm ({state.ready}/{state.desired} ready)", f)


def _switch_at(rel: ReleaseState) -> str:
    return f"{rel.last_switch.at:%Y-%m-%d %H:%M} UTC" if rel.last_switch else "install"


# Revisions that never took effect: nothing of theirs ever ran.
NEVER_RAN = frozenset({"failed", "pending-install", "pending-upgrade", "pending-rollback"})


def target_revision(f: Facts) -> Revision | None:
    """The revision a ``--to-revision`` rollback restores, if it is in the history."""
    return next((r for r in f.history if r.number == f.to_revision), None)


def revision_refusal(rel: ReleaseState, rev: Revision) -> str | None:
    """Why a rollback to ``rev`` is refused, forced or not; None when the revision guard lets it go.

    The revision guard's own rule, for the faces too: the TUI's chooser offers
    only the revisions this lets go, so it never offers one it would then refuse.
    """
    if rev.values is None:
        return f"revision {rev.number} has no values to go back to"
    if rev.status in NEVER_RAN:
        return f"revision {rev.number} is {rev.status}: it never ran"
    color = rev.values.active_color
    version = rev.values.tag(color)
    if version == rel.live.version:
        return f"revision {rev.number} serves {version}, which is live now; nothing to do"
    if version in rel.rolled_back_from:
        return f"revision {rev.number} would put {version} live again, which was rolled back; deploy a fixed version"
    return None


def revisions_to_go_back_to(rel: ReleaseState, history: list[Revision]) -> tuple[list[Revision], list[str]]:
    """The revisions a rollback may go to (in ``history``'s order), and why each rolled back from is not one.

    What a face offers: none that ``revision_refusal`` refuses. The one in
    force and those serving what is live need no word; a version rolled back
    from does, or the operator wonders where the release they remember went.
    """
    allowed: list[Revision] = []
    rolled_back: list[str] = []
    for rev in history:
        if rev.status == "deployed":
            continue  # the revision in force
        refusal = revision_refusal(rel, rev)
        if refusal is None:
            allowed.append(rev)
        elif rev.values is not None and rev.values.tag(rev.values.active_color) in rel.rolled_back_from:
            rolled_back.append(refusal)
    return allowed, rolled_back


def guard_revision(f: Facts) -> GuardResult:
    """A revision rollback restores a version that was live, is not live now and was not rolled back from."""
    rel = f.release
    rev = target_revision(f)
    if rel is None:
        return _result("revision", False, f.unknown.get("candidate", "release state unknown"), f)
    if rev is None or rev.values is None:
        known = ", ".join(str(r) for r in f.revisions[:8])
        return _result("revision", False, f"no revision {f.to_revision}; history has {known}", f)
    refusal = revision_refusal(rel, rev)
    if refusal is not None:
        return _result("revision", False, refusal, f)
    color = rev.values.active_color
    return _result("revision", True, f"revision {rev.number} served {color} {rev.values.tag(color)}", f)


def guard_rollback_target(f: Facts) -> GuardResult:
    """A deploy does not silently replace the only rollback target while it may still be needed."""
    rel = f.release
    if rel is None or f.env.single_color:
        return _result("rollback-target", True, "no warm previous color to protect", f)
    target = rel.rollback_target
    if "pods" in f.unknown and target is not None and target.color == rel.idle_color:
        # Unknown is not "not warm": the idle color may be the only way back.
        return _result(
            "rollback-target",
            False,
            f"cannot tell whether {target} is still warm ({f.unknown['pods']}); "
            f"deploying to {target.color} might replace the only instant rollback target",
            f,
        )
    warm = warm_previous(rel, f.colors)
    if warm is None or warm.color != rel.idle_color:
        return _result("rollback-target", True, "no warm previous color to protect", f)
    since = f.now - rel.last_switch.at if rel.last_switch else timedelta(0)
    baking = since < timedelta(minutes=f.env.bake_minutes)
    live_state = f.colors.get(rel.live.color)
    live_bad = not serving(live_state, rel.live.version)
    rate = f.live_error_rate
    erring = rate is not None and rate >= f.env.error_threshold
    if not (baking or live_bad or erring):
        return _result("rollback-target", True, f"{warm} will be replaced; the bake period is over", f, warn_only=True)
    why = []
    if baking:
        why.append(f"live for {int(since.total_seconds() // 60)} of {f.env.bake_minutes} bake minutes")
    if live_bad:
        why.append(f"live is unhealthy ({_pods_text(rel.live.color, live_state, rel.live.version)})")
    if erring and rate is not None:
        why.append(f"live error rate {rate * 100:.2f}% >= {f.env.error_threshold * 100:.2f}%")
    return _result(
        "rollback-target",
        False,
        f"deploying to {warm.color} would replace {warm.version}, the only instant rollback target ({'; '.join(why)})",
        f,
    )


def guard_records(f: Facts) -> GuardResult:
    """The environment's journal chain must verify: a cutover does not rely on records edited behind relui's back."""
    if "records" in f.unknown:
        return _result("records", False, f.unknown["records"], f, remedy=f.unknown_remedy.get("records"))
    return _result("records", True, f"the journal of {f.env.name} verifies", f)
