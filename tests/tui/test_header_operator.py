"""The header names who acts where the focus is: environments verify the operator each on its own."""

from __future__ import annotations

from dataclasses import replace

from relui.domain import Principal
from relui.services.context import Context
from relui.widgets.header import ReleaseHeader
from tests.tui.conftest import make_app, settle


def header(app: object) -> str:
    return str(app.screen.query_one(ReleaseHeader).render())  # type: ignore[attr-defined]


async def test_the_header_follows_the_focused_environments_verified_operator(ctx: Context) -> None:
    # DEV knows the bastion's local name; PROD's identity source verified the product owner's role session.
    prod = Principal(
        "arn:aws:sts::1:assumed-role/release/owner", "owner", verified=True, roles=("product_owner",), kind="aws"
    )
    ctx = replace(ctx, principals={"prod": prod})
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "alice (devops) on DEV" in header(app)
        await pilot.press("right", "right")
        await settle(pilot)
        assert "owner (product_owner) on PROD" in header(app) and "alice" not in header(app).split("|")[0]


async def test_one_name_everywhere_is_said_once(ctx: Context) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert f"{ctx.operator} (devops)  " in header(app) + "  " and " on DEV" not in header(app)
