"""The dashboard: columns per environment, live refresh, failing sources, read-only mode."""

from __future__ import annotations

from relui.clock import ManualClock
from relui.domain import Color
from relui.ports import PortError
from relui.screens.checklist import ChecklistScreen
from relui.screens.dashboard import WatchDashboard
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.widgets.env_column import ColumnData, EnvColumn
from relui.widgets.header import ReleaseHeader
from tests.tui.conftest import METRICS_DOWN_ON_QA, ContextFactory, make_app, settle


def column_text(column: EnvColumn) -> str:
    """Everything a column shows, as plain text."""
    return "\n".join(column.lines())


async def test_columns_follow_config_order(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReleaseDashboard)
        assert [c.env for c in screen.columns] == ["dev", "qa", "prod"]
        prod = screen.column("prod")
        assert "[protected]" in str(prod.border_title)
        text = column_text(prod)
        assert "blue ● *live* 1.4.2" in text
        assert "3/3 ready" in text
        assert "green ○ idle down" in text
        assert "lock free" in text


async def test_read_only_has_no_action_keys(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx(read_only=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert type(screen) is WatchDashboard
        actions = {b.binding.action for b in screen.active_bindings.values()}
        assert not actions & {"deploy", "smoke", "cutover", "rollback", "lock"}  # only the read-only refusals
        assert "READ-ONLY" in str(screen.query_one(ReleaseHeader).render())
        await pilot.press("d", "c", "r", "l", "s")
        assert app.screen is screen  # nothing opened
        await pilot.press("k")
        await pilot.pause()
        checklist = app.screen
        assert isinstance(checklist, ChecklistScreen)
        await pilot.press("space", "s")
        await pilot.pause()
        assert app.screen is checklist  # nothing asked; each key said why instead


async def test_failing_metrics_show_unavailable_while_pods_update(make_ctx: ContextFactory, clock: ManualClock) -> None:
    ctx = make_ctx(extra=METRICS_DOWN_ON_QA)
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReleaseDashboard)
        qa = screen.column("qa")
        errors = f"errors-{Color.BLUE}"
        assert "unavailable: prometheus (sandbox) did not answer" in " ".join(qa.section(errors).splitlines())
        assert "3/3 ready" in column_text(qa)
        assert "ERR 0." in screen.column("dev").section(errors)
        # The cluster changes behind the dashboard: a new version rolls out on green.
        ctx.env_ports("qa").releases.deploy(Color.GREEN, "1.5.1", "test: deploy behind the TUI")
        clock.advance(30)
        await pilot.press("R")
        await settle(pilot)
        text = column_text(qa)
        assert "green ◆ cand 1.5.1 ready" in text  # a candidate is never "warm"
        assert "unavailable:" in qa.section(errors)


async def test_stale_data_shows_its_age(ctx: Context, clock: ManualClock) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        column = app.screen.query_one("#env-dev", EnvColumn)
        assert column.border_subtitle == ""
        clock.advance(60)
        column._show_age()
        assert column.border_subtitle == "data 60s old"


async def test_a_failed_refresh_says_so_in_place_until_a_reading_lands(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        column = app.screen.query_one("#env-dev", EnvColumn)
        reader = column.reader

        def broken(deep: bool) -> ColumnData:
            raise OSError("cluster gone")

        column.reader = broken
        column.poll(deep=True)
        await settle(pilot)
        said = "unavailable: refresh failed: OSError: cluster gone"
        assert " ".join(column.section("problems").splitlines()) == said
        assert "blue ● *live* 1.5.0" in column.section("pods-blue")  # the last reading stays in view
        column.draw()  # as a theme change does: the failure stays said
        assert " ".join(column.section("problems").splitlines()) == said
        column.reader = reader
        column.poll(deep=True)
        await settle(pilot)
        assert column.section("problems") == ""


async def test_a_lock_that_could_not_be_read_is_shown_unknown_not_free(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)

        def dark() -> None:
            raise PortError("sandbox of qa failed (cluster.lock): the lease API did not answer")

        ctx.env_ports("qa").cluster.lock = dark  # type: ignore[method-assign]
        await pilot.press("R")
        await settle(pilot)
        text = column_text(app.screen.column("qa"))  # type: ignore[attr-defined]
        assert "lock unknown (unreadable)" in text and "lock free" not in text
