"""Value types of the release domain: colors, pods, snapshots, guard outcomes.

Everything here is frozen and free of IO, so the TUI, the CLI, the services
and the adapters can pass these around without sharing mutable state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from relui.printable import printable_fields as _printable


class Color(StrEnum):
    """One side of a blue/green pair."""

    BLUE = "blue"
    GREEN = "green"

    @property
    def other(self) -> Color:
        """The opposite color: the warm side after a cutover, the idle side before."""
        return Color.GREEN if self is Color.BLUE else Color.BLUE


class Verdict(StrEnum):
    """What a guard decided about an action."""

    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"


class MetricKind(StrEnum):
    """The per-color figures relui reads from a metrics source."""

    ERROR_RATE = "error_rate"
    REQUEST_RATE = "request_rate"
    LATENCY_P95 = "latency_p95"


class CredentialKind(StrEnum):
    """How the cloud credentials in use were issued."""

    TEMPORARY = "temporary"
    LONG_LIVED = "long_lived"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PodHealth:
    """One pod of one color as the cluster reports it."""

    name: str
    color: Color
    phase: str
    ready: bool
    restarts: int = 0
    reason: str | None = None
    started_at: datetime | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        _printable(self, "name", "phase", "reason")


# The reasons an operator must see first, worst first.
_REASON_RANK = (
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "OOMKilled",
    "Error",
    "CreateContainerConfigError",
    "ContainerCreating",
    "Pending",
)


def worst_reason(pods: tuple[PodHealth, ...] | list[PodHealth]) -> str | None:
    """The most alarming waiting/terminated reason among pods, or None."""
    reasons = [p.reason for p in pods if p.reason]
    if not reasons:
        return None

    def rank(reason: str) -> int:
        return _REASON_RANK.index(reason) if reason in _REASON_RANK else len(_REASON_RANK)

    return min(reasons, key=rank)


@dataclass(frozen=True)
class ColorState:
    """The deployment of one color: what runs there and how healthy it is."""

    color: Color
    version: str | None
    enabled: bool
    desired: int
    ready: int
    revision: int | None = None
    pods: tuple[PodHealth, ...] = ()

    @property
    def restarts(self) -> int:
        """Total container restarts across the color's pods."""
        return sum(p.restarts for p in self.pods)

    @property
    def worst_reason(self) -> str | None:
        """The reason an operator should look at first, if any pod is unhappy."""
        return worst_reason(self.pods)

    @property
    def all_ready(self) -> bool:
        """True when every desired pod is ready (and at least one is desired)."""
        return self.enabled and self.desired > 0 and self.ready >= self.desired


@dataclass(frozen=True)
class Point:
    """One sample of a series."""

    at: datetime
    value: float


@dataclass(frozen=True)
class Series:
    """A time series of one figure for one color, oldest first."""

    points: tuple[Point, ...] = ()

    @property
    def latest(self) -> float | None:
        """The newest value, or None for an empty series."""
        return self.points[-1].value if self.points else None

    @property
    def values(self) -> list[float]:
        """The values alone, oldest first (what a sparkline draws)."""
        return [p.value for p in self.points]


@dataclass(frozen=True)
class LockInfo:
    """Who holds an environment's operator lock, and since when."""

    holder: str
    since: datetime
    renewed: datetime | None = None

    def __post_init__(self) -> None:
        _printable(self, "holder")


@dataclass(frozen=True)
class ReleaseValues:
    """The blue/green values of the environment's Helm release."""

    active_color: Color
    blue_tag: str | None
    green_tag: str | None
    blue_enabled: bool = True
    green_enabled: bool = False

    def tag(self, color: Color) -> str | None:
        """The image tag configured for a color."""
        return self.blue_tag if color is Color.BLUE else self.green_tag

    def enabled(self, color: Color) -> bool:
        """Whether the color's Deployment is rendered."""
        return self.blue_enabled if color is Color.BLUE else self.green_enabled


@dataclass(frozen=True)
class Revision:
    """One entry of the release history (helm history)."""

    number: int
    status: str
    description: str
    updated: datetime
    values: ReleaseValues | None = None

    def __post_init__(self) -> None:
        _printable(self, "status", "description")


