"""Fixtures shared by every test layer: the shipped config, a manual clock, a Context."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from relui.backends import build_ports
from relui.clock import ManualClock
from relui.config import load_config
from relui.services.context import Context
from relui.services.release import ReleaseService

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = ROOT / "config.toml"
# Thursday 11:00 in Berlin: inside the shipped config's release window.
IN_WINDOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# An [environments.identity] body for tests that hand the context its principals: the server is never asked.
KUBERNETES_IDENTITY = 'kind = "kubernetes"\napi_server = "http://127.0.0.1:9"'


def drill_config(directory: Path, time_scale: float | None = None, always_open: bool = False) -> Path:
    """A copy of the shipped config, optionally faster and with a window that is always open."""
    text = SHIPPED_CONFIG.read_text()
    if time_scale is not None:
        text = re.sub(r"(?m)^time_scale = .*$", f"time_scale = {time_scale}", text)
    if always_open:
        text = re.sub(
            r'(?ms)^\[\[calendar\.windows\]\].*?end = "17:00"\n',
            "[[calendar.windows]]\n"
            'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
            'start = "00:00"\nend = "23:59"\n',
            text,
        )
        text = re.sub(r"(?ms)^\[\[calendar\.freezes\]\].*?reason = .*?\n", "", text)
    # The copy lives elsewhere; the readiness review still finds the repository's runbooks.
    runbooks = ", ".join(f'"{ROOT / "docs" / name}"' for name in ("rollback.md", "release-process.md"))
    text += f"\n[readiness]\nrunbooks = [{runbooks}]\n"
    path = directory / "config.toml"
    path.write_text(text)
    return path


def make_context(config_path: Path, state_dir: Path, clock: ManualClock, operator: str = "ops") -> Context:
    """A Context on the sandbox with a manual clock, as the CLI would build it."""
    config = load_config(config_path)
    return Context(config=config, state_dir=state_dir, ports=build_ports(config, state_dir, clock), operator=operator)


def meet_readiness(ctx: Context, env: str = "prod") -> None:
    """What the go-live review needs beyond the checklist: attested security and restore test, a passed drill."""
    from relui.services import drill_score
    from relui.services.drills import start
    from relui.services.readiness import record

    for item in ("oauth2-flows", "secrets-rotated", "restore-test"):
        record(ctx, env, item, f"https://evidence.example/{item}")
    drill = start(ctx, "missing-tag", build_ports, ctx.state_dir.parent / "drill")
    ReleaseService(drill.ctx).deploy(drill.env, "2.4.0")  # blocked by the image guard: the drill's goal
    drill_score.record(ctx.state_dir, drill_score.score(drill), ctx.clock.now())


def ready_prod_candidate(config_path: Path, state_dir: Path, clock: ManualClock) -> tuple[Context, ReleaseService]:
    """PROD with 1.5.1 deployed to the idle color, signed off by the owner, ticked and review-ready, as ops."""
    from relui.services.checklist import Checklists

    ctx, owner = make_context(config_path, state_dir, clock), make_context(config_path, state_dir, clock, "owner")
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.5.1").ok
    Checklists(owner).sign_off("prod", "product_owner")
    for item in ctx.config.checklist:
        if not item.auto and item.phase != "post-deployment":
            Checklists(ctx).tick("prod", item.id, note="done")
    meet_readiness(ctx)
    return ctx, service


@pytest.fixture
def clock() -> ManualClock:
    """A clock that only moves when a test (or a poll's sleep) moves it."""
    return ManualClock(IN_WINDOW)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A fresh state dir per test."""
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def ctx(state_dir: Path, clock: ManualClock) -> Context:
    """The shipped config on the sandbox, operated by ops (devops)."""
    return make_context(SHIPPED_CONFIG, state_dir, clock)


@pytest.fixture
def as_user(state_dir: Path, clock: ManualClock):  # type: ignore[no-untyped-def]
    """Build a Context for another operator on the same world and clock."""

    def build(user: str) -> Context:
        return make_context(SHIPPED_CONFIG, state_dir, clock, operator=user)

    return build
