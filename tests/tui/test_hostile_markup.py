"""Text people typed is shown as typed: in tables, panes and toasts, markup in it is neither parsed nor clickable.

A deploy reason ``x [/] y`` crashed the journal, environment and checklist
screens (DataTable read the cell as markup: MarkupError), and a reason of
``[@click=app.quit]...[/]`` put a working action link in the journal.
"""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.content import Content
from textual.widgets import DataTable

from relui.screens.checklist import ChecklistScreen
from relui.screens.environment import EnvironmentScreen
from relui.screens.journal import JournalScreen
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.release import ReleaseService
from relui.widgets.footer import KeyHints
from relui.widgets.revision_table import RevisionTable
from tests.tui.conftest import ContextFactory, make_app, settle
from tests.tui.test_screens import wait_for

BROKEN = "hotfix [/] for INC-9"
CLICKY = "[@click=app.quit]see runbook[/] [reverse]now[/reverse]"


def cells(table: DataTable[object]) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count))


async def test_markup_in_reasons_and_notes_is_shown_literally_everywhere(ctx: Context) -> None:
    assert ReleaseService(ctx).deploy("qa", "1.6.0", reason=f"{BROKEN} {CLICKY}").ok
    Checklists(ctx).tick("qa", "stakeholders-notified", note=CLICKY)
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen) and app.screen.loaded is not None)
        journal = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: journal.row_count > 0)
        assert f"reason: {BROKEN} {CLICKY}" in cells(journal)
        for y in range(1, 5):  # across the detail column, where a link in a cell would be
            for x in range(60, 118, 6):
                await pilot.click(journal, offset=(x, y))
        assert app.is_running
        await pilot.press("escape", "enter")  # QA's environment screen: the Helm history carries the reason
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentScreen))
        history = app.screen.query_one(RevisionTable)
        await wait_for(pilot, lambda: history.row_count == 2)
        assert BROKEN in " ".join(cells(history).split())  # the description wraps in its column
        await pilot.press("escape", "k")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen))
        checklist = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: CLICKY in cells(checklist))
        app.notify(f"lock reason: {BROKEN} {CLICKY}")  # a toast with the same words
        await pilot.pause(0.2)
        assert app.is_running


async def test_a_source_answering_with_brackets_is_quoted_not_parsed(ctx: Context, monkeypatch: object) -> None:
    cluster = ctx.env_ports("qa").cluster

    def garbled() -> object:
        raise RuntimeError("upstream said [/] and [@click=app.quit]retry[/]")

    monkeypatch.setattr(cluster, "color_states", garbled)  # type: ignore[attr-defined]
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentScreen))
        pods = app.screen.query_one("#pod-table")
        await wait_for(pilot, lambda: "upstream said" in str(pods.border_title))
        await pilot.pause(0.2)
        assert app.is_running
        # What the border shows (Textual draws a border title as markup): the source's words, brackets and all.
        shown = Content.from_markup(str(pods.border_title)).plain
        assert "upstream said [/] and [@click=app.quit]retry[/]" in shown


async def test_a_filter_typed_with_brackets_filters_and_shows_as_typed(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"[/]", "enter")
        await settle(pilot)
        assert app.is_running
        column = app.screen.query_one("#env-dev")
        assert Content.from_markup(str(column.border_subtitle)).plain == "/[/]"


async def test_the_palette_says_an_operator_name_and_its_own_words_as_written(make_ctx: ContextFactory) -> None:
    # A name the roles table does not know: the palette's help lines say "... [/] has none on DEV".
    app = make_app(make_ctx("[/]"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await wait_for(pilot, lambda: palette.query_one(CommandList).option_count > 0)
        commands = palette.query_one(CommandList)
        shown = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert app.is_running
        assert any("[/] has none on DEV" in line for line in shown), shown[:3]
        assert any("[keymap]" in line for line in shown)  # relui's own "every key with its [keymap] id"


async def test_a_key_tooltip_is_plain_text(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40), tooltips=True) as pilot:
        await settle(pilot)
        hints = app.screen.query_one(KeyHints)
        help_key = next(x for x, _, hint in hints._spans if hint.key == "question_mark")
        await pilot.hover(hints, offset=(help_key, 0))
        await pilot.pause(0.1)
        assert isinstance(hints.tooltip, Content)
        assert hints.tooltip.plain == "Every key, with ids for [keymap]"
