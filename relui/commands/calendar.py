"""``relui calendar [--json]``: cadence, windows, freezes, and what shipped lately.

It answers the release manager's questions before release day: may we ship
right now, when is the next window, which freeze is coming, and what did each
environment last receive (from the journal, so it is what relui really did).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from relui.commands.base import EXIT_OK, CommandError, Subparsers, add_command, json_option, print_json
from relui.config import Freeze
from relui.services.calendar import ReleaseCalendar
from relui.services.context import Context
from relui.services.journal import Entry, Journal

RELEASE_ACTIONS = ("deploy", "cutover", "rollback")
# A forced action still changed what runs, so it counts as a release.
SHIPPED_STATUSES = ("ok", "forced")
DEFAULT_LAST = 3
# deploy records "version"; a cutover or rollback may name the version it made live differently.
VERSION_KEYS = ("version", "to_version", "live_version")


def register(sub: Subparsers) -> None:
    """Add the ``calendar`` subcommand."""
    p = add_command(sub, "calendar", "show cadence, next release windows, freezes ahead and the last releases")
    json_option(p, "the calendar")
    p.add_argument(
        "--last",
        type=int,
        default=DEFAULT_LAST,
        metavar="N",
        help=f"releases to show per environment (default: {DEFAULT_LAST})",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print the calendar as of the context's clock."""
    if args.last < 0:
        raise CommandError("--last must be 0 or more")
    report = calendar_json(ctx, args.last)
    if args.json:
        print_json(report)
    else:
        print(render(report))
    return EXIT_OK


def last_releases(entries: list[Entry], env: str, count: int) -> list[Entry]:
    """The newest ``count`` finished releases of an environment, newest first."""
    shipped = [
        e
        for e in entries
        if e.env == env and e.kind == "outcome" and e.action in RELEASE_ACTIONS and e.status in SHIPPED_STATUSES
    ]
    return list(reversed(shipped))[:count]


def release_json(entry: Entry) -> dict[str, Any]:
    """One release as the JSON output shows it."""
    version = next((entry.detail[k] for k in VERSION_KEYS if entry.detail.get(k) is not None), None)
    return {
        "env": entry.env,
        "action": entry.action,
        "version": str(version) if version is not None else None,
        "operator": entry.operator,
        "at": entry.at,
        "status": entry.status,
    }


def freeze_json(freeze: Freeze) -> dict[str, str]:
    """A freeze with ISO dates."""
    return {"start": freeze.start.isoformat(), "end": freeze.end.isoformat(), "reason": freeze.reason}


def calendar_json(ctx: Context, last: int) -> dict[str, Any]:
    """The documented JSON shape of ``relui calendar --json``."""
    calendar = ReleaseCalendar(ctx.config.calendar)
    now = ctx.clock.now()
    status = calendar.status(now)
    entries = Journal(ctx.state_dir, ctx.clock).entries()
    return {
        "timezone": ctx.config.calendar.timezone,
        "now": {
            "at": now.isoformat(),
            "release_allowed": status.open,
            "reason": status.reason,
            "freeze": freeze_json(status.freeze) if status.freeze else None,
            "next_opening": status.next_opening.isoformat() if status.next_opening else None,
            "banner": calendar.banner(now),
        },
        "cadence": calendar.cadence(),
        "windows": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in calendar.next_windows(now, 5)],
        "freezes": [freeze_json(f) for f in calendar.freezes_ahead(now)],
        "releases": {
            env.name: [release_json(e) for e in last_releases(entries, env.name, last)]
            for env in ctx.config.environments
        },
    }


def _when(iso: str) -> str:
    """A journal timestamp as "2026-11-26 10:00 UTC", or as given when it is not ISO."""
    try:
        stamp = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{stamp.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if stamp.tzinfo else f"{stamp:%Y-%m-%d %H:%M}"


def render(report: dict[str, Any]) -> str:
    """The calendar as text for a terminal."""
    now = report["now"]
    verdict = "ALLOWED" if now["release_allowed"] else "NOT ALLOWED"
    lines = [f"Release now: {verdict} ({now['reason']})", "", f"Cadence ({report['timezone']})"]
    lines.extend(f"  {line}" for line in report["cadence"])
    lines += ["", "Next windows"]
    if not report["windows"]:
        lines.append("  none configured: releases allowed at any time outside freezes")
    for window in report["windows"]:
        start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
        lines.append(f"  {start:%a %Y-%m-%d %H:%M} - {end:%H:%M}")
    lines += ["", "Freezes ahead"]
    if not report["freezes"]:
        lines.append("  none")
    lines.extend(f"  {f['start']} .. {f['end']}  {f['reason']}" for f in report["freezes"])
    lines += ["", "Last releases"]
    for env, releases in report["releases"].items():
        if not releases:
            lines.append(f"  {env.upper():<6}-")
        for r in releases:
            lines.append(
                f"  {env.upper():<6}{r['action']:<10}{r['version'] or '-':<14}{r['operator']:<12}"
                f"{_when(r['at'])}{'  (forced)' if r['status'] == 'forced' else ''}"
            )
    return "\n".join(lines)
