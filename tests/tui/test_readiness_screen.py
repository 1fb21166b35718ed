"""The readiness screen: criteria evaluated in a worker, shown in words, esc goes back."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from relui.screens.note import NoteScreen
from relui.screens.readiness import ReadinessScreen
from relui.services.context import Context
from relui.services.readiness import record
from tests.tui.conftest import make_app, settle


async def test_readiness_screen_lists_every_criterion_and_goes_back(ctx: Context) -> None:
    record(ctx, "prod", "restore-test", "https://wiki.example/restore-drill")
    app = make_app(ctx)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        underneath = app.screen
        app.push_screen(ReadinessScreen(ctx, "prod"))
        await settle(pilot)
        for _ in range(100):
            if "met," in str(app.screen.query_one("#readiness-title", Static).render()):
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, ReadinessScreen)
        title = str(screen.query_one("#readiness-title", Static).render())
        assert title.startswith("PROD go-live readiness: ") and "NOT READY" in title
        table = screen.query_one(DataTable)
        assert table.row_count == 7
        rows = {str(table.get_row(key)[0]): table.get_row(key) for key in table.rows}
        assert str(rows["Disaster recovery"][1]) == "MET"
        assert "https://wiki.example/restore-drill" in str(rows["Disaster recovery"][2])
        assert str(rows["Security review"][1]) == "NOT MET"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is underneath


async def test_evidence_is_recorded_from_the_screen(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ReadinessScreen(ctx, "prod"))
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # restore-test
        await settle(pilot)
        await pilot.press(*"https://wiki.example/restore-42", "enter")
        await settle(pilot)
        # Then the note kept with it, which the evidence column shows with the link.
        assert isinstance(app.screen, NoteScreen) and "optional" in app.screen.title_text
        await pilot.press(*"RDS snapshot restored in 14 min", "enter")
        for _ in range(100):
            table = app.screen.query_one(DataTable)
            rows = {str(table.get_row(key)[0]): table.get_row(key) for key in table.rows}
            if "restore-42" in str(rows.get("Disaster recovery", ("", "", ""))[2]):
                break
            await pilot.pause(0.05)
        assert str(rows["Disaster recovery"][1]) == "MET"
        evidence = " ".join(str(rows["Disaster recovery"][2]).split())
        assert "https://wiki.example/restore-42 (RDS snapshot restored in 14 min)" in evidence
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter", *"not a link", "enter")
        await settle(pilot)
        # Refused in the form itself (tests/tui/test_readiness_words.py), not after it closed.
        assert isinstance(app.screen, NoteScreen) and "evidence must be a link" in app.screen.problem
        assert not any("evidence must be a link" in n.message for n in app._notifications)


async def test_a_drill_scored_from_a_shell_shows_on_the_open_screen(ctx: Context) -> None:
    """The team-training remedy sends the operator to a shell for the drill; the open screen must notice it."""
    from relui.backends import build_ports
    from relui.services import drill_score
    from relui.services.drills import start
    from relui.services.release import ReleaseService

    app = make_app(ctx)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ReadinessScreen(ctx, "prod"))
        await settle(pilot)

        def training() -> str:
            table = app.screen.query_one(DataTable)
            rows = {str(table.get_row(key)[0]): table.get_row(key) for key in table.rows}
            return str(rows.get("Team training", ("", ""))[1])

        for _ in range(100):
            if training():
                break
            await pilot.pause(0.05)
        assert training() == "NOT MET"
        drill = start(ctx, "missing-tag", build_ports, ctx.state_dir.parent / "drill")
        ReleaseService(drill.ctx).deploy(drill.env, "2.4.0")  # the drill's goal: the image guard blocks it
        drill_score.record(ctx.state_dir, drill_score.score(drill), ctx.clock.now())
        for _ in range(200):  # the state watch looks every few seconds
            if training() == "MET":
                break
            await pilot.pause(0.05)
        assert training() == "MET"
