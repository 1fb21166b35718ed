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
from relui.widgets import env_column
from relui.widgets.env_column import EnvColumn
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


def fits(column: EnvColumn) -> None:
    """No more lines than rows, none wider than the column, no scrollbar, nothing cut; checklist, lock, last in view."""
    lines = column.lines()
    assert len(lines) <= column.size.height, f"{column.env} draws more lines than it has"
    assert all(len(line) <= column.size.width for line in lines), f"{column.env} draws past its width"
    assert not column.show_vertical_scrollbar, f"{column.env} scrolls"
    assert column.section("cut") == "", f"{column.env} is cut"
    for section in ("checklist", "lock", "last"):
        assert column.section(section), f"{column.env} {section} out of view"


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_both_colors_up_keep_checklist_lock_and_last_in_view(
    size: tuple[int, int], ctx: Context, tmp_path: Path
) -> None:
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="layout")
    app = make_app(ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for column in app.screen.query(EnvColumn):
            fits(column)
        qa = app.screen.query_one("#env-qa", EnvColumn)
        pods = [qa.section(f"pod-list-{color}").splitlines() for color in Color]
        assert all(pods), "both colors show pods"
        if size == (120, 36):
            # Room for every pod of both colors, one line each.
            assert [len(lines) for lines in pods] == [3, 3]
            for color, lines in zip(Color, pods, strict=True):
                assert all(line.strip().startswith(f"shop-{color}-") for line in lines)
        else:
            # All the spare height, shared: a census and the worst pod each.
            assert [lines[0].strip() for lines in pods] == ["3 pods: 3 ready", "3 pods: 3 ready"]
            assert len(qa.lines()) == qa.size.height


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
@pytest.mark.parametrize("replicas", [30, 500])
async def test_many_pods_a_color_draw_a_census_and_the_lines_that_fit(
    replicas: int, size: tuple[int, int], tmp_path: Path, clock: ManualClock
) -> None:
    app = make_app(crowded_ctx(tmp_path, clock, replicas))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for column in app.screen.query(EnvColumn):
            fits(column)
            assert len(column.lines()) == column.size.height  # the pods take every spare line
            for color in Color:
                lines = column.section(f"pod-list-{color}").splitlines()
                assert 1 <= len(lines) < 10
                assert lines[0].strip() == f"{replicas} pods: {replicas} ready"


async def test_a_terminal_too_small_cuts_the_bottom_and_says_so(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 14)) as pilot:
        await settle(pilot)
        for column in app.screen.query(EnvColumn):
            lines = column.lines()
            assert len(lines) == column.size.height and not column.show_vertical_scrollbar
            assert lines[0].startswith("blue ")  # the top stays; the bottom goes
            assert column.section("cut") == lines[-1] and "lines cut" in lines[-1]
            assert column.section("last") == ""


async def test_a_focus_move_fits_no_lines_again(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        fitted: list[object] = []
        original = env_column.lay_out

        def spy(*args: Any, **kwargs: Any) -> Any:
            fitted.append(args[0])
            return original(*args, **kwargs)

        monkeypatch.setattr(env_column, "lay_out", spy)
        await pilot.press("right", "right", "left")
        await pilot.pause()
        assert isinstance(app.focused, EnvColumn) and app.focused.env == "qa"
        assert fitted == []


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
