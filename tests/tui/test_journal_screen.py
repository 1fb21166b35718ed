"""The journal at 80x24: the table's detail column is cut, so the highlighted record is shown whole beneath it."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from relui.screens.journal import JournalScreen
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle
from tests.tui.test_screens import wait_for


def pane(app: object) -> str:
    return str(app.screen.query_one("#journal-record", Static).content)  # type: ignore[attr-defined]


async def test_the_highlighted_record_is_readable_whole_at_80x24(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.6.0").ok
    blocked = service.cutover("prod")
    assert blocked.status == "blocked"
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, JournalScreen) and pane(app) != "")
        # The newest record, its message whole, on screen: the table's cell shows only its first words at this width.
        assert blocked.message in pane(app)
        record = app.screen.query_one("#journal-record-pane").region
        assert record.height >= 3 and record.bottom <= 23  # above the key line
        assert app.screen.query_one(DataTable).region.height >= 5
        await pilot.press("down")  # the cutover's intent: which guards blocked it, one line each
        await wait_for(pilot, lambda: "guards:" in pane(app))
        text = pane(app)
        assert "BLOCK signoff: no product_owner sign-off for 1.6.0" in text
        assert "'verdict'" not in text and "version: 1.6.0" in text
