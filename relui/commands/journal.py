"""``relui journal [ENV]``: the audit trail, and actions cut off mid-way."""

from __future__ import annotations

import argparse

from relui.commands.base import EXIT_OK, Subparsers, add_command, print_json
from relui.services.context import Context
from relui.services.journal import Entry, Journal


def register(sub: Subparsers) -> None:
    """Add ``journal``."""
    p = add_command(sub, "journal", "show the audit journal (and interrupted actions)")
    p.add_argument("env", nargs="?")
    p.add_argument("--json", action="store_true", help="print records as a JSON list")
    p.add_argument("--limit", type=int, default=50, help="newest N records (default 50; 0 for all)")
    p.set_defaults(run=run)


def line(entry: Entry) -> str:
    """One record as a line."""
    version = entry.detail.get("version") or ""
    message = entry.detail.get("message") or entry.detail.get("reason") or entry.detail.get("item") or ""
    head = f"{entry.at[:19]}  {entry.env:<6} {entry.operator:<8} {entry.action:<9} {entry.kind:<7} {entry.status:<11}"
    return f"{head} {version:<10} {message}".rstrip()


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print the journal, newest last, then any interrupted actions."""
    journal = Journal(ctx.state_dir, ctx.clock)
    env = ctx.env(args.env).name if args.env else None
    entries = journal.entries(env)
    if args.limit:
        entries = entries[-args.limit :]
    interrupted = journal.interrupted(env)
    if args.json:
        print_json({"entries": [e.to_json() for e in entries], "interrupted": [e.to_json() for e in interrupted]})
        return EXIT_OK
    if not entries:
        print("journal is empty")
    for entry in entries:
        print(line(entry))
    for entry in interrupted:
        print(
            f"INTERRUPTED: {entry.action} on {entry.env} by {entry.operator} at {entry.at[:19]} "
            "never finished; check the environment"
        )
    return EXIT_OK
