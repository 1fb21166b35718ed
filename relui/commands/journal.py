"""``relui journal [ENV]``: the audit trail, and actions cut off mid-way; ``relui journal verify [ENV]``: its chain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection

from relui.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
)
from relui.services.context import Context
from relui.services.interrupted import interrupted_actions
from relui.services.journal import Entry, Journal, JournalError
from relui.services.text import one_line


def register(sub: Subparsers) -> None:
    """Add ``journal``."""
    p = add_command(sub, "journal", "show the audit journal (and interrupted actions)")
    # Not "env": the first word may be "verify", which names no environment.
    p.add_argument("scope", nargs="?", metavar="ENV", help="one environment, or 'verify' to check the hash chain")
    p.add_argument("verify_env", nargs="?", metavar="ENV", help="with verify: the environment (default: all)")
    json_option(p, "the records, interrupted actions and unreadable lines (with verify: each chain)")
    p.add_argument("--limit", type=int, default=50, help="newest N records (default 50; 0 for all)")
    p.set_defaults(run=run)


def line(entry: Entry, configured: Collection[str] | None = None) -> str:
    """One record as a line (whatever a hand edit put into the file, it stays one line).

    An environment not in ``configured`` is shown quoted, as relui names an
    unknown environment elsewhere: ``'pr0d'`` is never read as ``prod``.
    """
    version = one_line(str(entry.detail.get("version") or ""), 40)
    message = entry.detail.get("message") or entry.detail.get("reason") or entry.detail.get("item") or ""
    shown_env = entry.env if configured is None or entry.env in configured else repr(entry.env)
    env, operator, action, kind, status = (
        one_line(v, 40) for v in (shown_env, entry.operator, entry.action, entry.kind, entry.status)
    )
    head = f"{one_line(entry.at[:19])}  {env:<6} {operator:<8} {action:<9} {kind:<7} {status:<11}"
    return f"{head} {version:<10} {one_line(str(message))}".rstrip()


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print the journal, newest last, then any interrupted actions; unreadable lines warn on stderr."""
    journal = Journal(ctx.state_dir, ctx.clock)
    if args.scope == "verify":
        return verify(args, ctx, journal)
    if args.verify_env:
        # ``relui journal prod verify``: the words the other way round.
        if args.verify_env == "verify" and args.scope:
            raise CommandError(
                f"unexpected 'verify' after {args.scope!r}; did you mean: relui journal verify {args.scope}"
            )
        raise CommandError(f"unexpected {args.verify_env!r}; did you mean: relui journal verify {args.verify_env}")
    if args.limit < 0:
        raise CommandError("--limit must be 0 (all) or more")
    env = ctx.env(args.scope).name if args.scope else None
    try:
        read = journal.read(env)
        interrupted = interrupted_actions(ctx, env)
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    entries = read.entries[-args.limit :] if args.limit else read.entries
    for broken in read.unreadable:
        print(f"relui: warning: {broken.warning(journal.path)}", file=sys.stderr)
    if args.json:
        print_json(
            {
                "entries": [e.to_json() for e in entries],
                "interrupted": [{"env": i.env, **i.to_json()} for i in interrupted],
                "unreadable": [{"line": u.line, "excerpt": u.excerpt} for u in read.unreadable],
            }
        )
        return EXIT_OK
    if not entries:
        print("journal is empty")
    configured = {e.name for e in ctx.config.environments}
    for entry in entries:
        print(line(entry, configured))
    now = ctx.clock.now()
    for action in interrupted:
        print(f"INTERRUPTED on {action.env}: {action.line(now)}")
    return EXIT_OK


def verify(args: argparse.Namespace, ctx: Context, journal: Journal) -> int:
    """Walk each environment's chain; exit 1 naming the first record edited, removed or reordered.

    Also exit 1 for records no chain checks (naming no configured environment):
    a journal that holds records relui did not verify does not pass. A line
    that is no record at all (a tail torn by a crash) warns, and the JSON
    lists it under ``unreadable``: the records around it still chain.
    """
    configured = [e.name for e in ctx.config.environments]
    names = [ctx.env(args.verify_env).name] if args.verify_env else configured
    try:
        check = journal.check(names, configured)
    except JournalError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None  # the state dir's journal: fix the state dir
    for broken in check.unreadable:
        print(f"relui: warning: {broken.warning(journal.path)}", file=sys.stderr)
    intact, reports = check.intact, check.chains
    if args.json:
        chains = [{"env": r.env, "records": r.records, "intact": r.intact, "broken": r.broken} for r in reports]
        unreadable = [{"line": u.line, "excerpt": u.excerpt} for u in check.unreadable]
        print_json({"intact": intact, "environments": chains, "unchecked": check.unchecked, "unreadable": unreadable})
        return EXIT_OK if intact else EXIT_FAILED
    for report in reports:
        if report.intact:
            before = f", {report.before_chain} written before the chain" if report.before_chain else ""
            print(f"{report.env}: chain intact ({report.records} records{before})")
        else:
            print(f"{report.env}: chain broken: {report.broken}")
    for problem in check.unchecked:
        print(f"journal: not verified: {problem}")
    return EXIT_OK if intact else EXIT_FAILED
