"""The sandbox's first install: a release that was never installed, then ``install``."""

from __future__ import annotations

from pathlib import Path

import pytest

from relui.adapters.sandbox import SandboxReleases
from relui.adapters.sandbox_world import SandboxWorld
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Color, ReleaseValues
from relui.ports import PortError

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def test_install_only_where_no_revision_exists(tmp_path: Path) -> None:
    config = load_config(CONFIG)
    env = config.environments[0]
    world = SandboxWorld(tmp_path, config, ManualClock())
    releases = SandboxReleases(world, env)
    with pytest.raises(PortError, match=f"release {env.release} already exists in {env.name}; deploy to it with"):
        releases.install(Color.BLUE, "2.0.0", "relui install 2.0.0 by alice")
    with world.transaction() as state:
        world.env(state, env.name)["revisions"] = []  # a release that was never installed
    revision = releases.install(Color.BLUE, "2.0.0", "relui install 2.0.0 by alice")
    assert (revision.number, revision.status, revision.description) == (1, "deployed", "relui install 2.0.0 by alice")
    assert releases.values() == ReleaseValues(Color.BLUE, "2.0.0", None, blue_enabled=True, green_enabled=False)
    assert [r.number for r in releases.history()] == [1]
