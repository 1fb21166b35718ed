"""``relui readiness ENV``: the go-live criteria; ``relui readiness ENV signoff ITEM --evidence URL``.

Exit 0 when every criterion is met, 1 otherwise, so a pipeline can gate on
it; recording an attestation exits 0, or 2 when it is refused.
"""

from __future__ import annotations

import argparse
from typing import Any

from relui.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    print_json,
    refuse_unverified,
)
from relui.services.context import Context
from relui.services.journal import JournalError
from relui.services.readiness import RECORDS, Criterion, ReadinessError, evaluate, record


def register(sub: Subparsers) -> None:
    """Add ``readiness``."""
    items = ", ".join(RECORDS)
    p = add_command(
        sub, "readiness", "show the go-live criteria of ENV (exit 0 when all are met), or record an attestation"
    )
    p.add_argument("env")
    p.add_argument("verb", nargs="?", choices=("signoff",), help="record ITEM with --evidence")
    p.add_argument("item", nargs="?", help=f"what is attested: {items}")
    p.add_argument("--evidence", metavar="URL", help="link to the review, ticket or report that proves it")
    p.add_argument("--note", default="", help="a note kept with the record")
    p.add_argument("--json", action="store_true", help="print the criteria as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Show the criteria, or record an attestation."""
    env = ctx.env(args.env).name
    if args.verb == "signoff":
        return _signoff(args, ctx, env)
    if args.item:
        raise CommandError(f"to record {args.item}: relui readiness {env} signoff {args.item} --evidence URL")
    criteria = evaluate(ctx, env)
    ready = all(c.met for c in criteria)
    if args.json:
        print_json(readiness_json(env, criteria))
    else:
        print(render(env, criteria))
    return EXIT_OK if ready else EXIT_FAILED


def _signoff(args: argparse.Namespace, ctx: Context, env: str) -> int:
    if not args.item:
        raise CommandError(
            f"which item? usage: relui readiness {env} signoff ITEM --evidence URL ({', '.join(RECORDS)})"
        )
    if not args.evidence:
        raise CommandError(f"--evidence URL is required: link the proof for {args.item}")
    refuse_unverified(ctx, env)
    try:
        entry = record(ctx, env, args.item, args.evidence, args.note)
    except (ReadinessError, JournalError) as exc:
        raise CommandError(str(exc)) from None
    criterion = RECORDS[entry.item][0]
    print(f"recorded {entry.item} on {env} for {criterion} by {entry.by}: {entry.evidence}")
    return EXIT_OK


def readiness_json(env: str, criteria: list[Criterion]) -> dict[str, Any]:
    """The documented JSON shape: the environment, whether it is ready, and each criterion."""
    return {
        "env": env,
        "ready": all(c.met for c in criteria),
        "criteria": [{"name": c.name, "title": c.title, "status": c.status, "evidence": c.evidence} for c in criteria],
    }


def render(env: str, criteria: list[Criterion]) -> str:
    """The criteria as a table: criterion, status, evidence."""
    met = sum(c.met for c in criteria)
    lines = [
        f"{env.upper()} go-live readiness: {met}/{len(criteria)} met",
        f"  {'criterion':<20}{'status':<10}evidence",
    ]
    lines.extend(f"  {c.name:<20}{c.status:<10}{c.evidence}" for c in criteria)
    return "\n".join(lines)
