"""``relui drill``: training drills on a throw-away sandbox, in the TUI or headless.

``relui drill --list`` names them; ``relui drill NAME`` prints the briefing
and starts the TUI on the drill's world, then prints and records the score;
``relui drill NAME --no-tui --state-dir-out DIR`` only sets the drill up for
plain CLI commands, and ``relui drill --score DIR`` scores it afterwards.
Scores go to ``drills.jsonl`` in the operator's own state dir. Exit 0 when
the drill passed (or was set up), 1 when it did not, 2 on a usage error.
With ``--json`` each of the three prints one JSON object; the briefing of a
drill played in the TUI then goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from relui.backends import build_ports
from relui.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    json_option,
    print_json,
    tui_refusal,
    yes_option,
)
from relui.services import drill_score
from relui.services.context import Context
from relui.services.drills import SCENARIOS, DrillError, DrillRun, open_run, start


def register(sub: Subparsers) -> None:
    """Add ``drill``."""
    p = add_command(sub, "drill", "training drills on a throw-away sandbox: list, play, or score one")
    p.add_argument("name", nargs="?", help=f"the drill to play: {', '.join(SCENARIOS)}")
    p.add_argument("--list", action="store_true", help="list the drills with a one-line description")
    p.add_argument("--no-tui", action="store_true", help="set the drill up for CLI commands instead of the TUI")
    p.add_argument("--state-dir-out", metavar="DIR", help="play the drill in DIR (default: a new temporary dir)")
    p.add_argument("--score", metavar="DIR", help="score the drill played in DIR and record the score")
    json_option(p, "the list, the drill set up, or the score")
    yes_option(p, "a drill never asks")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """List, play, set up or score a drill."""
    chosen = [flag for flag, given in (("--list", args.list), ("NAME", args.name), ("--score", args.score)) if given]
    if len(chosen) != 1:
        raise CommandError("give exactly one of: --list, a drill NAME, or --score DIR (see relui drill --list)")
    try:
        if args.list:
            if args.json:
                print_json({"drills": [{"name": n, "summary": s.summary} for n, s in SCENARIOS.items()]})
                return EXIT_OK
            width = max(len(name) for name in SCENARIOS)
            for name, scenario in SCENARIOS.items():
                print(f"{name:<{width}}  {scenario.summary}")
            return EXIT_OK
        if args.score:
            drill = open_run(Path(args.score), build_ports, ctx.clock)
            return _finish(ctx, drill_score.score(drill, final=True), args.json)
        refusal = None if args.no_tui else tui_refusal(needs_stdout=False)
        if refusal:
            raise CommandError(f"{refusal}; or set the drill up for commands with --no-tui")
        out = Path(args.state_dir_out) if args.state_dir_out else None
        drill = start(ctx, args.name, build_ports, out)
    except DrillError as exc:
        raise CommandError(str(exc)) from None
    if args.no_tui and args.json:
        print_json(setup_json(drill))
        return EXIT_OK
    _brief(drill, sys.stderr if args.json else sys.stdout)
    if args.no_tui:
        print(f"drill state dir: {drill.state_dir}")
        print(f"act with:        {drill.cli_prefix()} COMMAND ...")
        print(f"score it with:   relui drill --score {drill.state_dir}")
        return EXIT_OK
    from relui.drill_app import run_drill_tui

    return _finish(ctx, run_drill_tui(drill), args.json)


def _brief(drill: DrillRun, out: TextIO) -> None:
    where = f"{drill.env.upper()} (a throw-away sandbox; nothing real is touched)"
    print(f"DRILL {drill.scenario.name} on {where}", file=out)
    print(f"  {drill.briefing}", file=out)


def setup_json(drill: DrillRun) -> dict[str, Any]:
    """The documented JSON shape of ``relui drill NAME --no-tui --json``: where to act, and how to score."""
    return {
        "drill": drill.scenario.name,
        "env": drill.env,
        "briefing": drill.briefing,
        "state_dir": str(drill.state_dir),
        "act_with": drill.cli_prefix(),
        "score_with": f"relui drill --score {drill.state_dir}",
    }


def _finish(ctx: Context, result: drill_score.DrillScore, as_json: bool) -> int:
    """Print the score and record it in the operator's own state dir (not in read-only mode: it counts for training)."""
    path = None if ctx.read_only else drill_score.record(ctx.state_dir, result, ctx.clock.now())
    if as_json:
        print_json({**result.to_json(), "recorded_in": str(path) if path else None})
    else:
        print("\n".join(result.lines()))
        print(
            f"recorded in {path}"
            if path
            else "not recorded: read-only mode (the readiness review counts only recorded drills)"
        )
    return EXIT_OK if result.passed else EXIT_FAILED
