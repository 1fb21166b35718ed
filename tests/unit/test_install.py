"""First install: a release that does not exist yet is started through the same guards, journal and confirmation."""

from __future__ import annotations

import json
from pathlib import Path

from relui.domain import Color
from relui.remedy_commands import guard_text
from relui.services.actions import Action
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from relui.services.requests import Request, accept


def _forget_release(ctx: Context, env: str) -> None:
    """Make the sandbox world hold no release for ``env`` (as a cluster before its first install)."""
    ctx.env_ports(env).cluster.lock()  # seeds the world file
    path = ctx.state_dir / "sandbox" / "world.json"
    world = json.loads(path.read_text())
    world["envs"][env]["revisions"] = []
    path.write_text(json.dumps(world))


def test_deploy_without_a_release_says_how_to_start_it(ctx: Context) -> None:
    _forget_release(ctx, "qa")
    result = ReleaseService(ctx).deploy("qa", "1.5.0")
    assert result.status == "blocked"
    reason = next(guard_text(g) for g in result.guards if g.name == "release")
    assert "relui install qa VERSION" in reason


def test_install_starts_blue_live_through_the_journal(ctx: Context) -> None:
    _forget_release(ctx, "qa")
    service = ReleaseService(ctx)
    result = service.run(Request(Action.INSTALL, "qa", "1.5.0"), accept())
    assert result.status == "ok", result.message
    ports = ctx.env_ports("qa")
    values = ports.releases.values()
    assert (values.active_color, values.blue_tag, values.green_enabled) == (Color.BLUE, "1.5.0", False)
    assert ports.cluster.observed_active_color() is Color.BLUE
    statuses = [(e.kind, e.status) for e in Journal(ctx.state_dir, ctx.clock).entries("qa") if e.action == "install"]
    assert statuses == [("intent", "started"), ("outcome", "ok")]
    again = service.run(Request(Action.INSTALL, "qa", "1.5.0"), accept())
    assert again.status == "blocked" and "exists already" in str(again.guards)


def test_install_of_a_missing_image_is_refused(ctx: Context, tmp_path: Path) -> None:
    _forget_release(ctx, "qa")
    result = ReleaseService(ctx).run(Request(Action.INSTALL, "qa", "9.9.9"), accept())
    assert result.status == "blocked" and any(g.name == "image" and g.blocks for g in result.guards)
