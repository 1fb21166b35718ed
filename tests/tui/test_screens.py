"""Detail, checklist, journal, help, keymap and the command palette."""

from __future__ import annotations

from textual.command import CommandPalette, SearchIcon
from textual.widgets import DataTable, Input, Static

from relui.domain import Color
from relui.screens.checklist import ChecklistScreen
from relui.screens.choice import ChoiceScreen
from relui.screens.environment import EnvironmentScreen
from relui.screens.help import HelpScreen
from relui.screens.journal import JournalScreen
from relui.screens.note import NoteScreen
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.widgets.error_sparkline import ErrorSparkline
from relui.widgets.guard_list import GuardList
from relui.widgets.pod_table import PodTable
from relui.widgets.revision_table import RevisionTable
from tests.tui.conftest import ContextFactory, make_app, settle


async def wait_for(pilot: object, condition: object, tries: int = 200) -> None:
    """Poll until ``condition()`` holds (screens load in thread workers)."""
    for _ in range(tries):
        if condition():  # type: ignore[operator]
            return
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    raise AssertionError("condition never held")


async def test_detail_shows_pods_history_metrics_and_guards(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EnvironmentScreen) and screen.env.name == "qa"
        await wait_for(pilot, lambda: screen.query_one(PodTable).row_count == 3)
        await wait_for(pilot, lambda: "cutover" in str(screen.query_one("#guards-title-cutover").render()))
        await wait_for(pilot, lambda: "BLOCKED" in str(screen.query_one("#guards-title-cutover").render()))
        assert screen.query_one(RevisionTable).row_count == 1
        assert "ERR 0." in str(screen.query_one(f"#err-{Color.BLUE}", ErrorSparkline).query_one("Label").render())
        cutover = {g.name: g for g in screen.query_one("#guards-cutover", GuardList).guards}
        assert cutover["candidate"].blocks
        # Worst first, as in the confirm: below the fold at 80x24 a block was the line not seen.
        assert screen.query_one("#guards-cutover", GuardList).guards[0].blocks
        await pilot.press("escape")
        assert not isinstance(app.screen, EnvironmentScreen)


async def test_checklist_tick_asks_for_a_note(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 13)
        await pilot.press("space")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"CI 4411", "enter")
        await wait_for(pilot, lambda: Checklists(ctx).view("dev", evaluate=False).items[0].done)
        item = Checklists(ctx).view("dev", evaluate=False).items[0]
        assert (item.by, item.note) == ("alice", "CI 4411")
        await wait_for(pilot, lambda: "alice" in str(table.get_row_at(0)[3]))

        # Unticking asks why, not "who checked, where, ticket" as for a tick.
        await pilot.press("space")
        await pilot.pause()
        note = app.screen
        assert isinstance(note, NoteScreen) and note.title_text.startswith("Untick: ")
        assert note.placeholder == "note (optional): why it is not done after all"


async def test_sign_off_in_a_held_role(make_ctx: ContextFactory) -> None:
    ctx = make_ctx("carol")  # qa_lead
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert [key for key, _ in app.screen.options] == ["qa_lead"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(Checklists(ctx).view("dev", evaluate=False).signoffs))
        signoff = Checklists(ctx).view("dev", evaluate=False).signoffs[0]
        assert (signoff.role, signoff.user) == ("qa_lead", "carol")


async def test_refused_sign_off_shows_the_services_reason(make_ctx: ContextFactory) -> None:
    ctx = make_ctx("dave")  # no roles at all
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app._notifications))
        messages = [n.message for n in app._notifications]
        assert any("dave does not hold role 'product_owner'" in m for m in messages), messages
        assert Checklists(ctx).view("dev", evaluate=False).signoffs == ()


async def test_auto_items_cannot_be_ticked(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        screen = app.screen
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 13)
        table.move_cursor(row=4)  # "Observability active" is automatic
        await pilot.press("space")
        await pilot.pause()
        assert app.screen is screen
        assert any("checked automatically" in n.message for n in app._notifications)


async def test_journal_and_help(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        ids = {row.binding_id for _, rows in help_screen.sections for row in rows}
        assert {"deploy", "smoke", "cutover", "rollback", "lock", "checklist", "journal", "help", "quit"} <= ids
        assert {"tick", "sign-off", "back"} <= ids
        await pilot.press("escape")
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, JournalScreen)
        await wait_for(pilot, lambda: "records" in str(app.screen.query_one("#journal-title", Static).render()))


async def test_keymap_from_config_remaps_an_action(make_ctx: ContextFactory) -> None:
    ctx = make_ctx(extra='\n[keymap]\ndeploy = "D"\nchecklist = "ctrl+k"\n')
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = {b.binding.id: key for key, b in app.screen.active_bindings.items()}
        assert keys["deploy"] == "D" and keys["checklist"] == "ctrl+k"
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)


async def test_palette_offers_actions_with_reasons(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert str(palette.query_one(SearchIcon).icon) == ">"
        await pilot.press(*"cutover prod")
        await pilot.pause(0.5)
        options = palette.query_one("CommandList")
        text = " ".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))  # type: ignore[attr-defined]
        assert "Cutover PROD" in text
        assert "no candidate on PROD" in text
        palette.query_one(Input).value = ""
        await pilot.press(*"deploy to qa", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert "QA" in app.screen.title_text
