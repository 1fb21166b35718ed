"""Every precondition of an action, each deciding pass / warn / block with a reason.

Facts are gathered once through the ports (``facts.gather``); the guards here
are pure functions of those facts, so the CLI, the TUI and the tests see
exactly the same decisions. On unprotected environments the process guards
(checklist, sign-off, window, readiness) only warn. Health and traffic guards
(pods, warm, candidate, revision) block everywhere and can never be forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from relui.config import EnvironmentConfig
from relui.domain import (
    Color,
    ColorState,
    CredentialInfo,
    CredentialKind,
    DbSnapshot,
    GuardResult,
    LockInfo,
    Principal,
    Revision,
    Verdict,
)
from relui.services.approvals import Approval
from relui.services.checklist import ChecklistView, SignOff
from relui.services.context import unverified_refusal
from relui.services.locks import LockOwner, held_by, lock_owner
from relui.services.release_state import ReleaseState, serving, warm_previous

PROCESS_GUARDS = frozenset({"checklist", "signoff", "window", "readiness"})
# Authorization, "nothing to do" and everything that decides where traffic may go.
UNFORCEABLE = frozenset(
    {
        "read-only",
        "role",
        "lock",
        "candidate",
        "revision",
        "pods",
        "warm",
        "release",
        "busy",
        "input",
        "journal",
        "records",
        "break-glass",
        "identity",
    }
)
# Forcing past these on a protected environment is not one person's call either.
UNFORCEABLE_PROTECTED = frozenset({"rollback-target"})
CUTOVER_PHASES = ("pre-release", "release-day")


@dataclass
class Facts:
    """What the guards decide on, read through the ports just before acting.

    A fact that could not be read is left None and its reason goes in
    ``unknown`` under the guard's name; that guard then blocks.
    """

    action: str
    env: EnvironmentConfig
    operator: str
    roles: tuple[str, ...]
    allowed: bool
    read_only: bool
    now: datetime
    host: str = ""
    release: ReleaseState | None = None
    release_missing: bool = False
    colors: dict[Color, ColorState] = field(default_factory=dict)
    lock: LockInfo | None = None
    version: str | None = None
    to_revision: int | None = None
    history: tuple[Revision, ...] = ()
    live_error_rate: float | None = None
    candidate_error_rate: float | None = None
    smoke: dict[str, object] | None = None
    checklist: ChecklistView | None = None
    window_open: bool | None = None
    window_reason: str = ""
    hotfix_reason: str | None = None
    registry_configured: bool = False
    image_exists: bool | None = None
    snapshot: DbSnapshot | None = None
    max_snapshot_age: timedelta = timedelta(hours=24)
    credentials: CredentialInfo | None = None
    deployed_by: str | None = None
    readiness_unmet: tuple[str, ...] | None = None
    approval: Approval | None = None
    # Who acts, as the environment's identity source proved it (None: the local operator name, unverified).
    principal: Principal | None = None
    # A rollback cut off after its switch (an intent without outcome): the next rollback finishes it.
    unfinished_rollback: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)

    @property
    def revisions(self) -> tuple[int, ...]:
        """The revision numbers in the history, newest first."""
        return tuple(r.number for r in sorted(self.history, key=lambda r: -r.number))

    @property
    def acting_as(self) -> tuple[str, ...]:
        """The names a lock of this operator carries: the verified principal, and the relui user."""
        return (self.principal.principal, self.operator) if self.principal else (self.operator,)

    @property
    def verified(self) -> bool:
        """True when an identity source proved who acts."""
        return self.principal is not None and self.principal.verified

    @property
    def stale_lock(self) -> LockOwner | None:
        """The lock's owner when it is an action's lock whose process ended on this host."""
        if self.lock is None:
            return None
        owner = lock_owner(self.lock.holder)
        return owner if owner.dead_on(self.host) else None


def _result(name: str, ok: bool, reason: str, facts: Facts, warn_only: bool = False) -> GuardResult:
    if ok:
        return GuardResult(name, Verdict.PASS, reason)
    if warn_only or (name in PROCESS_GUARDS and not facts.env.protected):
        return GuardResult(name, Verdict.WARN, reason)
    return GuardResult(name, Verdict.BLOCK, reason)


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
            f"{who.how}; the rollback goes ahead as {f.operator} (unverified, journaled so)",
            f,
            warn_only=True,
        )
    if f.env.identity.allow_unverified:
        return _result("identity", True, f"{f.operator}: {who.how}; {f.env.name} allows unverified identities", f)
    return _result("identity", False, unverified_refusal(f.env, who), f)


def guard_role(f: Facts) -> GuardResult:
    """The operator's roles must allow the action (on a verified environment: the verified mapping's roles)."""
    roles = ", ".join(f.roles) or "none"
    who = f.principal.label if f.verified and f.principal else f.operator
    if f.allowed:
        return _result("role", True, f"{who} ({roles}) may {f.action}", f)
    if f.principal is not None and f.principal.kind != "local" and not f.principal.verified:
        return _result("role", False, f"{f.operator} is not verified on {f.env.name}: no roles ({f.principal.how})", f)
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
            f"release {f.env.release} not found in {f.env.namespace}; "
            f"start it with: relui install {f.env.name} VERSION",
            f,
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
    return _result(
        "candidate", False, f"no candidate deployed since the last switch; run: relui deploy {f.env.name} VERSION", f
    )


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
    if "pods" in f.unknown:
        return _result("warm", False, f"{f.unknown['pods']}; use --to-revision {target.revision}", f)
    if warm_previous(rel, f.colors) is None:
        now = _pods_text(target.color, f.colors.get(target.color), target.version)
        return _result(
            "warm",
            False,
            f"{target} is no longer warm ({now}); use --to-revision {target.revision} (it ran {target.version})",
            f,
        )
    state = f.colors[target.color]
    return _result("warm", True, f"{target} is warm ({state.ready}/{state.desired} ready)", f)


def _switch_at(rel: ReleaseState) -> str:
    return f"{rel.last_switch.at:%Y-%m-%d %H:%M} UTC" if rel.last_switch else "install"


def target_revision(f: Facts) -> Revision | None:
    """The revision a ``--to-revision`` rollback restores, if it is in the history."""
    return next((r for r in f.history if r.number == f.to_revision), None)


def guard_revision(f: Facts) -> GuardResult:
    """A revision rollback restores a version that was live, is not live now and was not rolled back from."""
    rel = f.release
    rev = target_revision(f)
    if rel is None:
        return _result("revision", False, f.unknown.get("candidate", "release state unknown"), f)
    if rev is None or rev.values is None:
        known = ", ".join(str(r) for r in f.revisions[:8])
        return _result("revision", False, f"no revision {f.to_revision}; history has {known}", f)
    if rev.status in ("failed", "pending-install", "pending-upgrade", "pending-rollback"):
        return _result("revision", False, f"revision {rev.number} is {rev.status}: it never ran", f)
    color = rev.values.active_color
    version = rev.values.tag(color)
    if version == rel.live.version:
        return _result(
            "revision", False, f"revision {rev.number} serves {version}, which is live now; nothing to do", f
        )
    if version in rel.rolled_back_from:
        return _result(
            "revision",
            False,
            f"revision {rev.number} would put {version} live again, which was rolled back; deploy a fixed version",
            f,
        )
    return _result("revision", True, f"revision {rev.number} served {color} {version}", f)


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


def guard_smoke(f: Facts) -> GuardResult:
    """Smoke must have passed for exactly the candidate version."""
    version = f.release.candidate_version if f.release else None
    if version is None:
        return _result("smoke", False, "no candidate to smoke; deploy a version first", f)
    if "smoke" in f.unknown:
        return _result("smoke", False, f.unknown["smoke"], f)
    if f.smoke is None:
        return _result("smoke", False, f"smoke has not run for {version}; run: relui smoke {f.env.name}", f)
    if f.smoke.get("passed"):
        return _result("smoke", True, f"smoke passed for {version} at {str(f.smoke.get('at'))[11:16]} UTC", f)
    results = f.smoke.get("results")
    failed = [str(r.get("name")) for r in results if not r.get("passed")] if isinstance(results, list) else []
    return _result("smoke", False, f"smoke failed for {version}: {', '.join(failed) or 'no checks ran'}", f)


def guard_error_rate(f: Facts) -> GuardResult:
    """The candidate's error rate must be under the threshold."""
    limit = f.env.error_threshold
    if "error_rate" in f.unknown:
        return _result("error-rate", False, f.unknown["error_rate"], f)
    if f.candidate_error_rate is None:
        return _result("error-rate", False, "no error-rate data for the candidate yet", f, warn_only=True)
    rate = f.candidate_error_rate
    ok = rate < limit
    return _result(
        "error-rate", ok, f"candidate error rate {rate * 100:.2f}% {'<' if ok else '>='} {limit * 100:.2f}%", f
    )


