"""A reading of one environment, as its dashboard column is drawn from it (``ColumnData``).

Data only, on the domain's types, with no Textual: so a reading can start,
in a thread, while the TUI is still being imported (screens/reading.py).
The words a column shows of it are widgets/column_view.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from relui.domain import Color, EnvSnapshot

# A color's role in its environment, as a column names it.
LIVE = "live"
CANDIDATE = "candidate"
IDLE = "idle"


@dataclass(frozen=True)
class PhaseProgress:
    """Done and total items of one checklist phase."""

    phase: str
    done: int
    total: int


@dataclass(frozen=True)
class LastAction:
    """The newest journal record of an environment, for one line."""

    action: str
    status: str
    operator: str
    at: str  # HH:MM UTC
    version: str | None = None

    def text(self, wide: bool) -> str:
        """``deploy 1.6.0 ok ops 11:22``; narrow columns drop the version."""
        what = f"{self.action} {self.version}" if self.version and wide else self.action
        return f"{what} {self.status} {self.operator} {self.at}"


@dataclass(frozen=True)
class ColumnData:
    """Everything one column shows, read in one refresh.

    Each source that failed carries its own ``*_problem`` line, so the rest
    of the column keeps updating around it.
    """

    snapshot: EnvSnapshot
    candidate_color: Color | None = None
    candidate_version: str | None = None
    version_in_play: str | None = None
    checklist: tuple[PhaseProgress, ...] = ()
    checklist_problem: str | None = None
    last_action: LastAction | None = None
    journal_problem: str | None = None
    release_problem: str | None = None
    # The bake of the last cutover when it breached: the line to show in red, with the key.
    bake_breach: str | None = None
    # The previous live color while it still serves (the instant rollback target): the only "warm" one.
    warm_color: Color | None = None
    # Versions a rollback moved traffic away from: marked failed where they still run.
    rolled_back_from: frozenset[str] = frozenset()

    @property
    def env(self) -> str:
        """The environment's name."""
        return self.snapshot.name

    def shows_the_same_as(self, other: ColumnData | None) -> bool:
        """True when ``other`` differs only in when it was read: nothing on screen would change."""
        if other is None:
            return False
        return replace(other, snapshot=replace(other.snapshot, taken_at=self.snapshot.taken_at)) == self

    def role(self, color: Color) -> str:
        """Whether a color is live, the candidate, or idle."""
        if self.snapshot.active_color == color:
            return LIVE
        return CANDIDATE if self.candidate_color == color else IDLE
