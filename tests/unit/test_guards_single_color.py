"""A Compose DEV has one color: deploys replace it in place and nothing is cut over."""

from __future__ import annotations

from datetime import UTC, datetime

from relui.config import ComposeConfig, EnvironmentConfig
from relui.domain import Color, ReleaseValues, Revision
from relui.services.actions import Action
from relui.services.guards import Facts, guard_candidate
from relui.services.plans import make_plan
from relui.services.release_state import release_state

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DEV = EnvironmentConfig(
    name="dev",
    kind="compose",
    protected=False,
    namespace="dev",
    release="shop",
    compose=ComposeConfig(file="compose.yaml", service="app"),
)


def facts(action: str, version: str | None = None) -> Facts:
    values = ReleaseValues(Color.BLUE, "1.5.0", None, True, False)
    history = [Revision(1, "deployed", "relui deploy 1.5.0 to blue by ops", NOW, values)]
    return Facts(
        action=action,
        env=DEV,
        operator="ops",
        roles=("devops",),
        allowed=True,
        read_only=False,
        now=NOW,
        release=release_state(history, values),
        version=version,
    )


def test_deploy_plan_replaces_the_one_color_in_place() -> None:
    plan = make_plan(Action.DEPLOY, facts("deploy", "1.6.0"))
    assert plan.to_color is Color.BLUE
    assert plan.changes == ("blue: 1.5.0 -> 1.6.0 in place (live: one color only)",)


def test_cutover_is_refused_with_the_reason() -> None:
    result = guard_candidate(facts("cutover"))
    assert result.blocks and result.reason == "dev runs one color: a deploy goes live directly"
