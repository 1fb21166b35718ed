"""``relui checklist`` and ``relui signoff``: the release checklist from the shell."""

from __future__ import annotations

import argparse
from typing import Any

from relui.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
    yes_option,
)
from relui.config import PHASES
from relui.services.checklist import ChecklistError, Checklists, ChecklistView, ItemStatus, SignOff
from relui.services.context import Context
from relui.services.journal import JournalError
from relui.services.text import InvalidInput, validate_version


def register(sub: Subparsers) -> None:
    """Add ``checklist`` (show, tick, untick) and ``signoff``."""
    p = add_command(sub, "checklist", "show the release checklist, or tick/untick an item")
    p.add_argument("env")
    p.add_argument("verb", nargs="?", choices=("tick", "untick"), help="tick or untick ITEM")
    p.add_argument("item", nargs="?", help="item id (see the list)")
    p.add_argument("--note", default="", help="a note kept with the tick (evidence, link)")
    json_option(p, "the checklist (or, with tick/untick, the item changed)")
    yes_option(p, "a tick never asks")
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
    p.add_argument(
        "--version",
        metavar="V",
        help="the release you are signing off; refused (exit 3) if another is in play by then",
    )
    json_option(p, "the sign-off recorded")
    yes_option(p, "a sign-off never asks")
    p.set_defaults(run=run_signoff)


def run_checklist(args: argparse.Namespace, ctx: Context) -> int:
    """Show the checklist, or tick/untick one item."""
    checklists = Checklists(ctx)
    if args.verb:
        return _tick(args, ctx, checklists)
    if args.item:
        raise CommandError(f"to tick {args.item}: relui checklist {args.env} tick {args.item}")
    try:
        view = checklists.view(args.env)
    except ChecklistError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    if args.json:
        print_json(checklist_json(view))
    else:
        print(render(view))
    return EXIT_OK


def _tick(args: argparse.Namespace, ctx: Context, checklists: Checklists) -> int:
    """Tick or untick ITEM.

    Exit 3 in read-only mode; 2 for an item that cannot be ticked, or a
    journal that cannot be written (the state dir's problem); 1 when the
    checklist cannot be saved.
    """
    env = ctx.env(args.env).name
    if not args.item:
        raise CommandError(f"which item? usage: relui checklist {env} {args.verb} ITEM")
    try:
        version = checklists.version_of(env)
        # For the release read here, which the line below prints: a deploy landing in between is refused.
        status = checklists.tick(env, args.item, args.note, done=args.verb == "tick", expect=version or "")
    except ChecklistError as exc:
        raise CommandError.of(exc) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    if args.json:
        print_json(tick_json(env, version, status))
    else:
        print(f"{'ticked' if status.done else 'unticked'} {args.item} on {env} ({version})")
    return EXIT_OK


def tick_json(env: str, version: str | None, status: ItemStatus) -> dict[str, Any]:
    """The documented JSON shape of a tick or untick: the item as it is now."""
    return {
        "env": env,
        "version": version,
        "item": status.item.id,
        "done": status.done,
        "by": status.by,
        "at": status.at,
        "note": status.note,
    }


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
        "signoffs": [{**_signoff_fields(s), "counts": s.problem is None, "problem": s.problem} for s in view.signoffs],
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
    """Sign off the version in play, or record the pipeline's GitHub approval.

    Exit 3 when refused (read-only mode, an unverified identity, a role not
    held, the deployer signing their own release, nothing deployed), 2 on a
    usage error, signing that is not set up or a journal that cannot be
    written, 1 when the sign-off could not be saved or ssh-keygen failed; the
    services say which (``Problem``).
    """
    checklists = Checklists(ctx)
    env = ctx.env(args.env).name
    if not args.github_approval and not args.role:
        raise CommandError(f"which role? usage: relui signoff {env} --role ROLE")
    if args.github_approval and not (args.run_url and args.approver):
        raise CommandError(f"usage: relui signoff {env} --github-approval --run-url URL --approver LOGIN")
    if args.version is not None:
        try:
            validate_version(args.version)
        except InvalidInput as exc:
            raise CommandError(f"--version: {exc}") from None
    version: str | None = None
    try:
        version = checklists.version_of(env)
        # Signed for the release named (or the one read here, which the line below prints), never one deployed since.
        expect = args.version if args.version is not None else version or ""
        if args.github_approval:
            signoff = checklists.record_github_approval(env, args.run_url, args.approver, expect=expect)
        else:
            signoff = checklists.sign_off(env, args.role, expect=expect)
    except ChecklistError as exc:
        raise CommandError.of(exc) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    if args.json:
        print_json(signoff_json(env, version, signoff))
    elif signoff.pipeline:
        print(f"recorded the GitHub approval by {signoff.github_approver} of {version} on {env} ({signoff.principal})")
    else:
        print(f"{signoff.user} signed off {version} on {env} as {signoff.role}")
    return EXIT_OK


def signoff_json(env: str, version: str | None, s: SignOff) -> dict[str, Any]:
    """The documented JSON shape of a recorded sign-off (or GitHub approval)."""
    return {"env": env, "version": version, **_signoff_fields(s), "github_approver": s.github_approver or None}


def _signoff_fields(s: SignOff) -> dict[str, Any]:
    """Who signed off, how it was verified: the same keys in the checklist's list and a sign-off's document."""
    return {
        "role": s.role,
        "user": s.user,
        "at": s.at,
        "principal": s.principal,
        "verified_by": s.verified_by,
        "signed": bool(s.signature),
        "github_run_url": s.github_run_url or None,
    }
