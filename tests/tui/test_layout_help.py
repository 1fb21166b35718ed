"""Help (?) at 80x24: binding text is never read as markup, and long notes wrap instead of being cut."""

from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot

from relui.app import ReluiApp
from relui.screens.help import HelpRow, HelpScreen, keys_table
from relui.services.context import Context
from tests.tui.conftest import make_app, settle, words_on_screen


async def open_help(app: ReluiApp, pilot: Pilot[int]) -> HelpScreen:
    """``?`` on the settled dashboard: the help screen on top."""
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return screen


async def help_pages(app: ReluiApp, pilot: Pilot[int], screen: HelpScreen) -> AsyncIterator[Region]:
    """The keys' scroll region once per page, scrolled down a page at a time until the last is in view."""
    keys = screen.query_one("#help-keys", VerticalScroll)
    region = keys.content_region
    while True:
        yield region
        if keys.scroll_y >= keys.max_scroll_y:
            return
        keys.scroll_to(y=keys.scroll_y + region.height - 1, animate=False)
        await pilot.pause()


def rendered(width: int, note: str) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(keys_table([("This screen", [HelpRow("?", "Help", "help", note)])]))
    return console.export_text().splitlines()


def test_brackets_in_a_note_are_text_not_markup() -> None:
    text = " ".join(rendered(120, "Every key, with ids for [keymap]"))
    assert "[keymap]" in text


def test_a_long_note_wraps_within_the_width() -> None:
    note = "Take or release this environment's operator lock; a lock left behind expires on its own"
    lines = rendered(68, note)
    assert all(len(line) <= 68 for line in lines)
    assert "expires on its own" in " ".join(" ".join(lines).split())


async def test_help_fits_80x24_with_the_remap_hint_in_view(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_help(app, pilot)
        dialog = screen.query_one("#help-dialog")
        assert dialog.region.right <= 80 and dialog.region.bottom <= 24
        hint = screen.query("Label").last()
        assert "[keymap]" in str(hint.render())
        assert dialog.region.contains_region(hint.region)


async def test_other_screens_keys_read_as_the_footer_shows_them(ctx: Context) -> None:
    """The sections for other screens said ``slash``, ``space`` and ``escape`` where this one says ``/``."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_help(app, pilot)
        keys = {row.binding_id: row.key for _, rows in screen.sections for row in rows}
        assert keys["back"] == "esc" and keys["filter"] == "/", keys
        assert not {"slash", "escape"} & set(keys.values()), keys


async def test_at_80x24_no_word_of_help_is_cut(ctx: Context) -> None:
    """A one-line key (``:readiness|env|checklist ENV``) left "does" and "note" a few cells: "Check…", "environme…"."""
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_help(app, pilot)
        seen: list[str] = []
        async for region in help_pages(app, pilot, screen):
            page = words_on_screen(app, region)
            assert "…" not in page, page
            seen.extend(page.split())
        shown = set(seen)
        for _, rows in screen.sections:
            for row in rows:
                for word in f"{row.description} {row.note}".split():
                    assert word in shown, (word, row)


async def test_at_80x24_a_long_command_key_breaks_after_a_bar_or_at_a_space(ctx: Context) -> None:
    """``:readiness|env|checklist ENV`` folded at 16 cells, mid-word: ``:readiness|env|ch`` over ``ecklist ENV``."""
    import re

    from relui.screens.command_mode import COMMAND_HELP
    from relui.screens.help import NARROW_KEY_WIDTH
    from tests.tui.conftest import screen_lines

    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_help(app, pilot)
        assert screen.key_width == NARROW_KEY_WIDTH
        key_words: set[str] = set()
        seen: list[str] = []
        async for region in help_pages(app, pilot, screen):
            # The key column: its left padding and at most NARROW_KEY_WIDTH cells of key.
            for line in screen_lines(app, region._replace(width=NARROW_KEY_WIDTH + 1)):
                key_words.update(re.split(r"[\s|]+", line.strip()))
            seen.extend(words_on_screen(app, region).split())
        long_keys = [typed for typed, _ in COMMAND_HELP if len(typed) > NARROW_KEY_WIDTH]
        assert ":readiness|env|checklist ENV" in long_keys
        for typed in long_keys:
            for word in re.split(r"[\s|]+", typed):
                assert word in key_words, (word, typed, sorted(key_words))
        shown = set(seen)
        for typed, does in COMMAND_HELP:
            assert set(does.split()) <= shown, (typed, does)
