"""The revisions a rollback may go to are exactly those the revision guard lets go, forced or not."""

from __future__ import annotations

from relui.clock import ManualClock
from relui.services.context import Context
from relui.services.guards import revision_refusal, revisions_to_go_back_to
from relui.services.release import ReleaseService
from relui.services.release_state import release_state


def test_the_version_rolled_back_from_is_not_offered_and_the_guard_says_why(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    assert service.rollback("qa", reason="errors").ok  # 1.6.0 -> 1.4.2
    releases = ctx.env_ports("qa").releases
    history = releases.history()
    rel = release_state(history, releases.values())
    allowed, rolled_back = revisions_to_go_back_to(rel, history)
    [served] = [r for r in history if r.values and r.values.tag(r.values.active_color) == "1.6.0"]
    assert allowed == []
    assert rolled_back == [
        f"revision {served.number} would put 1.6.0 live again, which was rolled back; deploy a fixed version"
    ]
    # The service refuses it with the very same words, and no --force passes it.
    result = service.rollback("qa", to_revision=served.number, reason="x", force=True)
    assert result.status == "blocked"
    [block] = [g for g in result.guards if g.name == "revision"]
    assert block.reason == revision_refusal(rel, served) == rolled_back[0]


def test_a_revision_that_was_live_and_not_rolled_back_from_is_offered(ctx: Context, clock: ManualClock) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    clock.advance(7200)  # baked: 1.4.2, warm, is no longer the rollback target a deploy must keep
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    assert service.rollback("qa", reason="errors").ok  # 1.6.0 -> 1.5.1
    releases = ctx.env_ports("qa").releases
    history = releases.history()
    rel = release_state(history, releases.values())
    allowed, rolled_back = revisions_to_go_back_to(rel, history)
    live_versions = {r.values.tag(r.values.active_color) for r in allowed if r.values}
    assert live_versions == {"1.4.2"}
    assert len(rolled_back) == 1 and "would put 1.6.0 live again" in rolled_back[0]
    for rev in allowed:
        assert revision_refusal(rel, rev) is None
