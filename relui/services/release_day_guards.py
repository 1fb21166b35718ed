"""The release-process guards of a cutover.

Smoke, error rate, checklist, sign-off, window, image, snapshot, credentials and readiness.

On unprotected environments the process guards (checklist, sign-off, window,
readiness) only warn; on protected ones they block, and only a second
person's break-glass approval lets one operator force past them.
"""

from __future__ import annotations

from relui.config import SIGN_OFF_ROLE
from relui.domain import CredentialKind, GuardResult, RemedyKind
from relui.services.checklist import SignOff
from relui.services.guard_facts import CUTOVER_PHASES, Facts, _result
from relui.services.snapshots import judge_snapshot


def guard_smoke(f: Facts) -> GuardResult:
    """Smoke must have passed for exactly the candidate version."""
    version = f.release.candidate_version if f.release else None
    if version is None:
        return _result("smoke", False, "no candidate to smoke; deploy a version first", f)
    if "smoke" in f.unknown:
        return _result("smoke", False, f.unknown["smoke"], f)
    if f.smoke is None:
        return _result("smoke", False, f"smoke has not run for {version}", f, remedy=RemedyKind.SMOKE)
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
    return _result("checklist", False, f"{len(missing)} checklist items open: {ids}", f, remedy=RemedyKind.CHECKLIST)


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
    owner = [s for s in signoffs if s.role == SIGN_OFF_ROLE]
    if not owner:
        return _result(
            "signoff",
            False,
            f"no product_owner sign-off for {f.checklist.version if f.checklist else '?'}",
            f,
            remedy=RemedyKind.SIGNOFF,
        )
    refused = []
    for s in owner:
        if s.key_owner is not None and (s.key_owner == f.operator or s.key_owner in f.deployed_by):
            refused.append(f"{s.user}'s sign-off was signed with the key of {s.key_owner}, who operates or deployed it")
        elif _operates(s, f):
            refused.append(f"signed off by {s.user}, who deployed or operates it; another must sign")
        elif s.problem:
            refused.append(f"the sign-off by {s.user} does not count: {s.problem}")
        else:
            trust = f"; {s.trust}" if s.trust else ""
            return _result("signoff", True, f"signed off by {s.user} (product_owner) at {s.at[11:16]} UTC{trust}", f)
    return _result("signoff", False, "; ".join(refused), f)


def _operates(s: SignOff, f: Facts) -> bool:
    """The sign-off is the operator's (or the deployer's) own: by name, or recorded by the principal acting now."""
    if s.user == f.operator or s.user in f.deployed_by:
        return True
    # The pipeline records the approval of the release it deploys: its principal deploying is no self-approval.
    if not s.pipeline and s.principal and s.principal in f.deployed_by:
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
    # Only a block has the hotfix way out: where the window only warns, the action goes ahead as it is,
    # and "type a hotfix reason" pointed at a field the confirm does not show.
    return _result("window", False, f.window_reason, f, remedy=RemedyKind.HOTFIX if f.env.protected else None)


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
    ok, reason = judge_snapshot(f.snapshot, f.now, f.max_snapshot_age)
    return _result("snapshot", ok, reason, f)


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
    unmet = ", ".join(f.readiness_unmet)
    return _result("readiness", False, f"go-live criteria not met: {unmet}", f, remedy=RemedyKind.READINESS)
