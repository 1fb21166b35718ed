"""k9s habits (``:`` and ``/``), the palette, read-only refusals, the version picker, themes and ASCII."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from textual.command import CommandPalette

from relui.app import ReluiApp
from relui.clock import ManualClock
from relui.domain import Color
from relui.screens.choice import ChoiceScreen
from relui.screens.confirm import ConfirmScreen
from relui.screens.dashboard import DashboardScreen
from relui.screens.journal import JournalScreen
from relui.screens.reading import crash_loopers, version_pick
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from relui.widgets.command_line import CommandLine, FilterLine
from relui.widgets.env_column import EnvColumn
from tests.tui.conftest import ContextFactory, make_app, settle

# Box drawing (U+2500-257F) and block elements (U+2580-259F), plus the glyphs.
NOT_ASCII_ART = re.compile("[\u2500-\u259f●◆○✗]")


def notifications(app: ReluiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_colon_deploy_goes_to_the_confirm_modal(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        line = app.screen.query_one(CommandLine)
        assert line.has_focus
        await pilot.press(*"deploy qa 1.5.1", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ConfirmScreen):
                break
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.env == "qa"
        await pilot.press("escape")  # cancel: nothing deployed


async def test_colon_help_lists_every_colon_command(make_ctx: ContextFactory) -> None:
    """The placeholder says ':help lists'; help named three examples, the list was only in an error."""
    from relui.screens.command_mode import COMMANDS
    from relui.screens.help import HelpScreen

    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"help", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        [(title, rows)] = [(t, r) for t, r in app.screen.sections if t.startswith("Command line")]
        listed = " ".join(row.key for row in rows)
        named = [name for name in COMMANDS if name != "quit"]
        missing = [name for name in named if f":{name}" not in listed and f"|{name}" not in listed]
        assert missing == [], f"{title} does not list {missing}: {listed}"


async def test_colon_completes_commands_and_environments(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"cut")
        line = app.screen.query_one(CommandLine)
        await pilot.pause(0.1)
        assert line._suggestion == "cutover"
        await pilot.press("tab", "p")
        await pilot.pause(0.1)
        assert line._suggestion == "cutover prod"
        await pilot.press("escape")
        assert not line.is_open


async def test_unknown_command_says_so_in_one_line(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"nope", "enter")
        await pilot.pause()
        said = [m for m in notifications(app) if "unknown command" in m]
        assert said and "\n" not in said[0]
        assert isinstance(app.screen, DashboardScreen)


async def test_colon_journal_opens_one_environments_journal(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"journal prod", "enter")
        await pilot.pause()
        assert isinstance(app.screen, JournalScreen) and app.screen.env == "prod"


async def test_slash_filters_the_focused_columns_pods(make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="test")
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "slash", *"green")
        await pilot.pause()
        qa = app.screen.query_one("#env-qa", EnvColumn)
        green = qa.section("pod-list-green").splitlines()
        assert qa.section("pod-list-blue") == "" and len(green) == 3 and all("shop-green-" in line for line in green)
        await pilot.press("escape")
        await pilot.pause()
        assert len(qa.section("pod-list-blue").splitlines()) == 3 and not app.screen.query_one(FilterLine).is_open

        # Kept with Enter, the filter stays on the column; Esc there clears it too, as help says.
        await pilot.press("slash", *"green", "enter")
        await pilot.pause()
        assert qa.has_focus and qa.section("pod-list-blue") == "" and qa.filter_text == "green"
        await pilot.press("escape")
        await pilot.pause()
        assert qa.filter_text == "" and len(qa.section("pod-list-blue").splitlines()) == 3


async def test_slash_filters_the_journal(make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="test")
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await pilot.pause(0.3)
        table = app.screen.query_one("#journal")
        everything = table.row_count
        assert everything >= 2
        await pilot.press("slash", *"nothing-like-this")
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == everything


async def test_palette_offers_every_screen_and_action(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.screen.palette_commands()}
        for env in ("DEV", "QA", "PROD"):
            for what in ("Deploy to", "Smoke", "Cutover", "Roll back", "Lock/unlock", "Detail", "Checklist"):
                assert f"{what} {env}" in titles
            assert f"Readiness {env}" in titles and f"Journal {env}" in titles
        assert {"Journal", "Help: keys", "Refresh all environments"} <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_read_only_keys_say_why(make_ctx: ContextFactory) -> None:
    app = make_app(make_ctx(read_only=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key in "dcrla":
            app._notifications.clear()
            await pilot.press(key)
            await pilot.pause()
            assert any(m.startswith("read-only mode:") for m in notifications(app)), key
        await pilot.press("g")
        await pilot.pause()
        hint = str(app.screen.query_one("#readiness-hint").render())
        assert "read-only" in hint and "e records" not in hint
        await pilot.press("escape", "k")
        await pilot.pause(0.3)
        app._notifications.clear()
        await pilot.press("space")
        await pilot.pause()
        assert any(m.startswith("read-only mode:") for m in notifications(app))


def test_picker_marks_rolled_back_and_skips_crash_loopers(make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    registry = ctx.env_ports("qa").registry
    assert registry is not None
    registry.add_tag("1.6.0", "failed-1.6.0-20261125T101500Z")
    result = ReleaseService(ctx).deploy("dev", "1.6.1-rc1", reason="test")
    assert not result.ok and "CrashLoopBackOff" in result.message
    assert crash_loopers(Journal(ctx.state_dir, ctx.clock).entries()) == {"1.6.1-rc1"}
    pick = version_pick(ctx, "prod")
    assert pick.versions[:3] == ["1.6.1-rc1", "1.6.0", "1.5.1"]
    assert pick.versions[pick.preselect] == "1.5.1"
    assert "[rolled back on 2026-11-25]" in pick.label("1.6.0")


async def qa_deploy_picker(ctx: Context) -> tuple[dict[str, str], str | None]:
    """Open QA's deploy picker by its key: each version's label, and the version it opens on."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("right", "d")
        for _ in range(60):
            await pilot.pause(0.05)
            if isinstance(app.screen, ChoiceScreen):
                break
        picker = app.screen
        assert isinstance(picker, ChoiceScreen)
        options = picker.query_one("#choices")
        shown = [options.get_option_at_index(i) for i in range(options.option_count)]
        selected = None if options.highlighted is None else shown[options.highlighted].id
        return {str(o.id): str(o.prompt) for o in shown}, selected


