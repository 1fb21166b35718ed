"""Scoring a drill from its journal and world, and keeping the score in the team's history.

The score says whether the goal was reached, how fast the operator reacted
(fault visible -> first action, fault visible -> rolled back), whether every
guard was respected (no forced override the scenario did not call for), and
whether the journal is complete (no action left without an outcome). A drill
passes when its goal is reached with guards respected and the journal complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from relui.services import drill_goals as goals
from relui.services.drill_records import DrillRecord, append_record
from relui.services.drills import DrillRun

# Reaction times that earn full and half marks, in seconds.
DETECT_FULL, DETECT_HALF = 60.0, 180.0
ROLLBACK_FULL, ROLLBACK_HALF = 120.0, 300.0


@dataclass(frozen=True)
class DrillScore:
    """How a drill went, in numbers and plain lines."""

    run_id: str
    drill: str
    operator: str
    env: str
    goal: goals.Goal
    time_to_detect: float | None
    time_to_rollback: float | None
    violations: tuple[str, ...]
    interrupted: int
    state_dir: Path

    @property
    def guards_respected(self) -> bool:
        """No forced override beyond what the scenario expects, no walking into a lock."""
        return not self.violations

    @property
    def journal_complete(self) -> bool:
        """Every action has its outcome."""
        return self.interrupted == 0

    @property
    def passed(self) -> bool:
        """Goal reached, guards respected, journal complete."""
        return self.goal.reached and self.guards_respected and self.journal_complete

    @property
    def points(self) -> int:
        """0-100: goal 50, guards 20, journal 10, reaction 20 (full marks where a time does not apply)."""
        total = 50 if self.goal.reached else 0
        total += 20 if self.guards_respected else 0
        total += 10 if self.journal_complete else 0
        total += _speed(self.time_to_detect, DETECT_FULL, DETECT_HALF)
        total += _speed(self.time_to_rollback, ROLLBACK_FULL, ROLLBACK_HALF)
        return total

    def lines(self) -> list[str]:
        """The score as the operator reads it."""
        verdict = "PASSED" if self.passed else ("FAILED" if self.goal.failed else "NOT PASSED")
        return [
            f"drill {self.drill} on {self.env.upper()} by {self.operator}: {verdict}, {self.points}/100",
            f"goal: {'reached' if self.goal.reached else 'not reached'}: {self.goal.detail}",
            f"time to detect: {_seconds(self.time_to_detect)}",
            f"time to roll back: {_seconds(self.time_to_rollback)}",
            "guards respected: " + ("yes" if self.guards_respected else "no: " + "; ".join(self.violations)),
            "journal complete: "
            + ("yes" if self.journal_complete else f"no: {self.interrupted} action(s) without an outcome"),
        ]

    def to_json(self) -> dict[str, object]:
        """The score as one JSON object."""
        return {
            "id": self.run_id,
            "drill": self.drill,
            "operator": self.operator,
            "env": self.env,
            "passed": self.passed,
            "points": self.points,
            "goal": {"reached": self.goal.reached, "failed": self.goal.failed, "detail": self.goal.detail},
            "time_to_detect_seconds": self.time_to_detect,
            "time_to_rollback_seconds": self.time_to_rollback,
            "guards_respected": self.guards_respected,
            "violations": list(self.violations),
            "journal_complete": self.journal_complete,
            "interrupted": self.interrupted,
            "state_dir": str(self.state_dir),
        }


def _speed(seconds: float | None, full: float, half: float) -> int:
    if seconds is None or seconds <= full:
        return 10
    return 5 if seconds <= half else 0


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


def check_goal(run: DrillRun, final: bool = False) -> goals.Goal:
    """Where the drill stands now; ``final`` when the drill is being ended (quit, or scored headless)."""
    facts = goals.gather(run.ctx, run.env, run.started, run.holder)
    return run.scenario.goal(facts, final)


def score(run: DrillRun, final: bool = True) -> DrillScore:
    """Score the drill from its journal and world."""
    facts = goals.gather(run.ctx, run.env, run.started, run.holder)
    goal = run.scenario.goal(facts, final)
    visible = run.scenario.visible(facts) if run.scenario.visible else None
    detect = rollback = None
    if visible is not None:
        reaction = next((a for a in facts.actions if a.started > visible), None)
        detect = _elapsed(visible, reaction.started if reaction else None)
        rolled = next(
            (a for a in facts.actions if a.action == "rollback" and a.went_through and a.ended and a.ended > visible),
            None,
        )
        rollback = _elapsed(visible, rolled.ended if rolled else None)
    violations = [
        f"{a.action} {a.version or ''} forced over {', '.join(a.forced_over) or 'guards'}".replace("  ", " ")
        for a in facts.actions
        if a.forced and not set(a.forced_over) <= run.scenario.expected_force
    ]
    if run.scenario.violations:
        violations += run.scenario.violations(facts)
    return DrillScore(
        run.id,
        run.scenario.name,
        run.ctx.operator_on(run.env),
        run.env,
        goal,
        detect,
        rollback,
        tuple(violations),
        facts.interrupted,
        run.state_dir,
    )


def _elapsed(since: datetime, until: datetime | None) -> float | None:
    return None if until is None else max(0.0, (until - since).total_seconds())


def record(state_dir: Path, result: DrillScore, finished: datetime) -> Path:
    """Append the score to ``drills.jsonl`` in the operator's real state dir (team training reads it)."""
    summary = "; ".join(result.lines()[1:2])
    entry = DrillRecord(
        result.run_id,
        result.drill,
        result.operator,
        finished,
        result.passed,
        result.points,
        summary,
        str(result.state_dir),
    )
    return append_record(state_dir, entry)
