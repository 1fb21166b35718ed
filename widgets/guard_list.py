"""Guard results with their reasons: PASS / WARN / BLOCK written out, not only colored."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from relui.domain import GuardResult, Verdict

_STYLE = {Verdict.PASS: "green", Verdict.WARN: "bold yellow", Verdict.BLOCK: "bold red"}


# How a screen words a guard's reason with its remedy (the keys it has); without one, the bare reason.
GuardWords = Callable[[GuardResult], str]


def _bare(guard: GuardResult) -> str:
    return guard.reason


def guard_lines(guards: Sequence[GuardResult], words: GuardWords = _bare) -> Table:
    """One row per guard: verdict word, name, reason and remedy (wrapped under itself)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for guard in guards:
        table.add_row(
            Text(guard.verdict.value.upper(), _STYLE[guard.verdict]),
            Text(guard.name, "bold" if guard.blocks else ""),
            Text(words(guard)),
        )
    return table


# Blocks, then warnings, then passes; sorted() keeps the service's order within each.
RANK = {Verdict.BLOCK: 0, Verdict.WARN: 1, Verdict.PASS: 2}


def worst_first(guards: Sequence[GuardResult]) -> list[GuardResult]:
    """The guards with what stops the action on top: on a short screen those are the lines that show."""
    return sorted(guards, key=lambda g: RANK[g.verdict])


def guard_summary(guards: Sequence[GuardResult]) -> str:
    """``2 block, 1 warn, 9 pass`` for a heading."""
    counts = {v: sum(1 for g in guards if g.verdict is v) for v in Verdict}
    return ", ".join(f"{counts[v]} {v.value}" for v in (Verdict.BLOCK, Verdict.WARN, Verdict.PASS) if counts[v])


class GuardList(Static):
    """The guards of one action, worst first kept in the service's stable order."""

    DEFAULT_CSS = """
    GuardList {
        height: auto;
    }
    """

    def __init__(
        self,
        guards: Sequence[GuardResult] = (),
        *,
        words: GuardWords = _bare,
        id: str | None = None,
        classes: str = "",
    ) -> None:
        super().__init__(guard_lines(guards, words), id=id, classes=classes, markup=False)
        self.guards = list(guards)
        self.words = words

    def show(self, guards: Sequence[GuardResult], problem: str | None = None) -> None:
        """Replace the list; ``problem`` says why guards could not be checked."""
        self.guards = [] if problem else worst_first(guards)
        self.update(Text(f"unavailable: {problem}") if problem else guard_lines(self.guards, self.words))