async def test_deploy_picker_opens_on_the_preselected_version(make_ctx: ContextFactory) -> None:
    ctx = make_ctx()
    registry = ctx.env_ports("qa").registry
    assert registry is not None
    registry.add_tag("1.6.0", "failed-1.6.0-20261125T101500Z")
    ReleaseService(ctx).deploy("dev", "1.6.1-rc1", reason="test")
    labels, selected = await qa_deploy_picker(ctx)
    assert selected == "1.5.1"
    assert "rolled back on" in labels["1.6.0"]


async def test_the_picker_marks_a_version_crash_looping_now_after_a_deploy_cut_off_mid_way(
    make_ctx: ContextFactory, clock: ManualClock
) -> None:
    ctx = make_ctx()
    # A deploy of the crash-looping RC to DEV killed mid-way: its intent has no outcome to say how it went.
    Journal(ctx.state_dir, ctx.clock).intent(ctx.operator, "dev", "deploy", version="1.6.1-rc1", color="green")
    ctx.env_ports("dev").releases.deploy(Color.GREEN, "1.6.1-rc1", "deploy 1.6.1-rc1 (cut off)")
    clock.advance(120)
    assert crash_loopers(Journal(ctx.state_dir, ctx.clock).entries()) == frozenset()
    labels, selected = await qa_deploy_picker(ctx)
    assert "[crash-looping now on dev]" in labels["1.6.1-rc1"]
    assert selected == "1.6.0"


