"""``relui lock ENV`` / ``relui unlock ENV [--force --reason T]``: the operator lock of an environment.

Exit 0 done, 3 refused (held by another operator, read-only mode, no role).
"""

from __future__ import annotations

import argparse

from relui.commands.base import EXIT_BLOCKED, EXIT_OK, CommandError, Subparsers, add_command
from relui.commands.remedies import with_remedy
from relui.ports import LockHeld
from relui.services.context import Context
from relui.services.release import LockRefused, ReleaseService


def register(sub: Subparsers) -> None:
    """Add ``lock`` and ``unlock``."""
    p = add_command(sub, "lock", "take (or renew) the operator lock of ENV")
    p.add_argument("env")
    p.set_defaults(run=run_lock)
    p = add_command(sub, "unlock", "release your operator lock of ENV, or take over another's with --force")
    p.add_argument("env")
    p.add_argument("--force", action="store_true", help="take over another operator's lock (needs --reason)")
    p.add_argument("--reason", default="", metavar="TEXT", help="why the lock is taken over (journaled)")
    p.set_defaults(run=run_unlock)


def run_lock(args: argparse.Namespace, ctx: Context) -> int:
    """Take the lock or say who holds it."""
    try:
        info = ReleaseService(ctx).take_lock(args.env)
    except LockRefused as exc:
        raise CommandError(with_remedy(str(exc), exc.remedy), EXIT_BLOCKED) from None
    except LockHeld as exc:
        raise CommandError(f"{args.env}: {exc}; ask them to run: relui unlock {args.env}", EXIT_BLOCKED) from None
    print(f"{info.holder} holds the lock of {args.env} since {info.since:%H:%M} UTC")
    return EXIT_OK


def run_unlock(args: argparse.Namespace, ctx: Context) -> int:
    """Release the lock (or take it over with --force --reason)."""
    try:
        print(ReleaseService(ctx).release_lock(args.env, force=args.force, reason=args.reason))
    except LockRefused as exc:
        raise CommandError(with_remedy(str(exc), exc.remedy), EXIT_BLOCKED) from None
    return EXIT_OK
