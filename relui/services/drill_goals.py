"""What a drill's world and journal say, and each scenario's goal judged from them.

A drill is judged only by what the release service recorded (the drill's own
journal) and what the sandbox world shows now, never by the keys pressed, so
the TUI and the headless CLI complete a drill the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from relui.domain import Color, ColorState, LockInfo, MetricKind
from relui.ports import PortError
from relui.services.context import Context
from relui.services.journal import Entry, Journal
from relui.services.release_state import ReleaseState, release_state

LIVE = "2.3.0"
CANDIDATE = "2.4.0"
FIXED = "2.4.1"
SPIKE_STEP_SECONDS = 5


@dataclass(frozen=True)
class Action:
    """One guarded action of the drill, its intent and outcome joined."""

    action: str
    operator: str
    started: datetime
    status: str  # ok, failed, blocked, forced, interrupted, or "" while it runs
    version: str | None
    from_version: str | None
    to_color: str | None
    reason: str
    blocked_by: tuple[str, ...]
    forced_over: tuple[str, ...]
    ended: datetime | None

    @property
    def forced(self) -> bool:
        """True when the operator forced past blocking guards, however the action then ended."""
        return bool(self.forced_over)

    @property
    def went_through(self) -> bool:
        """True when the action changed the world (ok, or forced past a block)."""
        return self.status in ("ok", "forced")


@dataclass(frozen=True)
class Goal:
    """Where the drill stands: reached, failed for good, or still open (with a line why)."""

    reached: bool
    failed: bool
    detail: str

    @property
    def over(self) -> bool:
        """True when the drill has ended, either way."""
        return self.reached or self.failed


@dataclass
class DrillFacts:
    """Everything a goal is judged on, read once."""

    env: str
    started: datetime
    now: datetime
    actions: list[Action]
    interrupted: int
    threshold: float
    release: ReleaseState | None = None
    colors: dict[Color, ColorState] = field(default_factory=dict)
    live_error_rate: float | None = None
    metrics_problem: str | None = None
    lock: LockInfo | None = None
    holder: str = ""
    ctx: Context | None = None

    def first(self, action: str, version: str | None = None, statuses: tuple[str, ...] = ()) -> Action | None:
        """The first action of a kind (and version, and status) since the drill began."""
        for found in self.actions:
            if found.action != action or (version is not None and found.version != version):
                continue
            if not statuses or found.status in statuses:
                return found
        return None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def actions_of(entries: list[Entry]) -> tuple[list[Action], int]:
    """Intents joined with their outcomes, oldest first; and how many never got one."""
    outcomes = {e.id: e for e in entries if e.kind == "outcome"}
    actions = []
    for intent in (e for e in entries if e.kind == "intent"):
        outcome = outcomes.get(intent.id)
        guards = intent.detail.get("guards") or []
        blocked = tuple(str(g.get("name")) for g in guards if isinstance(g, dict) and g.get("verdict") == "block")
        actions.append(
            Action(
                action=intent.action,
                operator=intent.operator,
                started=_at(intent.at),
                status=outcome.status if outcome else "",
                version=intent.detail.get("version"),
                from_version=intent.detail.get("from_version"),
                to_color=intent.detail.get("to_color"),
                reason=str(intent.detail.get("reason") or ""),
                blocked_by=blocked,
                forced_over=tuple(intent.detail.get("forced_over") or ()),
                ended=_at(outcome.at) if outcome else None,
            )
        )
    return actions, sum(1 for a in actions if not a.status)


def gather(ctx: Context, env: str, started: datetime, holder: str = "") -> DrillFacts:
    """Read the drill's journal and world; a failing source leaves its fact empty."""
    entries = [e for e in Journal(ctx.state_dir, ctx.clock).entries(env) if _at(e.at) >= started]
    actions, interrupted = actions_of(entries)
    ports = ctx.env_ports(env)
    facts = DrillFacts(
        env, started, ctx.clock.now(), actions, interrupted, ctx.env(env).error_threshold, holder=holder, ctx=ctx
    )
    try:
        facts.release = release_state(ports.releases.history(), ports.releases.values())
        facts.colors = ports.cluster.color_states()
        facts.lock = ports.cluster.lock()
    except PortError:
        return facts
    if ports.metrics is not None:
        try:
            facts.live_error_rate = ports.metrics.current(MetricKind.ERROR_RATE).get(facts.release.live_color)
        except PortError as exc:
            facts.metrics_problem = str(exc)
    return facts


def _live_healthy(f: DrillFacts) -> tuple[bool, str]:
    if f.release is None:
        return False, "release state unreadable"
    state = f.colors.get(f.release.live_color)
    rate = f.live_error_rate
    ready = state is not None and state.all_ready
    healthy = ready and rate is not None and rate < f.threshold
    rate_text = "no data" if rate is None else f"{rate * 100:.2f}%"
    return healthy, f"live {f.release.live_color} {f.release.live_version} ready={ready}, error rate {rate_text}"


# -- error-spike ---------------------------------------------------------------------


def error_spike_goal(f: DrillFacts, final: bool) -> Goal:
    """The faulty version went live, was rolled back, and the live color is healthy."""
    cut = f.first("cutover", CANDIDATE, ("ok", "forced"))
    if cut is None:
        return Goal(False, False, f"{CANDIDATE} has not gone live")
    rollback = next(
        (a for a in f.actions if a.action == "rollback" and a.went_through and a.started >= cut.started), None
    )
    if rollback is None:
        return Goal(False, False, f"{CANDIDATE} is live and was never rolled back")
    healthy, line = _live_healthy(f)
    if not healthy or (f.release and f.release.live_version == CANDIDATE):
        return Goal(False, False, f"rolled back, but the live color is not healthy yet: {line}")
    return Goal(True, False, f"{CANDIDATE} went live, was rolled back; {line}")


