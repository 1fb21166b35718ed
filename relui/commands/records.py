"""``relui records push ENV``: move an environment's records from this state dir into its shared store.

Exit 0 done (again: nothing more is copied), 2 when ENV has no
``[environments.records]``, 1 when the store does not answer.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from relui.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
    yes_option,
)
from relui.ports import PortError
from relui.services.context import Context
from relui.services.record_store import push


def register(sub: Subparsers) -> None:
    """Add ``records``."""
    p = add_command(sub, "records", "move an environment's records into its shared store (S3)")
    p.add_argument("verb", choices=["push"], help="push: copy this state dir's records of ENV, keeping the chain")
    p.add_argument("env", help="an environment with [environments.records]")
    json_option(p, "what was copied")
    yes_option(p, "push never asks and never overwrites what the store holds")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Copy the journal records, checklists, readiness evidence and incidents; say what was there already."""
    env = ctx.env(args.env).name
    if ctx.env(env).records is None:
        raise CommandError(f"{env} keeps its records in the state dir; add [environments.records] first")
    try:
        done = push(ctx.state_dir, env)
    except PortError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    if args.json:
        print_json(asdict(done))
        return EXIT_OK
    print(
        f"{env}: {done.records} journal records copied to {done.where} ({done.records_present} already there), "
        f"{done.documents} documents copied ({done.documents_present} kept as the store has them)"
    )
    return EXIT_OK
