"""``relui status [ENV] [--json]``: what runs where, and how healthy it is."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from relui.commands.base import EXIT_FAILED, EXIT_OK, Subparsers, add_command, json_option, percent, print_json
from relui.domain import Color, EnvSnapshot
from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.interrupted import Interrupted, interrupted_actions
from relui.services.journal import JournalError
from relui.services.monitor import take_snapshot


def register(sub: Subparsers) -> None:
    """Add the ``status`` subcommand."""
    p = add_command(sub, "status", "show each environment: colors, versions, pods, error rate, checklist")
    p.add_argument("env", nargs="?", help="one environment (default: all, in config order)")
    json_option(p, "every environment")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read every environment once and print it."""
    envs = [ctx.env(args.env)] if args.env else list(ctx.config.environments)
    checklists = Checklists(ctx)
    rows, texts = [], []
    now = ctx.clock.now()
    for env in envs:
        snap = take_snapshot(env, ctx.env_ports(env.name), ctx.clock, with_series=False)
        progress, unread = checklists.progress_of(env.name)
        if unread:
            snap = replace(snap, problems=(*snap.problems, unread))
        try:
            interrupted = interrupted_actions(ctx, env.name)
        except JournalError as exc:
            # Status is what an operator reads when things are broken; an unreadable journal is one more problem.
            interrupted = []
            snap = replace(snap, problems=(*snap.problems, str(exc)))
        rows.append(status_json(snap, progress, interrupted))
        texts.append(render(rows[-1], [i.line(now) for i in interrupted]))
    if args.json:
        print_json({"environments": rows})
    else:
        print("\n\n".join(texts))
    # docs/cli.md: exit 1 when a source or the records store did not answer; the picture is printed all the same.
    return EXIT_FAILED if any(row["problems"] for row in rows) else EXIT_OK


def status_json(
    snap: EnvSnapshot, checklist: dict[str, int], interrupted: Sequence[Interrupted] = ()
) -> dict[str, Any]:
    """The documented JSON shape of one environment."""
    colors = {}
    for color in Color:
        state = snap.colors.get(color)
        colors[str(color)] = {
            "version": state.version if state else None,
            "revision": state.revision if state else None,
            "enabled": state.enabled if state else False,
            "ready": state.ready if state else 0,
            "desired": state.desired if state else 0,
            "restarts": state.restarts if state else 0,
            "reason": state.worst_reason if state else None,
            "pods": [
                {"name": p.name, "phase": p.phase, "ready": p.ready, "restarts": p.restarts, "reason": p.reason}
                for p in (state.pods if state else ())
            ],
        }
    return {
        "name": snap.name,
        "kind": snap.kind,
        "protected": snap.protected,
        "active_color": str(snap.active_color) if snap.active_color else None,
        "colors": colors,
        "error_rate": {str(c): snap.error_rate.get(c) for c in Color},
        "error_threshold": snap.error_threshold,
        "checklist": checklist,
        "lock": _lock_json(snap),
        "problems": list(snap.problems),
        "interrupted": [i.to_json() for i in interrupted],
    }


def _lock_json(snap: EnvSnapshot) -> dict[str, Any] | None:
    """None only when the lock is known to be free: one that could not be read is no free lock."""
    if snap.lock is not None:
        return {"holder": snap.lock.holder, "since": snap.lock.since.isoformat()}
    if snap.lock_problem is not None:
        return {"holder": None, "since": None, "unknown": snap.lock_problem}
    return None


def render(row: dict[str, Any], interrupted: Sequence[str] = ()) -> str:
    """One environment as a small table, then its interrupted actions (display lines)."""
    badge = " [protected]" if row["protected"] else ""
    active = row["active_color"]
    live = row["colors"].get(active, {}) if active else {}
    head = f"{row['name'].upper()}{badge} ({row['kind']})  live: {active or '?'} {live.get('version') or '-'}"
    lines = [head, f"  {'color':<8}{'version':<16}{'ready':<8}{'restarts':<10}{'error rate':<12}reason"]
    for color in ("blue", "green"):
        c = row["colors"][color]
        mark = "*" if color == active else " "
        ready = f"{c['ready']}/{c['desired']}" if c["enabled"] else "off"
        rate = percent(row["error_rate"][color])
        lines.append(
            f"  {color + mark:<8}{c['version'] or '-':<16}{ready:<8}{c['restarts']:<10}{rate:<12}{c['reason'] or ''}"
        )
    lock = row["lock"]
    if lock is None:
        lock_text = "free"
    elif lock["holder"] is None:
        lock_text = "unknown (unreadable)"
    else:
        lock_text = f"{lock['holder']} since {lock['since'][:16]}"
    check = row["checklist"]
    lines.append(f"  checklist {check['done']}/{check['total']}   lock: {lock_text}")
    lines.extend(f"  ! {problem}" for problem in row["problems"])
    lines.extend(f"  INTERRUPTED: {i}" for i in interrupted)
    return "\n".join(lines)
