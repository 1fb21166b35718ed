"""Every precondition of an action, each deciding pass / warn / block with a reason.

Facts are gathered once through the ports (``gather`` in release.py); the
guards here are pure functions of those facts, so the CLI, the TUI and the
tests see exactly the same decisions. On unprotected environments the process
guards (checklist, sign-off, window) only warn; health guards always block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from relui.config import EnvironmentConfig
from relui.domain import Color, ColorState, CredentialInfo, CredentialKind, DbSnapshot, GuardResult, LockInfo, Verdict
from relui.services.candidate import ReleaseState
from relui.services.checklist import ChecklistView

PROCESS_GUARDS = frozenset({"checklist", "signoff", "window", "readiness"})
# Authorization and "nothing to do" cannot be forced past; health and process can.
UNFORCEABLE = frozenset({"read-only", "role", "lock", "candidate", "revision", "busy"})
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
    release: ReleaseState | None = None
    colors: dict[Color, ColorState] = field(default_factory=dict)
    lock: LockInfo | None = None
    version: str | None = None
    to_revision: int | None = None
    revisions: tuple[int, ...] = ()
    candidate_error_rate: float | None = None
    smoke: dict[str, object] | None = None
    checklist: ChecklistView | None = None
    window_open: bool | None = None
    window_reason: str = ""
    hotfix_reason: str | None = None
    image_exists: bool | None = None
    snapshot: DbSnapshot | None = None
    max_snapshot_age: timedelta = timedelta(hours=24)
    credentials: CredentialInfo | None = None
    deployed_by: str | None = None
    readiness_unmet: tuple[str, ...] | None = None
    unknown: dict[str, str] = field(default_factory=dict)


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


def guard_role(f: Facts) -> GuardResult:
    """The operator's roles must allow the action."""
    roles = ", ".join(f.roles) or "none"
    if f.allowed:
        return _result("role", True, f"{f.operator} ({roles}) may {f.action}", f)
    return _result("role", False, f"{f.operator} (roles: {roles}) may not {f.action}; ask a devops operator", f)


def guard_lock(f: Facts) -> GuardResult:
    """Another operator's live lock stops the action."""
    if f.lock is None:
        return _result("lock", True, "lock free; relui holds it for the action", f)
    if f.lock.holder.split("@")[0] == f.operator:
        return _result("lock", True, f"you hold the lock since {f.lock.since:%H:%M} UTC", f)
    return _result(
        "lock",
        False,
        f"{f.lock.holder} holds the lock since {f.lock.since:%Y-%m-%d %H:%M} UTC; ask them to release it",
        f,
    )


def guard_candidate(f: Facts) -> GuardResult:
    """Cutover and smoke need a candidate deployed to the idle color since the last switch."""
    rel = f.release
    if f.env.single_color:
        return _result("candidate", False, f"{f.env.name} runs one color: a deploy goes live directly", f)
    if rel and rel.candidate_color and rel.candidate_version:
        return _result("candidate", True, f"candidate {rel.candidate_version} on {rel.candidate_color}", f)
    return _result(
        "candidate", False, f"no candidate deployed since the last switch; run: relui deploy {f.env.name} VERSION", f
    )


def guard_pods(f: Facts) -> GuardResult:
    """The color that will take traffic must have every pod ready."""
    color = _target_color(f)
    state = f.colors.get(color) if color else None
    if state is None:
        return _result("pods", False, f.unknown.get("pods", "no target color to check"), f)
    if state.all_ready:
        return _result("pods", True, f"{color} {state.version}: {state.ready}/{state.desired} pods ready", f)
    why = f" ({state.worst_reason})" if state.worst_reason else ""
    return _result("pods", False, f"{color} {state.version or '-'}: {state.ready}/{state.desired} pods ready{why}", f)


def guard_smoke(f: Facts) -> GuardResult:
    """Smoke must have passed for exactly the candidate version."""
    version = f.release.candidate_version if f.release else None
    if version is None:
        return _result("smoke", False, "no candidate to smoke; deploy a version first", f)
    if f.smoke is None:
        return _result("smoke", False, f"smoke has not run for {version}; run: relui smoke {f.env.name}", f)
    if f.smoke.get("passed"):
        return _result("smoke", True, f"smoke passed for {version} at {str(f.smoke.get('at'))[11:16]} UTC", f)
    failed = [str(r["name"]) for r in f.smoke.get("results", []) if not r["passed"]]  # type: ignore[attr-defined]
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
    """Protected environments need a product owner's sign-off, not the operator's own."""
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
    if all(s.user == f.operator for s in owner):
        return _result(
            "signoff", False, f"signed off by {f.operator} who is the operator; another product owner must sign", f
        )
    signer = next(s for s in owner if s.user != f.operator)
    return _result("signoff", True, f"signed off by {signer.user} (product_owner) at {signer.at[11:16]}", f)


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
    """The version's image must be in the registry."""
    version = f.version or (f.release.candidate_version if f.release else None)
    if f.image_exists is None:
        return _result(
            "image", False, f.unknown.get("image", "no registry configured"), f, warn_only="image" not in f.unknown
        )
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


def guard_warm(f: Facts) -> GuardResult:
    """An instant rollback needs the warm color up and ready."""
    warm = f.release.warm_color if f.release else None
    state = f.colors.get(warm) if warm else None
    if state is None or not state.enabled:
        return _result("warm", False, "no warm color to switch back to; use --to-revision N", f)
    if state.all_ready:
        return _result("warm", True, f"{warm} {state.version} is warm ({state.ready}/{state.desired} ready)", f)
    return _result(
        "warm", False, f"{warm} {state.version} has {state.ready}/{state.desired} ready; use --to-revision N", f
    )


def guard_revision(f: Facts) -> GuardResult:
    """A revision rollback needs the revision to exist in history."""
    if f.to_revision in f.revisions:
        return _result("revision", True, f"revision {f.to_revision} is in the history", f)
    known = ", ".join(str(r) for r in f.revisions[:8])
    return _result("revision", False, f"no revision {f.to_revision}; history has {known}", f)


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


def _target_color(f: Facts) -> Color | None:
    if f.release is None:
        return None
    if f.action == "rollback":
        return f.release.warm_color
    return f.release.candidate_color


GUARDS: dict[str, tuple[Callable[[Facts], GuardResult], ...]] = {
    # A deploy touches only the idle color, so it may run outside a release window; the cutover may not.
    "deploy": (guard_read_only, guard_role, guard_lock, guard_image, guard_snapshot, guard_credentials),
    "smoke": (guard_read_only, guard_role, guard_lock, guard_candidate),
    "cutover": (
        guard_read_only,
        guard_role,
        guard_lock,
        guard_candidate,
        guard_pods,
        guard_smoke,
        guard_error_rate,
        guard_checklist,
        guard_signoff,
        guard_window,
        guard_image,
        guard_snapshot,
        guard_credentials,
        guard_readiness,
    ),
    "rollback": (guard_read_only, guard_role, guard_lock, guard_warm),
    "rollback-revision": (guard_read_only, guard_role, guard_lock, guard_revision),
}


def evaluate(kind: str, facts: Facts) -> list[GuardResult]:
    """Run the guards of one action kind, in a stable order."""
    return [guard(facts) for guard in GUARDS[kind]]


def blocking(results: list[GuardResult]) -> list[GuardResult]:
    """The guards that stop the action."""
    return [r for r in results if r.blocks]


def forceable(results: list[GuardResult]) -> bool:
    """True when every block may be overridden with --force and a reason."""
    return all(r.name not in UNFORCEABLE for r in blocking(results))
