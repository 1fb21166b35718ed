"""``relui deploy|smoke|cutover|rollback|install``: the guarded actions, headless.

Each command builds one Request and hands it to ``ReleaseService.run`` with
the CLI's decide: the plan and guards on stderr, then ``--yes``, the typed
environment name (protected) or y/N (unprotected) at a terminal. With no
terminal and no ``--yes`` nothing is changed. Progress goes to stderr; the
outcome to stdout (or one JSON object with --json).
Exit 0 ok, 1 failed or aborted, 2 usage, 3 refused (blocked or not confirmed).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from relui.commands.base import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Subparsers, add_command, print_json
from relui.domain import GuardResult, Verdict
from relui.remedy_commands import guard_text, remedy_command, remedy_json
from relui.services.actions import Action, action_for, spec
from relui.services.bake_watch import BakeWatch
from relui.services.context import Context
from relui.services.guards import blocking, unforceable
from relui.services.release import ActionResult, Decide, Decision, Plan, Progress, ReleaseService, Request

EXIT_OF = {"ok": EXIT_OK, "forced": EXIT_OK, "failed": EXIT_FAILED, "aborted": EXIT_FAILED, "invalid": EXIT_USAGE}
JSON_SCHEMA_VERSION = 1


def register(sub: Subparsers) -> None:
    """Add deploy, smoke, cutover, rollback and install."""
    p = add_command(sub, "deploy", "put VERSION on the idle color, wait for its pods, run smoke (traffic stays)")
    p.add_argument("env")
    p.add_argument("version")
    _acting_options(p)
    p.set_defaults(run=run_action, verb="deploy")

    p = add_command(sub, "smoke", "run the smoke checks against the candidate color")
    p.add_argument("env")
    p.add_argument("--yes", action="store_true", help="accepted for pipelines; smoke changes nothing live")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run_action, verb="smoke", force=False, reason="")

    p = add_command(sub, "cutover", "move live traffic to the candidate color; the previous color stays warm")
    p.add_argument("env")
    _acting_options(p)
    p.add_argument("--hotfix", metavar="REASON", help="release outside the window, saying why")
    p.add_argument(
        "--watch", action="store_true", help="stay through the bake period: exit 0 when it passes, 1 on a breach"
    )
    p.set_defaults(run=run_action, verb="cutover")

    p = add_command(sub, "rollback", "switch live traffic back to the warm previous color, or to a revision")
    p.add_argument("env")
    p.add_argument("--to-revision", type=int, metavar="N", help="restore the version revision N served")
    _acting_options(p)
    p.set_defaults(run=run_action, verb="rollback")

    p = add_command(sub, "install", "start the release of ENV: blue runs VERSION and is live")
    p.add_argument("env")
    p.add_argument("version")
    _acting_options(p)
    p.set_defaults(run=run_action, verb="install")


def _acting_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (pipelines)")
    p.add_argument("--reason", default="", metavar="TEXT", help="why; goes into the journal and the helm description")
    p.add_argument(
        "--force",
        action="store_true",
        help="override process guards (needs --reason; on protected environments a break-glass approval)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _progress(progress: Progress) -> None:
    print(f"  [{progress.step}] {progress.message}", file=sys.stderr, flush=True)


def cli_decide(ctx: Context, args: argparse.Namespace) -> Decide:
    """The CLI's decide: show the plan and guards, then --yes, the typed name, or y/N at a terminal."""

    def decide(plan: Plan, guards: tuple[GuardResult, ...]) -> Decision:
        env = ctx.env(args.env)
        go = Decision(True, bool(args.force), args.reason, getattr(args, "hotfix", None))
        if unforceable(guards, env) or (blocking(guards) and not args.force):
            return go  # refused by the service whatever is answered; the report lists why
        print(f"{plan.action} on {env.title}:", file=sys.stderr)
        for line in plan.changes:
            print(f"  {line}", file=sys.stderr)
        for guard in guards:
            if guard.verdict is not Verdict.PASS:
                print(f"  {guard.verdict.upper():<5} {guard.name}: {guard_text(guard)}", file=sys.stderr)
        if args.yes or plan.kind is Action.SMOKE:
            return go
        if not sys.stdin.isatty():
            return Decision(False, note=f"{env.name}: confirm at a terminal or pass --yes; nothing was changed")
        if env.protected:
            typed = ask(f"{env.name} is protected. Type '{env.name}' to confirm: ")
            if typed != env.name:
                return Decision(False, note=f"confirmation did not match {env.name!r}; nothing was changed")
            return go
        answer = ask(f"{plan.action} on {env.name}? [y/N] ").lower()
        return go if answer in ("y", "yes") else Decision(False, note="not confirmed; nothing was changed")

    return decide


