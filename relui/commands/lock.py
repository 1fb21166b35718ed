"""``relui lock ENV`` / ``relui unlock ENV``: the operator lock of an environment."""

from __future__ import annotations

import argparse

from relui.commands.base import EXIT_OK, CommandError, Subparsers, add_command
from relui.ports import LockHeld
from relui.services.context import Context
from relui.services.release import ReleaseService


def register(sub: Subparsers) -> None:
    """Add ``lock`` and ``unlock``."""
    p = add_command(sub, "lock", "take (or renew) the operator lock of ENV")
    p.add_argument("env")
    p.set_defaults(run=run_lock)
    p = add_command(sub, "unlock", "release your operator lock of ENV")
    p.add_argument("env")
    p.set_defaults(run=run_unlock)


def run_lock(args: argparse.Namespace, ctx: Context) -> int:
    """Take the lock or say who holds it."""
    if ctx.read_only:
        raise CommandError("read-only mode: locks are refused")
    try:
        info = ReleaseService(ctx).take_lock(args.env)
    except LockHeld as exc:
        raise CommandError(f"{args.env}: {exc}; ask them to run: relui unlock {args.env}", 3) from None
    print(f"{info.holder} holds the lock of {args.env} since {info.since:%H:%M} UTC")
    return EXIT_OK


def run_unlock(args: argparse.Namespace, ctx: Context) -> int:
    """Release the lock."""
    ReleaseService(ctx).release_lock(args.env)
    print(f"released the lock of {args.env}")
    return EXIT_OK