async def test_theme_is_kept_across_runs(make_ctx: ContextFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    ctx = make_ctx()
    app = make_app(ctx)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.theme = "relui-high-contrast"
        await pilot.pause(0.1)
    assert (ctx.state_dir / "ui.json").exists()
    again = make_app(make_ctx())
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.theme == "relui-high-contrast"


async def test_config_theme_applies_and_ascii_draws_no_box_drawing(
    make_ctx: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    ctx = make_ctx(extra='\n[ui]\ntheme = "relui-colorblind"\nascii = true\n')
    ReleaseService(ctx).deploy("qa", "1.5.1", reason="test")
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.theme == "relui-colorblind"
        svg = app.export_screenshot()
        text = re.sub(r"<[^>]+>", "", svg)
        assert "*live*" in text and "+cand" in text
        assert not NOT_ASCII_ART.findall(text), sorted(set(NOT_ASCII_ART.findall(text)))


async def test_a_c_locale_means_ascii(make_ctx: ContextFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C")
    monkeypatch.setenv("LC_CTYPE", "C.UTF-8")  # what Python's own coercion leaves behind
    monkeypatch.delenv("LC_ALL", raising=False)
    app = make_app(make_ctx())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.has_class("-ascii")


async def test_screenshot_goes_to_the_state_dir(
    make_ctx: ContextFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "no-home"))
    ctx = make_ctx()
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        saved = app.deliver_screenshot()
    assert saved is not None and Path(saved).parent == ctx.state_dir / "screenshots"
    assert Path(saved).read_text().startswith("<svg")


async def test_a_failed_read_is_titled_with_what_was_being_read(
    make_ctx: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relui.ports import PortError
    from relui.screens import release_flows

    def unreachable(*args: object, **kwargs: object) -> object:
        raise PortError("registry: connection refused")

    monkeypatch.setattr(release_flows, "version_pick", unreachable)
    app = make_app(make_ctx())
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("right", "d")
        await settle(pilot)
        toasts = {n.title: n.message for n in app._notifications}
        assert toasts.get("reading versions, history or the lock") == "registry: connection refused"


async def test_ascii_reaches_the_modals_lists_and_fields(make_ctx: ContextFactory) -> None:
    """Under LANG=C the dashboard was ASCII while the rollback chooser and the evidence field drew block edges."""
    from relui.screens.choice import ChoiceScreen
    from relui.screens.note import NoteScreen

    def drawn() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")

    app = make_app(make_ctx(extra="\n[ui]\nascii = true\n"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ChoiceScreen("Roll back QA?", [("instant", "instant: live back to blue 1.4.2")]))
        await pilot.pause(0.3)
        chooser = drawn()
        app.push_screen(NoteScreen("Evidence for the restore test", placeholder="https://..."))
        await pilot.pause(0.3)
        field = drawn()
        for shown, text in (("instant: live back", chooser), ("Evidence for", field)):
            assert shown in text, shown
            assert not NOT_ASCII_ART.findall(text), (shown, sorted(set(NOT_ASCII_ART.findall(text))))


async def test_a_chooser_note_wraps_at_80_columns(make_ctx: ContextFactory) -> None:
    """The sign-off chooser's note was cut at the dialog's edge ("... a release you deployed your")."""
    from textual.widgets import Label

    from relui.screens.choice import ChoiceScreen

    note = "relui refuses a role you do not hold, or a release you deployed yourself; the journal keeps the sign-off"
    app = make_app(make_ctx())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ChoiceScreen("Sign off PROD as?", [("product_owner", "product_owner")], note=note))
        await pilot.pause(0.3)
        label = app.screen.query_one(".dialog-note", Label)
        assert label.parent is not None
        assert label.size.width <= label.parent.content_region.width and label.size.height >= 2


async def test_the_status_line_says_a_long_reason_whole_at_80_columns(make_ctx: ContextFactory) -> None:
    """Someone with no role on DEV: every action's reason in the line; two lines cut it at "lock: needs"."""
    from textual.widgets import Static

    app = make_app(make_ctx("mallory"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = app.screen.query_one("#status-line", Static)
        text = str(line.render())
        assert "mallory has none" in text and "lock" in text
        needed = line.get_content_height(app.size, app.size, line.content_region.width)
        assert needed <= line.content_region.height, (needed, line.content_region)


async def test_ascii_reaches_scrollbars_and_toasts(make_ctx: ContextFactory) -> None:
    """Help scrolls at 80x24 and a toast has a severity edge: both drew block characters under LANG=C."""
    from relui.screens.help import HelpScreen

    def drawn() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")

    app = make_app(make_ctx(extra="\n[ui]\nascii = true\n"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one("#help-keys").show_vertical_scrollbar, "help no longer scrolls at 80x24"
        app.notify("QA deploy: ok", severity="warning")  # waits for help to close: no toast covers a dialog
        keys = app.screen.query_one("#help-keys")
        for line in range(0, 12):  # the thumb's ends fall between cells somewhere on the way down
            keys.scroll_to(y=line, animate=False)
            await pilot.pause(0.05)
            text = drawn()
            assert not NOT_ASCII_ART.findall(text), (line, sorted(set(NOT_ASCII_ART.findall(text))))
        await pilot.press("escape")
        await pilot.pause(0.3)
        text = drawn()
        assert "QA deploy: ok" in text
        assert not NOT_ASCII_ART.findall(text), sorted(set(NOT_ASCII_ART.findall(text)))


async def test_ascii_fields_show_their_placeholder_and_what_is_typed(make_ctx: ContextFactory) -> None:
    """Under LANG=C each one-row field got a two-line ASCII frame and no row left for its text."""
    from textual.widgets import Input

    from relui.screens.choice import ChoiceScreen

    def drawn() -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")

    async def typed_into(field: Input, text: str) -> str:
        field.focus()
        await pilot.press(*text)
        await pilot.pause(0.1)
        assert field.content_region.height >= 1, (field.id, field.region)
        return drawn()

    app = make_app(make_ctx(extra="\n[ui]\nascii = true\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ChoiceScreen("Deploy to QA?", [("1.6.0", "1.6.0")], custom="or type a version, Enter"))
        await pilot.pause(0.3)
        assert "or type a version, Enter" in drawn()
        assert "1.7.9" in await typed_into(app.screen.query_one("#custom", Input), "1.7.9")
        await pilot.press("escape")
        await pilot.press("colon", *"deploy prod 1.6.0", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ConfirmScreen):
                break
        assert isinstance(app.screen, ConfirmScreen)
        text = drawn()
        assert "type prod" in text and "reason (journaled)" in text
        assert "prod" in await typed_into(app.screen.query_one("#env-name", Input), "prod")
        text = await typed_into(app.screen.query_one("#reason", Input), "fix-4711")
        assert "fix-4711" in text and "Cancel" in text
        assert not NOT_ASCII_ART.findall(text), sorted(set(NOT_ASCII_ART.findall(text)))
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("slash", *"green")  # the / line: a compact field too, one row at the bottom
        await pilot.pause(0.1)
        assert app.screen.query_one(FilterLine).content_region.height == 1
