"""Names and notes in wide characters (CJK, emoji) take two cells each: columns are sized in cells."""

from __future__ import annotations

from textual.widgets import DataTable

from relui.screens.checklist import ChecklistScreen, detail_text
from relui.services.checklist import Checklists
from tests.tui.conftest import ContextFactory, make_app, screen_lines, settle
from tests.tui.test_layout_tables import column_region

OPERATOR = "山田太郎"
EVIDENCE = "smoke ✅ 通過 on green"


async def test_at_120x36_who_and_evidence_in_wide_characters_fit_their_column(make_ctx: ContextFactory) -> None:
    """Sized by len(), the who/evidence column was a cell short per wide character, and its longest cell wrapped."""
    ctx = make_ctx(OPERATOR)
    Checklists(ctx).tick("dev", "tests-passing", note=EVIDENCE)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChecklistScreen) and screen.view is not None
        table = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["phase", "state", "item", "who / evidence"]
        assert table.virtual_size.width <= 120, "no horizontal scrolling"
        evidence = screen_lines(app, column_region(table, 3))
        # Every cell is shorter than the room beside the items, so each is on one line of its column, whole.
        for status in screen.view.items:
            assert any(detail_text(status) in line for line in evidence), (detail_text(status), evidence)
        assert any(f"{OPERATOR} " in line and line.rstrip().endswith(EVIDENCE) for line in evidence), evidence
