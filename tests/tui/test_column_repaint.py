"""Over SSH every repainted cell is bytes: a reading repaints only the column rows it changed, in few runs."""

from __future__ import annotations

from dataclasses import replace

from textual.geometry import Region

from relui.domain import Color, Point, Series
from relui.services.context import Context
from relui.widgets.env_column import EnvColumn
from tests.tui.conftest import make_app, settle


async def test_a_new_error_sample_repaints_only_the_rows_of_that_sparkline(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        column = app.screen.query_one("#env-qa", EnvColumn)
        data = column.data
        assert data is not None
        before = column.lines()
        refreshed: list[tuple[Region, ...]] = []
        original = column.refresh

        def spy(*regions: Region, **kwargs: bool) -> EnvColumn:
            refreshed.append(regions)
            return original(*regions, **kwargs)

        column.refresh = spy  # type: ignore[method-assign]
        series = data.snapshot.error_series[Color.BLUE]
        spike = Series((*series.points[1:], Point(series.points[-1].at, 0.04)))
        snapshot = replace(data.snapshot, error_series={**data.snapshot.error_series, Color.BLUE: spike})
        column.post_message(EnvColumn.Refreshed(column, replace(data, snapshot=snapshot)))
        await pilot.pause()
        after = column.lines()
        changed = {y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new}
        assert changed, "the spike shows"
        assert len(refreshed) == 1 and refreshed[0], "a partial repaint, not the whole column"
        assert {region.y for region in refreshed[0]} == changed
        assert changed <= {y for y, line in enumerate(after) if line in column.section("errors-blue").split("\n")}


async def test_a_sparkline_row_is_a_few_runs_not_a_segment_per_cell(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        column = app.screen.query_one("#env-qa", EnvColumn)
        bars = next(y for y, line in enumerate(column.lines()) if "▁" in line)
        strip = column.render_line(bars)
        bar_cells = column.lines()[bars].count("▁") + column.lines()[bars].count("▂")
        assert bar_cells >= 10
        # One segment per run of equal style: at most a run per bar level, not one per cell.
        assert len(list(strip)) < bar_cells / 2
