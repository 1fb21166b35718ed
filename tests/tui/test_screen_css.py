"""The dashboard's first frame parses only the dashboard's CSS; every other screen brings its own, styled on first open.

relui.tcss was parsed whole before the first frame, dialogs and detail
screens included: about 10 ms of start-up on a 2-core bastion. The other
screens' rules live in screens/screens.tcss, which each of those screens
names as its CSS_PATH, so Textual reads it when the first of them opens.
A screen that forgot to name it would open unstyled if it were the first
one opened: the last test catches that for any screen added later.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.screen import Screen
from textual.widgets import Input

import relui.screens
from relui.screens import SCREENS_CSS
from relui.screens.dashboard_screens import OpensScreens
from relui.services.context import Context
from relui.widgets.command_line import CommandLine, FilterLine
from tests.tui.conftest import make_app, settle


def sources_of(app: object) -> set[str]:
    stylesheet = app.stylesheet  # type: ignore[attr-defined]
    return {path for path, _ in stylesheet.source}


async def test_the_first_frame_parses_no_other_screens_css_and_help_is_styled_when_opened(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert str(SCREENS_CSS) not in sources_of(app)
        names = set().union(*(rule.selector_names for rule in app.stylesheet.rules))
        assert not names & {".dialog", "#help-dialog", "#confirm-body", "#journal"}, "the dialogs' rules are parsed"
        await pilot.press("question_mark")
        await settle(pilot)
        assert str(SCREENS_CSS) in sources_of(app)
        dialog = app.screen.query_one("#help-dialog")
        assert dialog.styles.border_top[0] == "thick", "the .dialog frame comes from screens.tcss"
        assert dialog.region.height == int(app.size.height * 0.9), "#help-dialog is 90% of the screen"


async def test_the_first_frame_mounts_no_input_and_the_lines_mount_styled_when_first_opened(ctx: Context) -> None:
    """An Input's CSS and set-up were a sixth of what relui's first frame cost beyond a bare app's."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert not app.screen.query(Input), "an Input is mounted before anything asked for it"
        assert "Input.DEFAULT_CSS" not in {where for _, where in app.stylesheet.source}
        for key, kind in (("colon", CommandLine), ("slash", FilterLine)):
            await pilot.press(key)
            await settle(pilot)
            line = app.screen.query_one(kind)
            assert line.has_focus and line.region.height == 1 and line.region.y == app.size.height - 1, key
            await pilot.press("escape")
            await settle(pilot)
            assert not line.is_open and len(app.screen.query(kind)) == 1
        await pilot.press("colon")  # opened again: the same line, not a second one
        await settle(pilot)
        assert len(app.screen.query(CommandLine)) == 1 and app.screen.query_one(CommandLine).has_focus


def test_every_screen_but_the_dashboard_names_the_screens_css() -> None:
    missing = []
    for info in pkgutil.iter_modules(relui.screens.__path__, "relui.screens."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Screen) or cls.__module__ != module.__name__ or issubclass(cls, OpensScreens):
                continue
            if SCREENS_CSS not in (cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]):
                missing.append(f"{cls.__module__}.{cls.__name__}")
    assert not missing, f"set CSS_PATH = SCREENS_CSS on: {missing}"


async def test_keys_sent_while_the_line_is_first_mounted_go_into_it(ctx: Context) -> None:
    """``:`` then ``/``, ``:`` and text in one burst: the App waits for the first mount, so the rest is typed text."""
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("colon", "slash", "colon", *"env")
        await settle(pilot)
        assert len(app.screen.query(CommandLine)) == 1 and not app.screen.query(FilterLine)
        assert app.screen.query_one(CommandLine).value == "/:env"
