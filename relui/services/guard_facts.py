"""What the guards decide on, and how their outcomes combine.

``Facts`` is read once per decision (``facts.gather``); every guard is a pure
function of it (``guards`` for access and traffic, ``release_day_guards`` for
the release process). The helpers here say which blocks stop an action and
which a person may force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from relui.config import EnvironmentConfig
from relui.domain import (
    Color,
    ColorState,
    CredentialInfo,
    DbSnapshot,
    GuardResult,
    LockInfo,
    Principal,
    Remedy,
    RemedyKind,
    Revision,
    Verdict,
)
from relui.services.approvals import Approval
from relui.services.checklist import ChecklistView
from relui.services.locks import LockOwner, lock_owner
from relui.services.release_state import ReleaseState

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
    # Everyone who started a deploy of the candidate, by name and principal (journal.deployers_in).
    deployed_by: frozenset[str] = frozenset()
    readiness_unmet: tuple[str, ...] | None = None
    approval: Approval | None = None
    # Who acts, as the environment's identity source proved it (None: the local operator name, unverified).
    principal: Principal | None = None
    # A rollback cut off after its switch (an intent without outcome): the next rollback finishes it.
    unfinished_rollback: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)
    # The way out of an unknown, where there is one (a journal chain that does not verify: journal verify).
    unknown_remedy: dict[str, Remedy] = field(default_factory=dict)

    @property
    def in_play(self) -> str | None:
        """The release the action is about: what it deploys, the live one a rollback leaves, else the candidate."""
        if self.version:
            return self.version
        if self.release is None:
            return None
        return self.release.live.version if self.action == "rollback" else self.release.candidate_version

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


def _result(
    name: str,
    ok: bool,
    reason: str,
    facts: Facts,
    warn_only: bool = False,
    remedy: RemedyKind | Remedy | None = None,
) -> GuardResult:
    """A guard's outcome; a remedy kind is for this environment, and is kept only on a warn or a block."""
    if ok:
        return GuardResult(name, Verdict.PASS, reason)
    way_out = Remedy(remedy, facts.env.name) if isinstance(remedy, RemedyKind) else remedy
    if warn_only or (name in PROCESS_GUARDS and not facts.env.protected):
        return GuardResult(name, Verdict.WARN, reason, way_out)
    return GuardResult(name, Verdict.BLOCK, reason, way_out)


def with_break_glass(results: list[GuardResult], f: Facts) -> list[GuardResult]:
    """On a protected environment, forcing is a second person's call: say whose approval would be spent."""
    forceable_blocks = [r for r in blocking(results) if r.name not in UNFORCEABLE | UNFORCEABLE_PROTECTED]
    if not f.env.protected or not forceable_blocks:
        return results
    if f.approval is None:
        reason = "forcing on a protected environment needs a second person's approval"
        if all(r.name == "window" for r in forceable_blocks) and not f.hotfix_reason:
            # Only the window blocks, and a hotfix reason clears it without forcing anything.
            reason += "; a hotfix reason alone clears the window, with no forcing"
        remedy = break_glass_remedy(f)
        return [*results, GuardResult("break-glass", Verdict.BLOCK, reason, remedy)]
    approval = f.approval
    reason = (
        f"break-glass approval by {approval.approver} for {approval.purpose} until {approval.expires:%H:%M} UTC: "
        f"{approval.reason}"
    )
    return [*results, GuardResult("break-glass", Verdict.PASS, reason)]


def break_glass_remedy(f: Facts) -> Remedy:
    """A second person's approval of this action, of the release in play: ``argument`` is ``cutover 1.6.0``."""
    return Remedy(RemedyKind.BREAK_GLASS, f.env.name, " ".join(filter(None, (f.action, f.in_play))))


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
