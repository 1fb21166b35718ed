"""A column's checklist counts follow ticks made anywhere at the next reading, not half a minute later."""

from __future__ import annotations

from collections.abc import Callable

from relui.screens.reading import EnvReader
from relui.services.checklist import Checklists
from relui.services.context import Context


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
