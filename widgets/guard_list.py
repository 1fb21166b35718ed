"""Guard results with their reasons: PASS / WARN / BLOCK written out, not only colored."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from relui.domain import GuardResult, Verdict

_STYLE = {Verdict.PASS: "green", Verdict.WARN: "bold yellow", Verdict.BLOCK: "bold red"}


def guard_lines(guards: Sequence[GuardResult]) -> Text:
    """One line per guard: verdict word, name, reason."""
    text = Text()
    width = max((len(g.name) for g in guards), default=0)
    for guard in guards:
        text.append(f"{guard.verdict.value.upper():<5} ", _STYLE[guard.verdict])
        text.append(f"{guard.name:<{width}}  ", "bold" if guard.blocks else "")
        text.append(f"{guard.reason}\n")
    text.rstrip()
    return text


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

    def __init__(self, guards: Sequence[GuardResult] = (), *, id: str | None = None, classes: str = "") -> None:
        super().__init__(guard_lines(guards), id=id, classes=classes, markup=False)

    def show(self, guards: Sequence[GuardResult], problem: str | None = None) -> None:
        """Replace the list; ``problem`` says why guards could not be checked."""
        self.update(Text(f"unavailable: {problem}") if problem else guard_lines(guards))
