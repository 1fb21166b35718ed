"""The TUI names its own keys as the way out of a block, not CLI commands; a remapped key is the one named."""

from __future__ import annotations

import pytest
from rich.console import Console

from relui.app import ReluiApp
from relui.domain import Remedy, RemedyKind
from relui.remedy_commands import remedy_command, with_remedy
from relui.screens.confirm import ConfirmScreen
from relui.screens.release_dashboard import ReleaseDashboard
from relui.screens.remedies import TuiRemedies
from relui.services.context import Context
from relui.services.release import ReleaseService
from relui.widgets.guard_list import GuardList
from tests.tui.conftest import ContextFactory, make_app, screen_lines, settle


def dashboard(app: ReluiApp) -> ReleaseDashboard:
    """The action dashboard under whatever modal is open."""
    return next(s for s in app.screen_stack if isinstance(s, ReleaseDashboard))


def shown(widget: GuardList, width: int = 200) -> str:
    """The guard list as the terminal shows it, wide enough that nothing wraps."""
    console = Console(width=width, record=True)
    console.print(widget.content)
    return " ".join(console.export_text().split())


async def blocked_prod_cutover(ctx: Context) -> tuple[ReluiApp, str, str]:
    """Open the PROD cutover confirm (blocked) and read its guard list, then cancel and read the action log."""
    assert ReleaseService(ctx).deploy("prod", "1.5.1").ok
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        dashboard(app).column("prod").focus()
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        guards = shown(screen.query_one(GuardList))
        await pilot.press("escape")
        await settle(pilot)
        log = "\n".join(dashboard(app).action_log.lines)
    return app, guards, log


async def test_blocked_prod_cutover_names_the_tui_keys(ctx: Context) -> None:
    _app, guards, log = await blocked_prod_cutover(ctx)
    assert "checklist items open" in guards and "press k for the checklist" in guards
    assert "a product owner signs off: press k, then s" in guards
    assert "press g for the readiness review" in guards
    # No key gives a second person's approval: said so, with the command that person runs.
    assert (
        "a second person runs: relui approve prod --break-glass --action cutover --version 1.5.1 --reason TEXT"
        in guards
    )
    for cli_only in ("relui checklist", "relui readiness", "relui signoff", "--hotfix"):
        assert cli_only not in guards and cli_only not in log
    assert "press k for the checklist" in log


async def test_a_remapped_key_is_the_key_named(make_ctx: ContextFactory) -> None:
    ctx = make_ctx(extra='\n[keymap]\nchecklist = "K"\nreadiness = "ctrl+g"\n')
    _app, guards, log = await blocked_prod_cutover(ctx)
    assert "press K for the checklist" in guards and "press k for" not in guards
    assert "press ^g for the readiness review" in guards
    assert "press K for the checklist" in log


def test_without_keys_a_remedy_names_the_colon_command() -> None:
    words = TuiRemedies()
    assert words.words(Remedy(RemedyKind.CHECKLIST, "prod")) == "type :checklist prod for the checklist"
    revision = Remedy(RemedyKind.TO_REVISION, "qa", "7")
    assert TuiRemedies({"rollback": "r"}).words(revision) == "press r and pick revision 7"


async def test_a_blocked_prod_action_says_its_way_out_in_tui_words(ctx: Context) -> None:
    app, _guards, log = await blocked_prod_cutover(ctx)
    blocked = [n.message for n in app._notifications if n.title == "cutover PROD blocked"]
    assert blocked == [
        "cutover on prod blocked by checklist, signoff, readiness; forcing them on a protected environment "
        "needs a second person's approval; a second person runs: relui approve prod --break-glass --action cutover "
        "--version 1.5.1 --reason TEXT"
    ]
    # ``relui approve`` is named only as what a second person runs in a shell (the log wraps: read it unwrapped).
    flat = " ".join(log.split())
    for text in (*blocked, flat):
        assert text.count("relui approve") == text.count("a second person runs: relui approve"), text
    assert f"cutover BLOCKED: {blocked[0]}" in flat


@pytest.mark.parametrize("kind", list(RemedyKind))
def test_every_remedy_kind_has_words_in_both_faces(kind: RemedyKind) -> None:
    """A kind added without words would be a KeyError in the middle of a confirm modal: each face words every kind."""
    remedy = Remedy(kind, "prod", "7")
    assert remedy_command(remedy).startswith("relui ")
    assert with_remedy("blocked", remedy).startswith("blocked") and len(with_remedy("blocked", remedy)) > 8
    for words in (TuiRemedies(), TuiRemedies({"checklist": "K", "readiness": "G", "rollback": "R"})):
        text = words.text("blocked", remedy)
        assert text.startswith("blocked") and len(text) > len("blocked") + 4


BREAK_GLASS = "a second person runs: relui approve prod --break-glass --action cutover --version 1.5.1 --reason TEXT"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_break_glass_command_reads_whole_on_screen(ctx: Context, size: tuple[int, int]) -> None:
    """The command a second person runs, read where the terminal shows it in the confirm's guards as Down scrolls."""
    from textual.containers import VerticalScroll

    assert ReleaseService(ctx).deploy("prod", "1.5.1").ok
    app = make_app(ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        dashboard(app).column("prod").focus()
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        guards = screen.query_one("#confirm-guards", VerticalScroll)
        region = guards.content_region
        lines: dict[int, str] = {}  # every line of the guard list, read where it shows as Down scrolls it
        while True:
            y = round(guards.scroll_y)
            lines.update((y + i, line) for i, line in enumerate(screen_lines(app, region)))
            if y >= guards.max_scroll_y:
                break
            await pilot.press("down")
            await pilot.pause()
        read = " ".join(" ".join(lines[i] for i in sorted(lines)).split())
        assert BREAK_GLASS in read, read
