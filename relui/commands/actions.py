"""``relui deploy|smoke|cutover|rollback``: the guarded actions, headless.

Progress goes to stderr as it happens; the outcome goes to stdout (or one
JSON object with --json). Exit 0 ok, 1 failed, 2 usage, 3 blocked.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from relui.commands.base import (
    EXIT_BLOCKED,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Subparsers,
    add_command,
    print_json,
)
from relui.domain import GuardResult, Verdict
from relui.services.context import Context
from relui.services.guards import UNFORCEABLE, blocking
from relui.services.release import ActionResult, Confirm, Plan, Progress, ReleaseService


def register(sub: Subparsers) -> None:
    """Add deploy, smoke, cutover and rollback."""
    p = add_command(sub, "deploy", "put VERSION on the idle color, wait for its pods, run smoke (traffic stays)")
    p.add_argument("env")
    p.add_argument("version")
    _acting_options(p)
    p.set_defaults(run=run_deploy)

    p = add_command(sub, "smoke", "run the smoke checks against the candidate color")
    p.add_argument("env")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run_smoke)

    p = add_command(sub, "cutover", "move live traffic to the candidate color; the previous color stays warm")
    p.add_argument("env")
    _acting_options(p)
    p.add_argument("--hotfix", metavar="REASON", help="release outside the window, saying why")
    p.set_defaults(run=run_cutover)

    p = add_command(sub, "rollback", "switch live traffic back to the warm color, or to a helm revision")
    p.add_argument("env")
    p.add_argument(
        "--to-revision", type=int, metavar="N", help="helm rollback to revision N instead of switching colors"
    )
    _acting_options(p)
    p.set_defaults(run=run_rollback)


def _acting_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (pipelines)")
    p.add_argument("--reason", default="", metavar="TEXT", help="why; goes into the journal and the helm description")
    p.add_argument(
        "--force", action="store_true", help="override blocking guards (needs --reason; journaled as forced)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _progress(progress: Progress) -> None:
    print(f"  [{progress.step}] {progress.message}", file=sys.stderr, flush=True)


def _confirm(ctx: Context, env_name: str, plan: Plan, guards: list[GuardResult], yes: bool) -> None:
    """Show what will change; on a protected environment, make the operator type its name."""
    env = ctx.env(env_name)
    print(f"{plan.action} on {env.title}:", file=sys.stderr)
    for line in plan.changes:
        print(f"  {line}", file=sys.stderr)
    for guard in guards:
        if guard.verdict is not Verdict.PASS:
            print(f"  {guard.verdict.upper():<5} {guard.name}: {guard.reason}", file=sys.stderr)
    if yes or not env.protected:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"{env.name} is protected: type its name at a terminal to confirm, or pass --yes")
    typed = input(f"{env.name} is protected. Type '{env.name}' to confirm: ").strip()
    if typed != env.name:
        raise CommandError(f"confirmation did not match {env.name!r}; nothing was changed")


def _report(result: ActionResult, as_json: bool) -> int:
    if as_json:
        print_json(result_json(result))
    elif result.status == "blocked":
        print(f"relui: {result.message}", file=sys.stderr)
        for guard in blocking(list(result.guards)):
            print(f"  BLOCK {guard.name}: {guard.reason}", file=sys.stderr)
        if any(g.name not in UNFORCEABLE for g in blocking(list(result.guards))):
            print('  to override: --force --reason "why" (journaled as forced)', file=sys.stderr)
    elif result.status == "failed":
        print(f"relui: {result.action} on {result.env} failed: {result.message}", file=sys.stderr)
    else:
        forced = " (FORCED)" if result.status == "forced" else ""
        print(f"{result.message}{forced}")
    return {"ok": EXIT_OK, "forced": EXIT_OK, "failed": EXIT_FAILED, "blocked": EXIT_BLOCKED}[result.status]


def result_json(result: ActionResult) -> dict[str, Any]:
    """The result object printed by --json."""
    plan = result.plan
    return {
        "action": result.action,
        "env": result.env,
        "status": result.status,
        "ok": result.ok,
        "message": result.message,
        "plan": {
            "from_color": str(plan.from_color) if plan.from_color else None,
            "to_color": str(plan.to_color) if plan.to_color else None,
            "version": plan.version,
            "revision": plan.revision,
            "changes": list(plan.changes),
        }
        if plan
        else None,
        "guards": [{"name": g.name, "verdict": str(g.verdict), "reason": g.reason} for g in result.guards],
        "smoke": [{"name": s.name, "passed": s.passed, "detail": s.detail} for s in result.smoke],
    }


def _confirmer(ctx: Context, args: argparse.Namespace) -> Confirm:
    """The confirmation the service asks just before acting, on the facts it will act on."""
    return lambda plan, guards: _confirm(ctx, args.env, plan, guards, args.yes)


def run_deploy(args: argparse.Namespace, ctx: Context) -> int:
    """relui deploy ENV VERSION."""
    result = ReleaseService(ctx).deploy(
        args.env,
        args.version,
        reason=args.reason,
        force=args.force,
        on_progress=_progress,
        confirm=_confirmer(ctx, args),
    )
    return _report(result, args.json)


def run_smoke(args: argparse.Namespace, ctx: Context) -> int:
    """relui smoke ENV."""
    result = ReleaseService(ctx).smoke(args.env, on_progress=_progress)
    return _report(result, args.json)


def run_cutover(args: argparse.Namespace, ctx: Context) -> int:
    """relui cutover ENV."""
    result = ReleaseService(ctx).cutover(
        args.env,
        reason=args.reason,
        force=args.force,
        hotfix_reason=args.hotfix,
        on_progress=_progress,
        confirm=_confirmer(ctx, args),
    )
    return _report(result, args.json)


def run_rollback(args: argparse.Namespace, ctx: Context) -> int:
    """relui rollback ENV [--to-revision N]."""
    result = ReleaseService(ctx).rollback(
        args.env,
        to_revision=args.to_revision,
        reason=args.reason,
        force=args.force,
        on_progress=_progress,
        confirm=_confirmer(ctx, args),
    )
    return _report(result, args.json)
