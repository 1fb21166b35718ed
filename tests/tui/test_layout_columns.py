"""Environment columns at 80x24 and 120x36: one line per pod, no scrollbar, nothing repainted for nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color
from relui.services.context import Context
from relui.services.release import ReleaseService
from relui.widgets.env_column import EnvColumn
from relui.widgets.pod_health import PodList
from tests.tui.conftest import CONFIG, make_app, settle


def crowded_ctx(tmp_path: Path, clock: ManualClock, replicas: int) -> Context:
    """The test sandbox with ``replicas`` pods a color, a candidate running on every environment."""
    path = tmp_path / "crowded.toml"
    path.write_text(CONFIG.replace("replicas = 3", f"replicas = {replicas}").replace("{extra}", ""))
    config = load_config(path)
    state = tmp_path / "state"
    ctx = Context(config=config, state_dir=state, ports=build_ports(config, state, clock), operator="alice")
    for env in ("dev", "qa", "prod"):
        ctx.env_ports(env).releases.deploy(Color.GREEN, "1.5.1", "test: both colors up")
    clock.advance(120)
    return ctx


def inside(widget: Widget, column: EnvColumn) -> bool:
    """The widget is drawn within the column's visible content area."""
    region, visible = widget.region, column.content_region
    return region.height > 0 and visible.y <= region.y and region.bottom <= visible.bottom


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_both_colors_up_keep_checklist_lock_and_last_in_view(
    size: tuple[int, int], ctx: Context, tmp_path: Path
) -> None:
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="layout")
    app = make_app(ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for column in app.screen.query(EnvColumn):
            assert column.max_scroll_y == 0, f"{column.env} scrolls"
            for line in ("#checklist", "#lock", "#last"):
                assert inside(column.query_one(line), column), f"{column.env} {line} out of view"
        qa = app.screen.query_one("#env-qa", EnvColumn)
        for color in Color:
            pods = qa.query_one(f"#pod-list-{color}", PodList)
            lines = pods.visible_lines(pods.size.height, pods.size.width)
            assert len(lines) == pods.size.height
            assert all(len(line) <= pods.size.width for line in lines)
        if size == (120, 36):
            # Room for every pod of both colors, one line each.
            assert [pods.size.height for pods in qa.query(PodList)] == [3, 3]


async def test_500_pods_a_color_draw_a_census_and_the_lines_that_fit(tmp_path: Path, clock: ManualClock) -> None:
    app = make_app(crowded_ctx(tmp_path, clock, 500))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for column in app.screen.query(EnvColumn):
            assert column.max_scroll_y == 0
            assert inside(column.query_one("#last"), column)
            for pods in column.query(PodList):
                assert len(pods.pods) == 500
                lines = pods.visible_lines(pods.size.height, pods.size.width)
                assert 1 <= len(lines) == pods.size.height < 10
                assert str(lines[0]) == "500 pods: 500 ready"


async def test_an_unchanged_reading_repaints_nothing(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="layout")
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        column = app.screen.query_one("#env-qa", EnvColumn)
        repainted: list[Widget] = []
        original = Widget.refresh

        def spy(self: Widget, *args: Any, **kwargs: Any) -> Widget:
            repainted.append(self)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Widget, "refresh", spy)
        column.draw()
        column._show_age()
        assert column.data is not None
        column.post_message(EnvColumn.Refreshed(column, column.data))
        await pilot.pause()
        assert [w for w in repainted if w is column or column in w.ancestors] == []
