"""A sign-off or tick is for the release the checklist showed, never one deployed since the screen was read.

bob (product owner) opened QA's checklist on 1.4.2; alice then deployed
1.5.1. bob's ``s`` Enter recorded his sign-off for 1.5.1, a release he never
saw, and the screen told him "signed off 1.4.2".
"""

from __future__ import annotations

from textual.pilot import Pilot

from relui.app import ReluiApp
from relui.screens.checklist import ChecklistScreen
from relui.screens.note import NoteScreen
from relui.services.checklist import Checklists
from relui.services.release import ReleaseService
from tests.tui.conftest import ContextFactory, make_app, settle


async def open_qa_checklist(app: ReluiApp, pilot: Pilot[int]) -> ChecklistScreen:
    await settle(pilot)
    await pilot.press("right", "k")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ChecklistScreen) and screen.view is not None
    return screen


def signers(bob_checklists: Checklists, version: str) -> list[str]:
    return [s.user for s in bob_checklists.view("qa", version, evaluate=False).signoffs]


async def test_a_sign_off_after_a_deploy_since_the_screen_was_read_is_refused_then_made_for_what_is_shown(
    make_ctx: ContextFactory,
) -> None:
    bob, alice = make_ctx("bob"), make_ctx("alice")
    app = make_app(bob)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_qa_checklist(app, pilot)
        assert screen.view is not None and screen.view.version == "1.4.2"
        assert ReleaseService(alice).deploy("qa", "1.5.1").ok  # from another machine, while bob reads
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")  # product_owner, for the 1.4.2 the chooser names
        await settle(pilot)
        checklists = Checklists(bob)
        assert signers(checklists, "1.5.1") == [] and signers(checklists, "1.4.2") == []
        said = [n.message for n in app._notifications]
        assert any("qa's release in play is 1.5.1 now, not 1.4.2 as shown; nothing was recorded" in m for m in said)
        assert not any(m.startswith("signed off") for m in said)
        for _ in range(100):  # the screen reads again, and shows the release there now
            if screen.view is not None and screen.view.version == "1.5.1":
                break
            await pilot.pause(0.05)
        assert screen.view is not None and screen.view.version == "1.5.1"
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert signers(checklists, "1.5.1") == ["bob"]
        assert any(n.message == "signed off 1.5.1 on QA as product_owner" for n in app._notifications)


async def test_a_tick_after_a_deploy_since_the_screen_was_read_is_refused(make_ctx: ContextFactory) -> None:
    bob, alice = make_ctx("bob"), make_ctx("alice")
    app = make_app(bob)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_qa_checklist(app, pilot)
        assert screen.view is not None
        manual = next(s for s in screen.view.items if not s.automatic)
        for _ in range(40):
            selected = screen._selected()
            if selected is not None and selected.item.id == manual.item.id:
                break
            await pilot.press("down")
        assert selected is not None and selected.item.id == manual.item.id
        assert ReleaseService(alice).deploy("qa", "1.5.1").ok
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"CI 42", "enter")
        await settle(pilot)
        view = Checklists(bob).view("qa", "1.5.1", evaluate=False)
        assert not next(s for s in view.items if s.item.id == manual.item.id).done
        assert any("nothing was recorded" in n.message for n in app._notifications)