@dataclass(frozen=True)
class DbSnapshot:
    """A database snapshot (RDS or simulated)."""

    identifier: str
    created: datetime
    status: str = "available"

    @property
    def usable(self) -> bool:
        """A snapshot a restore could start from now: one still being made, failed or being deleted is not."""
        return self.status == "available"


@dataclass(frozen=True)
class CredentialInfo:
    """The identity behind the cloud credentials and how they were issued."""

    kind: CredentialKind
    identity: str
    detail: str = ""


@dataclass(frozen=True)
class Principal:
    """Who is acting, as an identity source proved it (or, locally, as the environment claims it).

    ``principal`` is what the source authenticated (an STS ARN with the role
    session name, a Kubernetes username, a local name); ``user`` the relui user
    it maps to, with that user's ``roles``; ``how`` says in words how it was
    verified, "local $RELUI_USER (unverified)" when it was not.
    """

    principal: str
    user: str
    groups: tuple[str, ...] = ()
    verified: bool = False
    how: str = ""
    roles: tuple[str, ...] = ()
    kind: str = "local"  # the identity source: local, aws, kubernetes
    # The source could not be asked (down, timed out): nothing was proven either way.
    dark: bool = False

    @property
    def label(self) -> str:
        """How the principal is shown: the relui user, and the principal when it differs."""
        return self.user if self.principal == self.user else f"{self.user} ({self.principal})"


@dataclass(frozen=True)
class SmokeResult:
    """The outcome of one smoke check against one color."""

    name: str
    passed: bool
    detail: str

    def __post_init__(self) -> None:
        _printable(self, "detail")


@dataclass(frozen=True)
class Finding:
    """One line of ``relui doctor``: a source checked, whether it is fine, and the fix."""

    source: str
    ok: bool
    detail: str
    fix: str = ""


class RemedyKind(StrEnum):
    """What an operator can do about a refusal; each face words it its own way (CLI flag or command, TUI key)."""

    SMOKE = "smoke"
    DEPLOY = "deploy"
    INSTALL = "install"
    CHECKLIST = "checklist"
    SIGNOFF = "signoff"
    HOTFIX = "hotfix"
    READINESS = "readiness"
    READINESS_SIGNOFF = "readiness_signoff"
    TO_REVISION = "to_revision"
    ROLLBACK = "rollback"
    DRILL = "drill"
    BREAK_GLASS = "break_glass"
    UNLOCK_FORCE = "unlock_force"
    JOURNAL_VERIFY = "journal_verify"
    WHOAMI = "whoami"


@dataclass(frozen=True)
class Remedy:
    """The way out of a refusal, as data: the reason says what is wrong, the face says how to fix it here.

    ``argument`` is what the remedy needs besides the environment: a revision
    number (to_revision), a readiness item (readiness_signoff), the days a
    drill counts for (drill).
    """

    kind: RemedyKind
    env: str
    argument: str | None = None


@dataclass(frozen=True)
class GuardResult:
    """One precondition of an action and what it decided, in plain words, and the way out if there is one."""

    name: str
    verdict: Verdict
    reason: str
    remedy: Remedy | None = None

    @property
    def blocks(self) -> bool:
        """True when this guard stops the action unless forced."""
        return self.verdict is Verdict.BLOCK


@dataclass(frozen=True)
class EnvSnapshot:
    """Everything the dashboard shows about one environment at one moment.

    A source that failed leaves its fields empty and adds a line to
    ``problems``; the rest of the snapshot is still valid.
    """

    name: str
    kind: str
    protected: bool
    taken_at: datetime
    active_color: Color | None = None
    colors: dict[Color, ColorState] = field(default_factory=dict)
    error_rate: dict[Color, float | None] = field(default_factory=dict)
    error_series: dict[Color, Series] = field(default_factory=dict)
    error_threshold: float | None = None
    lock: LockInfo | None = None
    problems: tuple[str, ...] = ()
    metrics_problem: str | None = None
    cluster_problem: str | None = None
    lock_problem: str | None = None  # the lock could not be read: ``lock`` None then means unknown, not free
    # One display line per action cut off mid-way (relui.services.interrupted), so the dashboard shows them too.
    interrupted: tuple[str, ...] = ()

    @property
    def idle_color(self) -> Color | None:
        """The color not taking live traffic."""
        return self.active_color.other if self.active_color else None
