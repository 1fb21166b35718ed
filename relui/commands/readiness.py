"""``relui readiness ENV``: the go-live criteria; ``relui readiness ENV signoff ITEM --evidence URL``.

Exit 0 when every criterion is met, 1 otherwise, so a pipeline can gate on
it. Recording an attestation exits 0; 2 for an unknown item or evidence that
is no link, 3 when refused (read-only mode, an unverified identity, no role),
1 when it could not be saved or signed.
"""

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
from relui.services.context import Context
from relui.services.journal import JournalError
from relui.services.readiness import RECORDS, Criterion, ReadinessError, Record, evaluate, record


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
    json_option(p, "the criteria (with signoff: the record made)")
    yes_option(p, "recording an attestation never asks")
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
    try:  # read-only mode, roles and identity are the service's to refuse
        entry = record(ctx, env, args.item, args.evidence, args.note)
    except ReadinessError as exc:
        raise CommandError.of(exc) from None
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    criterion = RECORDS[entry.item][0]
    if args.json:
        print_json(record_json(env, criterion, entry))
    else:
        print(f"recorded {entry.item} on {env} for {criterion} by {entry.by}: {entry.evidence}")
    return EXIT_OK


def record_json(env: str, criterion: str, entry: Record) -> dict[str, Any]:
    """The documented JSON shape of a recorded attestation."""
    return {
        "env": env,
        "item": entry.item,
        "criterion": criterion,
        "evidence": entry.evidence,
        "note": entry.note,
        "by": entry.by,
        "at": entry.at,
        "principal": entry.principal,
        "signed": bool(entry.signature),
    }


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
