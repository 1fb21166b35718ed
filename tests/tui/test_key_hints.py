"""The key line: one widget that shows the screen's keys, presses them on click and repaints only on change."""

from __future__ import annotations

from relui.app import ReluiApp
from relui.screens.dashboard import DashboardScreen
from relui.services.context import Context
from relui.widgets.footer import KeyHints
from tests.tui.conftest import make_app, settle


def key_line(app: ReluiApp) -> str:
    return str(app.screen.query_one(KeyHints).render())


async def test_it_shows_the_actions_and_the_palette_key_at_the_right_edge(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        line = key_line(app)
        assert line.startswith("k Checklist d Deploy s Smoke c Cutover r Rollback l Lock")
        assert line.endswith("▏^p palette")
        assert len(line) == 120


async def test_narrow_terminals_keep_the_room_for_actions(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = key_line(app)
        assert "palette" not in line
        assert "q Quit" in line
        await pilot.resize_terminal(120, 36)
        await settle(pilot)
        assert key_line(app).endswith("^p palette")


async def test_a_click_on_a_key_presses_it(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        hints = app.screen.query_one(KeyHints)
        x = key_line(app).index("k Checklist")
        assert hints.hint_at(x + 3) is not None
        await pilot.click(KeyHints, offset=(x + 3, 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "ChecklistScreen"


async def test_an_unavailable_key_is_dimmed_and_a_click_only_rings(ctx: Context) -> None:
    app = make_app(ctx)
    rang: list[bool] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.bell = lambda: rang.append(True)  # type: ignore[method-assign]
        hints = app.screen.query_one(KeyHints)
        disabled = [h for h in hints.keys if not h.enabled]
        assert disabled, "nothing runs, so abort has nothing to abort"
        text = hints.render()
        start = str(text).index(f"{disabled[0].display} {disabled[0].description}")
        assert any(span.start <= start < span.end and "dim" in str(span.style) for span in text.spans)
        await pilot.click(KeyHints, offset=(start, 0))
        await settle(pilot)
        assert rang == [True]
        assert isinstance(app.screen, DashboardScreen)


async def test_moving_between_columns_with_the_same_keys_repaints_nothing(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        hints = app.screen.query_one(KeyHints)
        painted: list[bool] = []
        original = hints.refresh

        def counting(*args: object, **kwargs: object) -> object:
            painted.append(True)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        hints.refresh = counting  # type: ignore[method-assign]
        for key in ("right", "right", "left", "left"):
            before = hints.keys
            painted.clear()
            await pilot.press(key)
            await settle(pilot)
            # Painted exactly when the keys (or their greying) differ from the column before.
            assert bool(painted) == (hints.keys != before), key