def error_spike_visible(f: DrillFacts) -> datetime | None:
    """The first error-rate sample over the threshold on the faulty color after cutover."""
    cut = f.first("cutover", CANDIDATE, ("ok", "forced"))
    ctx = f.ctx
    if cut is None or cut.to_color is None or ctx is None:
        return None
    metrics = ctx.env_ports(f.env).metrics
    if metrics is None:
        return None
    minutes = int((f.now - cut.started) / timedelta(minutes=1)) + 2
    try:
        series = metrics.series(MetricKind.ERROR_RATE, minutes, SPIKE_STEP_SECONDS).get(Color(cut.to_color))
    except PortError:
        return None
    if series is None:
        return None
    return next((p.at for p in series.points if p.at >= cut.started and p.value >= f.threshold), None)


# -- crashloop -------------------------------------------------------------------------


def crashloop_goal(f: DrillFacts, final: bool) -> Goal:
    """The failed deploy was noticed, traffic never moved to it, and a good version was deployed."""
    moved = f.first("cutover", CANDIDATE, ("ok", "forced"))
    if moved is not None or (f.release and f.release.live_version == CANDIDATE):
        return Goal(False, True, f"live traffic moved to the crash-looping {CANDIDATE}")
    failed = f.first("deploy", CANDIDATE, ("failed",))
    if failed is None:
        return Goal(False, False, f"the deploy of {CANDIDATE} has not failed yet")
    good = next((a for a in f.actions if a.action == "deploy" and a.version == FIXED and a.went_through), None)
    if good is None or good.started < failed.started:
        return Goal(False, False, f"{CANDIDATE} failed to deploy; {FIXED} not deployed since")
    return Goal(True, False, f"{CANDIDATE} failed to deploy, traffic stayed on {LIVE}, {FIXED} deployed")


def crashloop_visible(f: DrillFacts) -> datetime | None:
    """relui reported the crash loop: the failed deploy's outcome."""
    failed = f.first("deploy", CANDIDATE, ("failed",))
    return failed.ended if failed else None


# -- missing-tag -------------------------------------------------------------------------


def missing_tag_goal(f: DrillFacts, final: bool) -> Goal:
    """The image guard stopped the missing image, and it was never forced."""
    if any(a.action == "deploy" and a.version == CANDIDATE and (a.forced or a.went_through) for a in f.actions):
        return Goal(False, True, f"{CANDIDATE} was forced past the image guard")
    blocked = next((a for a in f.actions if a.action == "deploy" and "image" in a.blocked_by), None)
    if blocked is not None:
        return Goal(True, False, f"deploy of {blocked.version} blocked by the image guard; not forced")
    rebuilt = f.first("deploy", FIXED, ("ok", "forced"))
    if rebuilt is not None:
        return Goal(True, False, f"{CANDIDATE} never forced; the re-pushed {FIXED} was deployed instead")
    return Goal(False, False, "no release attempted yet")


# -- prometheus-dark -------------------------------------------------------------------------


def prometheus_dark_goal(f: DrillFacts, final: bool) -> Goal:
    """No cutover with metrics unavailable, unless forced with a journaled reason."""
    deployed = f.first("deploy", CANDIDATE, ("ok", "forced"))
    if deployed is None:
        return Goal(False, False, f"{CANDIDATE} not deployed yet")
    for cut in (a for a in f.actions if a.action == "cutover" and a.version == CANDIDATE):
        if cut.status == "ok":
            return Goal(False, True, "cut over with the error rate unreadable (blind)")
        if cut.forced:
            return Goal(True, False, f"forced the cutover with a journaled reason: {cut.reason}")
        if cut.status == "blocked" and "error-rate" in cut.blocked_by:
            return Goal(True, False, "held the cutover: the error-rate guard blocked it and it was not forced")
    if final:
        return Goal(True, False, "never cut over while the metrics were dark")
    return Goal(False, False, f"{CANDIDATE} deployed; no cutover attempted")


def prometheus_dark_visible(f: DrillFacts) -> datetime | None:
    """The metrics went dark with the candidate's deploy; the operator sees it when the deploy returns."""
    deployed = f.first("deploy", CANDIDATE, ("ok", "forced"))
    return deployed.ended if deployed else None


# -- lock-held ---------------------------------------------------------------------------------


def under_lock(f: DrillFacts) -> list[Action]:
    """The operator's attempts the other holder's lock stopped."""
    return [a for a in f.actions if "lock" in a.blocked_by]


def lock_held_goal(f: DrillFacts, final: bool) -> Goal:
    """Nothing done under the other operator's lock; the release went out once it was released."""
    if f.lock is not None and f.lock.holder == f.holder:
        if final and not under_lock(f):
            return Goal(True, False, f"did not act while {f.holder} held the lock")
        return Goal(False, False, f"{f.holder} still holds the lock")
    deployed = f.first("deploy", CANDIDATE, ("ok", "forced"))
    if deployed is None:
        if final and not under_lock(f):
            return Goal(True, False, f"did not act while {f.holder} held the lock")
        return Goal(False, False, f"{f.holder} released the lock; {CANDIDATE} not deployed yet")
    return Goal(True, False, f"waited for {f.holder} to release the lock, then deployed {CANDIDATE}")


def lock_held_violations(f: DrillFacts) -> list[str]:
    """Every attempt under the lock is a guard the operator walked into."""
    tries = under_lock(f)
    return [f"acted {len(tries)}x while {f.holder} held the lock"] if tries else []


GoalCheck = Callable[[DrillFacts, bool], Goal]
VisibleAt = Callable[[DrillFacts], datetime | None]
