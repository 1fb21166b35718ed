"""Tables at 80x24 keep every column in view: the checklist's who/evidence, the readiness review's evidence."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import DataTable

from relui.app import ReluiApp
from relui.screens.checklist import ChecklistScreen, detail_text
from relui.screens.readiness import ReadinessScreen
from relui.services.checklist import Checklists
from relui.services.context import Context
from tests.tui.conftest import make_app, settle, words_on_screen

NOTE = "CI run 4812, every suite green on the release branch, artifacts attached to the ticket"


def cells(table: DataTable[object]) -> list[str]:
    return [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]


async def test_at_80x24_who_and_evidence_show_under_the_item_and_nothing_is_cut(ctx: Context) -> None:
    Checklists(ctx).tick("dev", "tests-passing", note=NOTE)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        table = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["phase", "state", "item / who, evidence"]
        text = "\n".join(cells(table))
        assert f"{ctx.operator} " in text and "CI run 4812" in text  # who ticked it, and the start of the note
        assert "observability" in text.lower() or "answered" in text  # an automatic check's evidence
        assert table.virtual_size.width <= 80, "no horizontal scrolling: every column fits"


async def test_at_120_columns_who_and_evidence_keep_their_own_column(ctx: Context) -> None:
    Checklists(ctx).tick("dev", "tests-passing", note="CI run 4812")
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["phase", "state", "item", "who / evidence"]
        assert any("CI run 4812" in cell for cell in cells(table))


async def test_readiness_evidence_wraps_within_80_columns(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReadinessScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == len(screen.criteria) > 0
        assert table.virtual_size.width <= 80, "no horizontal scrolling: the evidence wraps"
        # Wrapped, not cut: every character of each criterion's evidence is still in its cell (a path
        # longer than the column is broken inside, so compare without the whitespace).
        for row, criterion in enumerate(screen.criteria):
            shown = "".join(str(table.get_row_at(row)[2]).split())
            assert shown == "".join(screen.remedies.text(criterion.detail, criterion.remedy).split())
            assert all(len(line) <= 80 for line in str(table.get_row_at(row)[2]).splitlines())


async def test_at_80x24_the_buttons_of_a_full_prod_confirm_stay_on_screen(ctx: Context) -> None:
    """Type-prod, hotfix and reason fields pushed Cancel and Force off an 80x24 terminal; the body scrolls instead."""
    from textual.widgets import Button

    from relui.domain import GuardResult, Remedy, RemedyKind, Verdict
    from relui.screens.confirm import ConfirmScreen

    guards = [
        GuardResult("window", Verdict.BLOCK, "outside release windows", Remedy(RemedyKind.HOTFIX, "prod")),
        *(GuardResult(f"check-{n}", Verdict.BLOCK, f"a block with a long reason, number {n}") for n in range(8)),
    ]
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        changes = ["live traffic: blue (1.4.2) -> green (1.6.0)", "blue (1.4.2) stays up, warm for rollback"]
        screen = ConfirmScreen("Cutover PROD", "prod", protected=True, changes=changes, guards=guards, forceable=True)
        app.push_screen(screen)
        await pilot.pause()
        await pilot.pause()
        dialog = screen.query_one("#confirm-dialog").content_region  # inside its border
        for button in screen.query(Button):
            region = button.region
            assert region.height > 0 and dialog.contains_region(region), (button.id, region, dialog)


async def test_the_highlighted_item_is_read_whole_under_the_table(ctx: Context) -> None:
    """At 100 columns the who/evidence cell cut a long note mid-word; the line under the table has it all."""
    from textual.widgets import Static

    Checklists(ctx).tick("dev", "tests-passing", note=NOTE)
    app = make_app(ctx)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        detail = app.screen.query_one("#checklist-detail", Static)
        for _ in range(table.row_count):
            if NOTE in str(detail.render()):
                break
            await pilot.press("down")
            await pilot.pause()
        said = " ".join(str(detail.render()).split())
        title = next(i.title for i in ctx.config.checklist if i.id == "tests-passing")
        assert said.startswith(f"{title}: {ctx.operator} ") and said.endswith(NOTE)


def column_region(table: DataTable[object], index: int) -> Region:
    """Where the table draws one column on screen, padding included."""
    widths = [column.get_render_width(table) for column in table.ordered_columns]
    region = table.content_region
    return Region(region.x + sum(widths[:index]), region.y, widths[index], region.height)


async def wide_checklist(app: ReluiApp, pilot: Pilot[int]) -> tuple[ChecklistScreen, DataTable[Text]]:
    """``k`` at 120x36: the checklist in its wide layout (who/evidence a column of its own), not scrolling sideways."""
    await settle(pilot)
    await pilot.press("k")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ChecklistScreen) and screen.view is not None
    table: DataTable[Text] = screen.query_one(DataTable)
    assert [str(c.label) for c in table.columns.values()] == ["phase", "state", "item", "who / evidence"]
    assert table.virtual_size.width <= 120, "no horizontal scrolling"
    return screen, table


async def test_at_120x36_every_item_and_its_whole_evidence_are_on_screen(ctx: Context) -> None:
    """The item column took its longest title and who/evidence ran past the right edge; now the item wraps."""
    Checklists(ctx).tick("dev", "tests-passing", note=NOTE)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        screen, table = await wide_checklist(app, pilot)
        assert screen.view is not None
        items = words_on_screen(app, column_region(table, 2))
        evidence = words_on_screen(app, column_region(table, 3))
        for status in screen.view.items:
            assert " ".join(status.item.title.split()) in items, (status.item.title, items)
            assert " ".join(detail_text(status).split()) in evidence, (detail_text(status), evidence)
        assert NOTE in evidence