def ask(prompt: str) -> str:
    """One answer from the terminal; the prompt on stderr, so stdout stays the report (``--json``).

    End of input (Ctrl-D) is no answer: not confirmed, like any other.
    """
    print(prompt, end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip() if sys.stdin.readable() else ""
    except (EOFError, OSError, UnicodeDecodeError):
        return ""


def run_action(args: argparse.Namespace, ctx: Context) -> int:
    """relui deploy|smoke|cutover|rollback|install: one Request through ReleaseService.run."""
    action = action_for(args.verb, getattr(args, "to_revision", None))
    request = Request(
        action,
        args.env,
        version=getattr(args, "version", None),
        to_revision=getattr(args, "to_revision", None),
        reason=args.reason,
        hotfix_reason=getattr(args, "hotfix", None),
    )
    service = ReleaseService(ctx)
    result = service.run(request, cli_decide(ctx, args), _progress)
    watching = action is Action.CUTOVER and getattr(args, "watch", False) and result.ok
    if args.json:
        # One document even with --watch: the bake's verdict is part of it, printed once the bake ends.
        document = result_json(result)
        code = EXIT_OF.get(result.status, EXIT_BLOCKED)
        if watching:
            verdict = BakeWatch(service, args.env).watch(_progress)
            document["bake"] = {
                "passed": verdict.passed,
                "message": verdict.message,
                "rollback": result_json(verdict.rollback) if verdict.rollback else None,
            }
            code = EXIT_OK if verdict.passed else EXIT_FAILED
        print_json(document)
        if not result.ok:
            said = f"{result.action} on {result.env}"
            line = result.message if result.message.startswith(said) else f"{said} {result.status}: {result.message}"
            print(f"relui: {line}", file=sys.stderr)
        return code
    code = _report(ctx, result)
    if watching:
        verdict = BakeWatch(service, args.env).watch(_progress)
        print(verdict.message, file=sys.stdout if verdict.passed else sys.stderr)
        return EXIT_OK if verdict.passed else EXIT_FAILED
    return code


def _report(ctx: Context, result: ActionResult) -> int:
    if result.status == "invalid":
        print(f"relui: {result.message}", file=sys.stderr)
    elif result.status in ("blocked", "cancelled"):
        print(f"relui: {result.message}", file=sys.stderr)
        for guard in blocking(list(result.guards)):
            print(f"  BLOCK {guard.name}: {guard_text(guard)}", file=sys.stderr)
        env = ctx.config.env(result.env)
        if result.status == "blocked" and blocking(list(result.guards)) and not unforceable(result.guards, env):
            hint = "--force --reason TEXT"
            asked = next((g.remedy for g in result.guards if g.name == "break-glass" and g.remedy), None)
            if env.protected and asked is not None:
                hint += f", after a second person's: {remedy_command(asked)}"
            print(f"  to override: {hint} (journaled as forced)", file=sys.stderr)
    elif result.status in ("failed", "aborted"):
        print(f"relui: {result.action} on {result.env} {result.status}: {result.message}", file=sys.stderr)
    else:
        forced = " (FORCED)" if result.status == "forced" else ""
        print(f"{result.message}{forced}")
    return EXIT_OF.get(result.status, EXIT_BLOCKED)


def result_json(result: ActionResult) -> dict[str, Any]:
    """The result object printed by --json (schema_version 1)."""
    plan = result.plan
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "action": result.action,
        "kind": str(result.kind),
        "title": spec(result.kind).title,
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
        "guards": [guard_json(g) for g in result.guards],
        "smoke": [{"name": s.name, "passed": s.passed, "detail": s.detail} for s in result.smoke],
    }


def guard_json(guard: GuardResult) -> dict[str, Any]:
    """One guard of ``--json``: the reason as the CLI prints it, and the remedy as data (or null)."""
    return {
        "name": guard.name,
        "verdict": str(guard.verdict),
        "reason": guard_text(guard),
        "remedy": remedy_json(guard.remedy),
    }