def guard_checklist(f: Facts) -> GuardResult:
    """The pre-release and release-day phases must be complete before a cutover."""
    if f.checklist is None:
        return _result("checklist", False, f.unknown.get("checklist", "checklist unavailable"), f)
    missing = f.checklist.missing(CUTOVER_PHASES)
    if not missing:
        return _result("checklist", True, "pre-release and release-day complete", f)
    ids = ", ".join(s.item.id for s in missing[:4]) + (" ..." if len(missing) > 4 else "")
    return _result(
        "checklist", False, f"{len(missing)} checklist items open: {ids}; see: relui checklist {f.env.name}", f
    )


def guard_signoff(f: Facts) -> GuardResult:
    """Protected environments need a product owner's sign-off that counts, not the operator's own.

    A sign-off counts when reading it found no problem (its signature verifies
    for a signer whose key may sign as product_owner, for this version; or it is
    the pipeline's GitHub approval) and its signer neither operates nor deployed
    the release, nor signed it with the operator's own key.
    """
    if not f.env.protected:
        return _result("signoff", True, "no sign-off required on an unprotected environment", f)
    signoffs = f.checklist.signoffs if f.checklist else ()
    owner = [s for s in signoffs if s.role == "product_owner"]
    if not owner:
        return _result(
            "signoff",
            False,
            f"no product_owner sign-off for {f.checklist.version if f.checklist else '?'}; "
            f"a product owner runs: relui signoff {f.env.name} --role product_owner",
            f,
        )
    refused = []
    for s in owner:
        if s.key_owner is not None and s.key_owner in (f.operator, f.deployed_by):
            refused.append(f"{s.user}'s sign-off was signed with the key of {s.key_owner}, who operates or deployed it")
        elif _operates(s, f):
            refused.append(f"signed off by {s.user}, who deployed or operates it; another must sign")
        elif s.problem:
            refused.append(f"the sign-off by {s.user} does not count: {s.problem}")
        else:
            trust = f"; {s.trust}" if s.trust else ""
            return _result("signoff", True, f"signed off by {s.user} (product_owner) at {s.at[11:16]}{trust}", f)
    return _result("signoff", False, "; ".join(refused), f)


