"""Names and notes in wide characters (CJK, emoji) take two cells each: columns are sized in cells."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from relui.screens.checklist import detail_text
from relui.services.checklist import Checklists
from relui.widgets.plain_cells import wrapped
from tests.tui.conftest import ContextFactory, make_app, screen_lines, settle
from tests.tui.test_layout_tables import column_region, wide_checklist

OPERATOR = "山田太郎"
EVIDENCE = "smoke ✅ 通過 on green"


async def test_at_120x36_who_and_evidence_in_wide_characters_fit_their_column(make_ctx: ContextFactory) -> None:
    """Sized by len(), the who/evidence column was a cell short per wide character, and its longest cell wrapped."""
    ctx = make_ctx(OPERATOR)
    Checklists(ctx).tick("dev", "tests-passing", note=EVIDENCE)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        screen, table = await wide_checklist(app, pilot)
        assert screen.view is not None
        evidence = screen_lines(app, column_region(table, 3))
        # Every cell is shorter than the room beside the items, so each is on one line of its column, whole.
        for status in screen.view.items:
            assert any(detail_text(status) in line for line in evidence), (detail_text(status), evidence)
        assert any(f"{OPERATOR} " in line and line.rstrip().endswith(EVIDENCE) for line in evidence), evidence


async def test_at_120x36_a_description_in_wide_characters_wraps_within_its_column(make_ctx: ContextFactory) -> None:
    """Wrapped by characters, a line of CJK ran twice its column's width and the history scrolled sideways."""
    from relui.screens.environment import EnvironmentScreen
    from relui.services.release import ReleaseService
    from relui.widgets.revision_table import RevisionTable
    from tests.tui.test_screens import wait_for

    ctx = make_ctx()
    reason = "決済ページで5xxエラーが発生したため山田太郎が修正版を承認しました ✅ 本番前に検証環境で確認済み"
    assert ReleaseService(ctx).deploy("qa", "1.6.0", reason=reason).ok
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "enter")  # QA's environment screen
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentScreen))
        history = app.screen.query_one(RevisionTable)
        await wait_for(pilot, lambda: history.row_count == 2)
        assert history.virtual_size.width <= history.scrollable_content_region.width
        assert history.max_scroll_x == 0


@given(st.text(alphabet="ab 山田✅-/", max_size=80), st.integers(min_value=2, max_value=30))
def test_wrapped_lines_fit_their_width_in_cells_and_keep_every_character(text: str, width: int) -> None:
    """Readiness evidence and revision descriptions wrap with this: no line is wider than its column, in cells."""
    lines = wrapped(text, width)
    assert all(cell_len(line) <= width for line in lines), lines
    assert "".join(lines).replace(" ", "") == "".join(text.split())
