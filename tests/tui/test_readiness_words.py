"""The readiness review names its own keys (remapped ones too), and its evidence form keeps a mistyped link."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from relui.app import ReluiApp
from relui.screens.choice import ChoiceScreen
from relui.screens.note import NoteScreen
from relui.screens.readiness import ReadinessScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.services.context import Context
from relui.services.readiness import read_records
from tests.tui.conftest import ContextFactory, make_app, settle


async def evaluated(pilot: object, app: ReluiApp) -> tuple[str, dict[str, str]]:
    """The readiness screen's hint, and each criterion's evidence column as shown (its wrapped lines joined)."""
    for _ in range(100):
        if "met," in str(app.screen.query_one("#readiness-title", Static).render()):
            break
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, ReadinessScreen)
    table = screen.query_one(DataTable)
    rows = {str(table.get_row(key)[0]): " ".join(str(table.get_row(key)[2]).split()) for key in table.rows}
    return str(screen.query_one("#readiness-hint", Static).render()), rows


async def open_from_dashboard(pilot: object, app: ReluiApp, key: str = "g") -> None:
    """Focus PROD and open its readiness review with the dashboard's key."""
    await settle(pilot)  # type: ignore[arg-type]
    next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard)).column("prod").focus()
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_the_readiness_review_names_the_tui_key_not_the_cli(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(200, 40)) as pilot:
        await open_from_dashboard(pilot, app)
        hint, rows = await evaluated(pilot, app)
    assert hint.startswith("e records a security review or restore test")
    assert rows["Security review"].endswith("not recorded (to record it: press e on the readiness review)")
    assert rows["Disaster recovery"].endswith("(to record it: press e on the readiness review)")
    # No key starts a drill: said so, with the shell command.
    assert (
        "drills start from a shell: relui drill --list (one passed in the last 30 days counts)"
        in (rows["Team training"])
    )
    shown = " ".join([hint, *rows.values()])
    assert "relui readiness" not in shown and "--evidence" not in shown and "run one:" not in shown


async def test_a_remapped_record_key_is_the_key_named(make_ctx: ContextFactory) -> None:
    ctx = make_ctx(extra='\n[keymap]\nrecord-evidence = "E"\n')
    app = make_app(ctx)
    async with app.run_test(size=(200, 40)) as pilot:
        await open_from_dashboard(pilot, app)
        hint, rows = await evaluated(pilot, app)
        assert hint.startswith("E records ") and "press E on the readiness review" in rows["Security review"]
        assert "press e " not in rows["Security review"]
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        # Pushed on its own (no dashboard to ask), the screen reads the keymap itself.
        app.push_screen(ReadinessScreen(ctx, "prod"))
        await settle(pilot)
        hint, rows = await evaluated(pilot, app)
        assert hint.startswith("E records ") and "press E on the readiness review" in rows["Security review"]


async def test_a_bad_link_is_said_in_the_form_which_keeps_the_text(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_from_dashboard(pilot, app)
        await evaluated(pilot, app)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter")  # oauth2-flows
        await settle(pilot)
        await pilot.press(*"wiki.example/oauth-review", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NoteScreen), "a bad link must not close the form"
        assert form.query_one(Input).value == "wiki.example/oauth-review"
        problem = str(form.query_one("#note-problem", Static).render())
        assert problem.startswith("evidence must be a link (https://...)") and form.problem == problem
        assert form.query_one("#note-problem").display
        assert "oauth2-flows" not in read_records(ctx, "prod")

        await pilot.press("home", *"https://", "enter")
        await settle(pilot)
        # The link is taken: the form that follows asks for the optional note, not the link again.
        assert isinstance(app.screen, NoteScreen) and app.screen is not form
        await pilot.press("enter")  # no note
        await settle(pilot)
        assert not isinstance(app.screen, NoteScreen)
        for _ in range(100):
            if "oauth2-flows" in read_records(ctx, "prod"):
                break
            await pilot.pause(0.05)
        assert read_records(ctx, "prod")["oauth2-flows"].evidence == "https://wiki.example/oauth-review"


async def test_a_note_without_a_check_closes_on_any_value(ctx: Context) -> None:
    app = make_app(ctx)
    kept: list[str | None] = []
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.push_screen(NoteScreen("A note"), kept.append)
        await settle(pilot)
        await pilot.press(*"not a link", "enter")
        await settle(pilot)
    assert kept == ["not a link"]


async def test_someone_with_no_role_is_told_before_typing_any_evidence(make_ctx: ContextFactory) -> None:
    """The form asked for the link and then the note, and only then said mallory holds no role."""
    app = make_app(make_ctx("mallory"))
    async with app.run_test(size=(160, 40)) as pilot:
        await open_from_dashboard(pilot, app)
        await evaluated(pilot, app)
        await pilot.press("e")
        for _ in range(100):
            if app._notifications:
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, ReadinessScreen), "no chooser or form opened"
        assert any("mallory holds no role on prod" in n.message for n in app._notifications)