def _operates(s: SignOff, f: Facts) -> bool:
    """The sign-off is the operator's (or the deployer's) own: by name, or recorded by the principal acting now."""
    if s.user in (f.operator, f.deployed_by):
        return True
    return f.verified and f.principal is not None and not s.pipeline and s.principal == f.principal.principal


def guard_window(f: Facts) -> GuardResult:
    """Inside a release window, or a hotfix with a reason."""
    if f.window_open is None:
        return _result("window", False, f.unknown.get("window", "release calendar unavailable"), f)
    if f.window_open:
        return _result("window", True, f.window_reason, f)
    if f.hotfix_reason:
        return _result("window", True, f"hotfix outside the window: {f.hotfix_reason}", f)
    return _result("window", False, f"{f.window_reason}; for an urgent fix use --hotfix REASON", f)


def guard_image(f: Facts) -> GuardResult:
    """The version's image must be in the registry; a protected environment must have one configured."""
    version = f.version or (f.release.candidate_version if f.release else None)
    if version is None:
        return _result("image", True, "no version to look up (the candidate guard says why)", f)
    if "image" in f.unknown:
        return _result("image", False, f.unknown["image"], f)
    if not f.registry_configured:
        fix = f"no registry configured for {f.env.name}: add ecr_repository under [environments.aws]"
        return _result("image", False, fix, f, warn_only=not f.env.protected)
    if f.image_exists:
        return _result("image", True, f"image {version} is in the registry", f)
    return _result("image", False, f"image {version} is not in the registry; push it first", f)


