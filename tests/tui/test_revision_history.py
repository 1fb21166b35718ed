"""The environment screen's Helm history: a long description is read whole, at 80 columns too."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from relui.screens.environment import EnvironmentScreen
from relui.services.context import Context
from relui.services.release import ReleaseService
from relui.widgets.revision_table import RevisionTable
from tests.tui.conftest import make_app, settle
from tests.tui.test_screens import wait_for

REASON = "INC-4711 checkout 5xx after 1.5.1 on the payment path; hotfix approved by the product owner at standup"


def description(table: RevisionTable, row: int) -> str:
    cell = table.get_row_at(row)[-1]
    assert isinstance(cell, Text)
    return cell.plain


async def test_a_long_description_wraps_in_its_column_instead_of_running_off_the_screen(ctx: Context) -> None:
    assert ReleaseService(ctx).deploy("qa", "1.6.0", reason=REASON).ok
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("right", "enter")  # QA's environment screen
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentScreen))
        history = app.screen.query_one(RevisionTable)
        await wait_for(pilot, lambda: history.row_count == 2)
        newest = description(history, 0)
        # At 80 columns the row takes three lines of it and says it goes on.
        assert newest.count("\n") == 2 and newest.endswith("...")
        # Every word is on screen: the table is no wider than its window, so nothing is off to the right.
        assert history.virtual_size.width <= history.scrollable_content_region.width
        assert history.max_scroll_x == 0
        # Under the table, the highlighted revision's description whole, as the journal has it.
        detail = str(app.screen.query_one("#history-detail", Static).render())
        assert REASON in " ".join(detail.split()) and detail.startswith("rev 2: ")

        narrow = newest.count("\n")
        await pilot.resize_terminal(200, 40)
        await wait_for(pilot, lambda: description(history, 0).count("\n") < narrow)
        assert description(history, 0).count("\n") <= 1
        assert REASON in " ".join(description(history, 0).split())
