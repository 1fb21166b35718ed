"""``relui abort ENV`` and ``relui approve ENV --break-glass``: stepping into a release.

Exit 0 done, 2 usage, 3 refused (read-only, no role, a traffic switch that cannot be stopped).
Neither asks for confirmation; both accept ``--yes`` so a pipeline may pass it to every step.
"""

from __future__ import annotations

import argparse

from relui.commands.base import (
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
    yes_option,
)
from relui.services.approvals import FORCEABLE_VERBS
from relui.services.context import Context
from relui.services.intervene import InterventionRefused, abort, approve
from relui.services.release import ReleaseService


def register(sub: Subparsers) -> None:
    """Add ``abort`` and ``approve``."""
    p = add_command(sub, "abort", "stop the deploy or smoke running on ENV; the idle color is put back")
    p.add_argument("env")
    p.add_argument("--reason", default="", metavar="TEXT", help="why (journaled)")
    json_option(p, "what was stopped")
    yes_option(p, "abort never asks")
    p.set_defaults(run=run_abort)
    p = add_command(sub, "approve", "a second person's break-glass approval for one forced action on ENV")
    p.add_argument("env")
    p.add_argument("--break-glass", action="store_true", required=True, help="approve one forced action (15 min)")
    p.add_argument(
        "--action", required=True, choices=FORCEABLE_VERBS, help="the one action it lets through (cutover ...)"
    )
    p.add_argument("--version", metavar="V", help="the release it is for; without it, any release of that action")
    p.add_argument("--reason", required=True, metavar="TEXT", help="why the guards may be passed (journaled)")
    json_option(p, "the approval")
    yes_option(p, "an approval never asks")
    p.set_defaults(run=run_approve)


def run_abort(args: argparse.Namespace, ctx: Context) -> int:
    """Stop what runs on the environment."""
    env = ctx.env(args.env).name
    try:
        message = abort(ReleaseService(ctx), env, args.reason)
    except InterventionRefused as exc:
        raise CommandError.of(exc) from None
    if args.json:
        print_json({"env": env, "message": message})
    else:
        print(message)
    return EXIT_OK


def run_approve(args: argparse.Namespace, ctx: Context) -> int:
    """Record a break-glass approval."""
    try:
        approval = approve(ReleaseService(ctx), args.env, args.reason, args.action, args.version)
    except InterventionRefused as exc:
        raise CommandError.of(exc) from None
    if args.json:
        print_json(
            {
                "id": approval.id,
                "env": approval.env,
                "approver": approval.approver,
                "action": approval.action,
                "version": approval.version or None,
                "reason": approval.reason,
                "expires": approval.expires.isoformat(),
            }
        )
    else:
        print(
            f"break-glass approval {approval.id} by {approval.approver} for one forced {approval.purpose} on "
            f"{approval.env}, valid until {approval.expires:%H:%M} UTC"
        )
    return EXIT_OK
