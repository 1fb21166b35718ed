"""What a column reading follows: ticks made anywhere at the next reading, and which versions crash-loop now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from relui.domain import Color, ColorState, EnvSnapshot, PodHealth
from relui.screens.reading import EnvReader, crashing_now
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.widgets.column_data import ColumnData


def pre_release_done(reader: EnvReader) -> int:
    """How many pre-release items the column would show as done."""
    phases = {p.phase: p for p in reader().checklist}
    return phases["pre-release"].done


def test_a_tick_from_another_instance_shows_at_the_next_reading(
    ctx: Context, as_user: Callable[[str], Context]
) -> None:
    reader = EnvReader(ctx, "qa")
    before = pre_release_done(reader)
    # Another relui (the CLI on a second bastion, as the QA lead) ticks an item; no time passes here.
    Checklists(as_user("qa")).tick("qa", "tests-passing", note="CI run 4411 green")
    assert pre_release_done(reader) == before + 1
    Checklists(as_user("qa")).tick("qa", "tests-passing", done=False)
    assert pre_release_done(reader) == before


def test_a_reading_with_nothing_new_in_the_journal_does_not_read_the_checklist_again(
    ctx: Context, monkeypatch: object
) -> None:
    reader = EnvReader(ctx, "qa")
    reader()
    reads: list[str | None] = []
    real = reader.checklists.view

    def counting(env: str, version: str | None = None, evaluate: bool = True) -> object:
        reads.append(version)
        return real(env, version, evaluate)

    reader.checklists.view = counting  # type: ignore[method-assign]
    reader()
    reader()
    assert reads == []
    Checklists(ctx).tick("qa", "config-validated")
    reader()
    assert len(reads) == 1


def reading_with(reason: str, restarts: int) -> ColumnData:
    """DEV's reading with green's one pod of 1.6.1-rc1 in the given state."""
    pod = PodHealth("shop-green-0", Color.GREEN, "Running", False, restarts, reason, None, "1.6.1-rc1")
    green = ColorState(Color.GREEN, "1.6.1-rc1", True, 1, 0, pods=(pod,))
    snapshot = EnvSnapshot("dev", "sandbox", False, datetime(2026, 12, 1, tzinfo=UTC), colors={Color.GREEN: green})
    return ColumnData(snapshot=snapshot)


def test_a_container_that_died_again_counts_as_crash_looping_as_it_waits_between_restarts() -> None:
    # Kubernetes alternates a looping container's reason: CrashLoopBackOff while it waits, Error once it died again.
    assert crashing_now([reading_with("CrashLoopBackOff", 3)]) == {"1.6.1-rc1": ("dev",)}
    assert crashing_now([reading_with("Error", 3)]) == {"1.6.1-rc1": ("dev",)}
    # One crash is not yet a loop.
    assert crashing_now([reading_with("Error", 0)]) == {}
