"""The rollback chooser offers only what the service would carry out: never the version rolled back from.

After an instant rollback of 1.6.0, ``r`` offered "revision 3 ... [rolled back
from]", highlighted; picked, its confirm said it would put 1.6.0 live again and
tag 1.4.2 failed, and the revision guard BLOCKed it. The guard held, but the
only choice offered was the failed release.
"""

from __future__ import annotations

from textual.widgets import OptionList

from relui.clock import ManualClock
from relui.screens.choice import ChoiceScreen
from relui.services.context import Context
from relui.services.release import ReleaseService
from tests.tui.conftest import make_app, settle


async def open_rollback_chooser(ctx: Context, pilot: object, app: object) -> ChoiceScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("right")  # type: ignore[attr-defined]
    await pilot.press("r")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    chooser = app.screen  # type: ignore[attr-defined]
    assert isinstance(chooser, ChoiceScreen)
    return chooser


async def test_after_a_rollback_nothing_is_offered_and_the_note_says_why(ctx: Context) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    assert service.rollback("qa", reason="errors").ok  # 1.6.0 -> 1.4.2, as with PROD in the incident
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        chooser = await open_rollback_chooser(ctx, pilot, app)
        assert chooser.options == []
        assert chooser.note == (
            "nothing to roll back to: already rolled back (blue 1.4.2 is live); revision 3 would put 1.6.0 live "
            "again, which was rolled back; deploy a fixed version (Esc closes)"
        )
        await pilot.press("enter")  # nothing to pick: Enter does nothing
        await settle(pilot)
        assert app.screen is chooser
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceScreen)
    assert ctx.env_ports("qa").cluster.observed_active_color().value == "blue"


async def test_the_revision_rolled_back_from_is_neither_offered_nor_highlighted(
    ctx: Context, clock: ManualClock
) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.cutover("qa").ok
    clock.advance(7200)  # baked: 1.4.2, warm, is no longer the rollback target a deploy must keep
    assert service.deploy("qa", "1.6.0").ok and service.cutover("qa").ok
    assert service.rollback("qa", reason="errors").ok  # 1.6.0 -> 1.5.1; 1.4.2 was live before both
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        chooser = await open_rollback_chooser(ctx, pilot, app)
        labels = [label for _, label in chooser.options]
        assert not any("green* 1.6.0" in label or "blue* 1.6.0" in label for label in labels)
        assert labels and all("* 1.4.2" in label for label in labels), labels
        highlighted = chooser.query_one(OptionList).highlighted
        assert highlighted is not None and "* 1.4.2" in labels[highlighted]
        assert "not offered: revision" in chooser.note and "would put 1.6.0 live again" in chooser.note
        await pilot.press("escape")
        await settle(pilot)
