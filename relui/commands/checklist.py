"""``relui checklist`` and ``relui signoff``: the release checklist from the shell."""

from __future__ import annotations

import argparse
from typing import Any

from relui.commands.base import (
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_command,
    print_json,
    refuse_unverified,
)
from relui.config import PHASES
from relui.services.checklist import ChecklistError, Checklists, ChecklistView, SignOff
from relui.services.context import Context
from relui.services.facts import deployed_by
from relui.services.journal import Journal, JournalError


def register(sub: Subparsers) -> None:
    """Add ``checklist`` (show, tick, untick) and ``signoff``."""
    p = add_command(sub, "checklist", "show the release checklist, or tick/untick an item")
    p.add_argument("env")
    p.add_argument("verb", nargs="?", choices=("tick", "untick"), help="tick or untick ITEM")
    p.add_argument("item", nargs="?", help="item id (see the list)")
    p.add_argument("--note", default="", help="a note kept with the tick (evidence, link)")
    p.add_argument("--json", action="store_true", help="print the checklist as JSON")
    p.set_defaults(run=run_checklist)

    p = add_command(sub, "signoff", "sign off the release in play on ENV in a role you hold (SSH-signed)")
    p.add_argument("env")
    p.add_argument("--role", help="the role you sign as, e.g. product_owner")
    p.add_argument(
        "--github-approval",
        action="store_true",
        help="record the GitHub environment approval (counts only from the pipeline's OIDC role)",
    )
    p.add_argument("--run-url", metavar="URL", help="the workflow run the approval was given in")
    p.add_argument("--approver", metavar="LOGIN", help="the GitHub login that approved")
    p.set_defaults(run=run_signoff)


def run_checklist(args: argparse.Namespace, ctx: Context) -> int:
    """Show the checklist, or tick/untick one item."""
    checklists = Checklists(ctx)
    if ctx.read_only and args.verb:
        raise CommandError("read-only mode: the checklist cannot be changed")
    try:
        if args.verb:
            if not args.item:
                raise CommandError(f"which item? usage: relui checklist {args.env} {args.verb} ITEM")
            status = checklists.tick(args.env, args.item, args.note, done=args.verb == "tick")
            verb = "ticked" if status.done else "unticked"
            print(f"{verb} {args.item} on {args.env} ({checklists.version_of(args.env)})")
            return EXIT_OK
        view = checklists.view(args.env)
    except ChecklistError as exc:
        raise CommandError(str(exc), 1) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    if args.json:
        print_json(checklist_json(view))
    else:
        print(render(view))
    return EXIT_OK


def checklist_json(view: ChecklistView) -> dict[str, Any]:
    """The checklist as one JSON object."""
    return {
        "env": view.env,
        "version": view.version,
        "done": view.done,
        "total": len(view.items),
        "items": [
            {
                "id": s.item.id,
                "phase": s.item.phase,
                "title": s.item.title,
                "done": s.done,
                "auto": s.item.auto,
                "by": s.by,
                "at": s.at,
                "note": s.note,
                "evidence": s.evidence,
            }
            for s in view.items
        ],
        "signoffs": [
            {
                "role": s.role,
                "user": s.user,
                "at": s.at,
                "principal": s.principal,
                "verified_by": s.verified_by,
                "signed": bool(s.signature),
                "github_run_url": s.github_run_url or None,
                "counts": s.problem is None,
                "problem": s.problem,
            }
            for s in view.signoffs
        ],
    }


def render(view: ChecklistView) -> str:
    """The checklist as text, phase by phase."""
    lines = [f"{view.env.upper()} checklist for {view.version or '-'}: {view.done}/{len(view.items)} done"]
    for phase in PHASES:
        lines.append(f"\n{phase}:")
        for s in view.phase(phase):
            mark = "[x]" if s.done else "[ ]"
            who = f"  ({s.by} {str(s.at)[:16]}{': ' + s.note if s.note else ''})" if s.by and s.done else ""
            auto = f"  auto: {s.evidence}" if s.automatic else ""
            lines.append(f"  {mark} {s.item.id:<24} {s.item.title}{who}{auto}")
    signed = ", ".join(_signoff_text(s) for s in view.signoffs) or "none"
    lines.append(f"\nsign-offs: {signed}")
    return "\n".join(lines)


def _signoff_text(s: SignOff) -> str:
    how = f"; does not count: {s.problem}" if s.problem else (f" ({s.trust})" if s.trust else "")
    return f"{s.role} by {s.user}{how}"


def run_signoff(args: argparse.Namespace, ctx: Context) -> int:
    """Sign off the version in play, or record the pipeline's GitHub approval."""
    if ctx.read_only:
        raise CommandError("read-only mode: sign-offs are refused")
    checklists = Checklists(ctx)
    env = ctx.env(args.env).name
    if not args.github_approval and not args.role:
        raise CommandError(f"which role? usage: relui signoff {env} --role ROLE")
    if args.github_approval and not (args.run_url and args.approver):
        raise CommandError(f"usage: relui signoff {env} --github-approval --run-url URL --approver LOGIN")
    refuse_unverified(ctx, env)
    journal = Journal(ctx.state_dir, ctx.clock)
    try:
        version = checklists.version_of(env)
        if args.github_approval:
            signoff = checklists.record_github_approval(env, args.run_url, args.approver)
        else:
            signoff = checklists.sign_off(env, args.role, deployed_by(journal, env, version))
    except ChecklistError as exc:
        raise CommandError(str(exc), 1) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    if signoff.pipeline:
        print(f"recorded the GitHub approval by {signoff.github_approver} of {version} on {env} ({signoff.principal})")
    else:
        print(f"{signoff.user} signed off {version} on {env} as {signoff.role}")
    return EXIT_OK
