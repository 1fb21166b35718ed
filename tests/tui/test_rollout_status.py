"""The status line of a rollout says how long it has waited and may wait, not only a bar at 0%."""

from __future__ import annotations

from textual.app import App, ComposeResult

from relui.widgets.action_log import ActionLog


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ActionLog()


async def test_a_stuck_rollout_shows_its_wait_and_limit() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        log = app.query_one(ActionLog)
        log.progress("deploy QA", 0, 3, 35.0, 90.0)
        await pilot.pause()
        assert log.status_text == "deploy QA: 0/3 pods ready, 35 s of 90 s"
        assert str(log.status.render()).endswith("   0%")
        log.progress("deploy QA", 3, 3, 41.0, 90.0)
        await pilot.pause()
        assert log.status_text == "deploy QA: 3/3 pods ready, 41 s of 90 s"
        assert str(log.status.render()).endswith("━" * 20 + " 100%")
        log.finish("deploy QA", "ok")
        await pilot.pause()
        assert str(log.status.render()) == "deploy QA: OK"


async def test_the_log_is_built_by_its_first_line_and_keeps_every_line() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        log = app.query_one(ActionLog)
        assert log.lines == []
        assert str(log.status.render()) == "no action running"
        assert str(app.query_one("#action-lines-empty").render()) == ""  # an empty body, not a widget's name
        log.begin("deploy QA 1.5.1")
        log.write("10:00 QA rollout: 1/3 pods ready")
        await pilot.pause()
        assert log.lines == ["deploy QA 1.5.1", "10:00 QA rollout: 1/3 pods ready"]
        # The empty body gave its place to the log: the pane is as high as before.
        assert not app.query("#action-lines-empty")
        assert app.query_one("#action-lines").size.height == 4


async def test_the_bar_is_ascii_under_ascii_mode() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.add_class("-ascii")
        log = app.query_one(ActionLog)
        log.progress("deploy QA", 1, 2)
        await pilot.pause()
        assert str(log.status.render()).endswith("[" + "#" * 10 + "-" * 10 + "]  50%")


async def test_a_cancel_is_not_called_a_failure() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        log = app.query_one(ActionLog)
        log.finish("deploy QA", "cancelled")
        await pilot.pause()
        assert log.status_text == "deploy QA: CANCELLED"


async def test_no_logged_line_is_cut_under_the_scrollbar_or_by_a_narrower_window() -> None:
    """At 80x24 'blue stays' showed as 'blue stay', '8.06%' as '8.06', 'put back on' as 'put back o'."""
    from textual.widgets import RichLog

    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        log = app.query_one(ActionLog)
        for n in range(8):  # more lines than the log's four rows: its scrollbar appears
            log.write(f"04:0{n} PROD cutover OK: live traffic: blue 1.4.2 -> green 1.6.0; blue stays warm for rollback")
        await pilot.pause()
        lines = app.query_one(RichLog)
        room = lines.scrollable_content_region.width
        assert lines.show_vertical_scrollbar and all(strip.cell_length <= room for strip in lines.lines)
        assert "stays" in "".join(log.lines)

        await pilot.resize_terminal(60, 10)
        await pilot.pause()
        room = lines.scrollable_content_region.width
        assert room < 60 and all(strip.cell_length <= room for strip in lines.lines)
        assert "".join(log.lines).count("blue stays warm for rollback") == 8