def guard_snapshot(f: Facts) -> GuardResult:
    """Protected environments need a fresh database snapshot."""
    if not f.env.protected:
        return _result("snapshot", True, "no snapshot required on an unprotected environment", f)
    if "snapshot" in f.unknown:
        return _result("snapshot", False, f.unknown["snapshot"], f)
    if f.snapshot is None:
        return _result("snapshot", False, "no database snapshot found; take one before releasing", f)
    age = f.now - f.snapshot.created
    hours = age.total_seconds() / 3600
    limit = f.max_snapshot_age.total_seconds() / 3600
    ok = age <= f.max_snapshot_age
    return _result("snapshot", ok, f"snapshot {f.snapshot.identifier} is {hours:.1f}h old (limit {limit:.0f}h)", f)


def guard_credentials(f: Facts) -> GuardResult:
    """Protected environments refuse long-lived cloud keys."""
    if not f.env.protected:
        return _result("credentials", True, "no credential rule on an unprotected environment", f)
    if "credentials" in f.unknown:
        return _result("credentials", False, f.unknown["credentials"], f)
    if f.credentials is None:
        return _result("credentials", True, "no cloud account configured", f)
    if f.credentials.kind is CredentialKind.TEMPORARY:
        return _result("credentials", True, f"temporary credentials ({f.credentials.identity})", f)
    if f.credentials.kind is CredentialKind.LONG_LIVED:
        return _result(
            "credentials", False, "long-lived access keys in use; assume a role via OIDC or SSO for release day", f
        )
    return _result("credentials", False, f"credential kind unknown for {f.credentials.identity}", f, warn_only=True)


def guard_readiness(f: Facts) -> GuardResult:
    """Protected environments go live only when every readiness criterion is met."""
    if "readiness" in f.unknown:
        return _result("readiness", False, f.unknown["readiness"], f)
    if f.readiness_unmet is None:
        return _result("readiness", True, "readiness review not configured", f)
    if not f.readiness_unmet:
        return _result("readiness", True, "all go-live criteria met", f)
    return _result(
        "readiness",
        False,
        f"go-live criteria not met: {', '.join(f.readiness_unmet)}; see relui readiness {f.env.name}",
        f,
    )


def with_break_glass(results: list[GuardResult], f: Facts) -> list[GuardResult]:
    """On a protected environment, forcing is a second person's call: say whose approval would be spent."""
    forceable_blocks = [r for r in blocking(results) if r.name not in UNFORCEABLE | UNFORCEABLE_PROTECTED]
    if not f.env.protected or not forceable_blocks:
        return results
    if f.approval is None:
        reason = (
            "forcing on a protected environment needs a second person's approval: "
            f"relui approve {f.env.name} --break-glass --reason TEXT"
        )
        return [*results, GuardResult("break-glass", Verdict.BLOCK, reason)]
    approval = f.approval
    reason = f"break-glass approval by {approval.approver} until {approval.expires:%H:%M} UTC: {approval.reason}"
    return [*results, GuardResult("break-glass", Verdict.PASS, reason)]


def blocking(results: list[GuardResult] | tuple[GuardResult, ...]) -> list[GuardResult]:
    """The guards that stop the action."""
    return [r for r in results if r.blocks]


def unforceable(results: list[GuardResult] | tuple[GuardResult, ...], env: EnvironmentConfig) -> list[GuardResult]:
    """The blocks no --force can pass on this environment."""
    names = UNFORCEABLE | (UNFORCEABLE_PROTECTED if env.protected else frozenset())
    return [r for r in blocking(results) if r.name in names]


def forceable(results: list[GuardResult] | tuple[GuardResult, ...], env: EnvironmentConfig | None = None) -> bool:
    """True when every block may be overridden (with a reason, and on protected with break-glass)."""
    names = UNFORCEABLE | (UNFORCEABLE_PROTECTED if env is not None and env.protected else frozenset())
    return all(r.name not in names for r in blocking(results))


def guard_records(f: Facts) -> GuardResult:
    """The environment's journal chain must verify: a cutover does not rely on records edited behind relui's back."""
    if "records" in f.unknown:
        return _result("records", False, f.unknown["records"], f)
    return _result("records", True, f"the journal of {f.env.name} verifies", f)
