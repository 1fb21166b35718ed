"""``relui lock ENV`` / ``relui unlock ENV [--force --reason T]``: the operator lock of an environment.

Exit 0 done, 3 refused (held by another operator, read-only mode, no role,
--force without --reason: as for the actions, nothing is changed).
"""

from __future__ import annotations

import argparse

from relui.commands.base import (
    EXIT_BLOCKED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
    yes_option,
)
from relui.ports import LockHeld
from relui.remedy_commands import with_remedy
from relui.services.context import Context
from relui.services.release import LockRefused, ReleaseService


def register(sub: Subparsers) -> None:
    """Add ``lock`` and ``unlock``."""
    p = add_command(sub, "lock", "take (or renew) the operator lock of ENV")
    p.add_argument("env")
    json_option(p, "who holds the lock now")
    yes_option(p, "taking a lock never asks")
    p.set_defaults(run=run_lock)
    p = add_command(sub, "unlock", "release your operator lock of ENV, or take over another's with --force")
    p.add_argument("env")
    p.add_argument("--force", action="store_true", help="take over another operator's lock (needs --reason)")
    p.add_argument("--reason", default="", metavar="TEXT", help="why the lock is taken over (journaled)")
    json_option(p, "what happened to the lock")
    yes_option(p, "unlock never asks; --force still needs --reason")
    p.set_defaults(run=run_unlock)


def run_lock(args: argparse.Namespace, ctx: Context) -> int:
    """Take the lock or say who holds it."""
    env = ctx.env(args.env).name
    try:
        info = ReleaseService(ctx).take_lock(env)
    except LockRefused as exc:
        raise CommandError(with_remedy(str(exc), exc.remedy), EXIT_BLOCKED) from None
    except LockHeld as exc:
        raise CommandError(f"{env}: {exc}; ask them to run: relui unlock {env}", EXIT_BLOCKED) from None
    if args.json:
        print_json({"env": env, "holder": info.holder, "since": info.since.isoformat()})
    else:
        print(f"{info.holder} holds the lock of {env} since {info.since:%H:%M} UTC")
    return EXIT_OK


def run_unlock(args: argparse.Namespace, ctx: Context) -> int:
    """Release the lock (or take it over with --force --reason)."""
    env = ctx.env(args.env).name
    try:
        message = ReleaseService(ctx).release_lock(env, force=args.force, reason=args.reason)
    except LockRefused as exc:
        raise CommandError(with_remedy(str(exc), exc.remedy), EXIT_BLOCKED) from None
    if args.json:
        # Who holds it now: nobody, or this operator after a take-over.
        now = ctx.env_ports(env).cluster.lock()
        holder = {"holder": now.holder, "since": now.since.isoformat()} if now else None
        print_json({"env": env, "message": message, "lock": holder})
    else:
        print(message)
    return EXIT_OK
