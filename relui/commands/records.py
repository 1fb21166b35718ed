"""``relui records push ENV``: move an environment's records from this state dir into its shared store."""

from __future__ import annotations

import argparse

from relui.commands.base import EXIT_FAILED, EXIT_OK, Subparsers, add_command, print_json
from relui.ports import PortError
from relui.services.context import Context
from relui.services.record_store import push


def register(sub: Subparsers) -> None:
    """Add ``records``."""
    p = add_command(sub, "records", "move an environment's records into its shared store (S3)")
    p.add_argument("verb", choices=["push"], help="push: copy this state dir's records of ENV, keeping the chain")
    p.add_argument("env", help="an environment with [environments.records]")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Copy the journal records, checklists, readiness evidence and incidents; say what was there already."""
    env = ctx.env(args.env).name
    try:
        done = push(ctx.state_dir, env)
    except PortError as exc:
        print(f"relui: {exc}")
        return EXIT_FAILED
    if args.json:
        print_json(done.__dict__)
        return EXIT_OK
    print(
        f"{env}: {done.records} journal records copied to {done.where} ({done.records_present} already there), "
        f"{done.documents} documents copied ({done.documents_present} kept as the store has them)"
    )
    return EXIT_OK
