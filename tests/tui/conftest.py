"""Fixtures for the TUI tests: a sandbox Context on a ManualClock, frozen rendering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input

from relui.app import ReluiApp
from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.services.context import Context
from relui.widgets.env_column import EnvColumn

# A release window open all week, so the manual clock (Thu 2026-11-26 10:00 UTC)
# is inside it; a fast sandbox so rollouts land within a few polls.
CONFIG = """
[roles]
alice = ["devops"]
bob = ["product_owner"]
carol = ["qa_lead"]

[calendar]
timezone = "UTC"

[[calendar.windows]]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "23:59"

[sandbox]
time_scale = 100.0
rollout_seconds = 12
replicas = 3
registry_tags = ["1.3.0", "1.4.0", "1.4.2", "1.5.0", "1.5.1", "1.6.0", "1.6.1-rc1"]

[sandbox.live]
dev = "1.5.0"
qa = "1.4.2"
prod = "1.4.2"

[[sandbox.faults]]
kind = "error_spike"
version = "1.6.0"
after_seconds = 45
peak_error_rate = 0.09

[[sandbox.faults]]
kind = "crashloop"
version = "1.6.1-rc1"
{extra}
[[environments]]
name = "dev"
kind = "sandbox"
protected = false
release = "shop"
refresh_seconds = 2

[[environments]]
name = "qa"
kind = "sandbox"
protected = false
release = "shop"
refresh_seconds = 2

[[environments.smoke]]
name = "health"
path = "/healthz"

[[environments]]
name = "prod"
kind = "sandbox"
protected = true
release = "shop"
refresh_seconds = 2

[[environments.smoke]]
name = "health"
path = "/healthz"
"""

METRICS_DOWN_ON_QA = """
[[sandbox.faults]]
kind = "metrics_down"
env = "qa"
"""

ContextFactory = Callable[..., Context]


@pytest.fixture(autouse=True)
def frozen_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """No cursor blink: a snapshot must not depend on when it was taken."""
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def clock() -> ManualClock:
    """The world's clock; it moves only when a test (or a rollout poll) moves it."""
    return ManualClock()


@pytest.fixture
def make_ctx(tmp_path: Path, clock: ManualClock) -> ContextFactory:
    """Contexts over one state dir and one clock, like ``build_context`` builds them."""
    configs: dict[str, Path] = {}

    def make(operator: str = "alice", *, extra: str = "", read_only: bool = False) -> Context:
        path = configs.get(extra)
        if path is None:
            path = tmp_path / f"config{len(configs)}.toml"
            path.write_text(CONFIG.replace("{extra}", extra))
            configs[extra] = path
        config = load_config(path)
        state_dir = tmp_path / "state"
        return Context(
            config=config,
            state_dir=state_dir,
            ports=build_ports(config, state_dir, clock),
            operator=operator,
            read_only=read_only or config.read_only,
        )

    return make


@pytest.fixture
def ctx(make_ctx: ContextFactory) -> Context:
    """alice (devops) on the standard sandbox."""
    return make_ctx()


def make_app(ctx: Context) -> ReluiApp:
    """The app with animations off."""
    app = ReluiApp(ctx)
    app.animation_level = "none"
    return app


def _busy(app: ReluiApp) -> bool:
    """A worker doing IO; flows waiting on a modal, and actions waiting on their confirmation, do not count."""
    from relui.screens.confirm import ConfirmScreen

    asking = isinstance(app.screen, ConfirmScreen)
    return any(
        w.is_running and not w.group.endswith("-flow") and not (asking and w.group.startswith("release-"))
        for w in app.workers
    )


async def settle(pilot: Pilot[object], *, timeout: float = 15.0) -> None:
    """Wait until every dashboard column has a reading and no IO worker is running."""
    app = pilot.app
    assert isinstance(app, ReluiApp)
    waited = 0.0
    while waited < timeout:
        await pilot.pause()
        columns = [c for screen in app.screen_stack for c in screen.query(EnvColumn)]
        if columns and all(c.data is not None for c in columns) and not _busy(app):
            await pilot.pause()
            if not _busy(app):
                return
        await pilot.pause(0.05)
        waited += 0.05
    raise AssertionError("the app did not settle")


def screen_lines(app: ReluiApp | App[None], region: Region | None = None) -> list[str]:
    """The text the terminal shows now, line by line: what a user reads, not what a widget holds.

    With a region, only the cells inside it (a dialog's content, a column); a widget's own text is cut
    at its container's edge on screen, which its ``render()`` never says.
    """
    update = app.screen._compositor.render_full_update()
    rows = [Strip.join(row) for row in update.strips]
    if region is None:
        return [row.text for row in rows]
    # Cut in cells, not characters: a wide character (CJK, emoji) is one character drawn in two cells.
    return [row.crop(region.x, region.right).text for row in rows[region.y : region.bottom]]


def words_on_screen(app: ReluiApp | App[None], region: Region | None = None) -> str:
    """The screen's text as one line of words: a sentence wrapped over lines reads as written."""
    return " ".join(" ".join(screen_lines(app, region)).split())
