"""``relui doctor [ENV] [--json]``: can relui reach every source each environment names?

For each environment it asks every configured source, through the adapter's
own ``diagnose(env)``: the kube context and the RBAC verbs relui uses, the
helm binary, Docker Compose, Prometheus and AWS, and an S3 records store
(does it answer, is Object Lock on). Each check is one line
(source, ok/FAIL, detail, fix). Exit 0 when all are ok, 1 otherwise. Adapters
are imported only for the sources an environment configures, and a check that
cannot even be imported or crashes is reported as a failed line, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import asdict
from typing import Any

from relui.commands.base import EXIT_FAILED, EXIT_OK, Subparsers, add_command, json_option, print_json
from relui.config import EnvironmentConfig
from relui.domain import Finding
from relui.ports import PortError
from relui.services.context import Context


def register(sub: Subparsers) -> None:
    """Add the ``doctor`` subcommand."""
    p = add_command(sub, "doctor", "check that every configured source (cluster, helm, metrics, AWS) answers")
    p.add_argument("env", nargs="?", help="one environment (default: all, in config order)")
    json_option(p, "the findings")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Check each environment's sources and print one line per check."""
    envs = [ctx.env(args.env)] if args.env else list(ctx.config.environments)
    report = [(env, sandbox_findings(ctx, env) + diagnose_env(env) + records_findings(ctx, env)) for env in envs]
    healthy = all(f.ok for _, findings in report for f in findings)
    if args.json:
        print_json({"ok": healthy, "environments": [env_json(env, findings) for env, findings in report]})
    else:
        print("\n\n".join(render(env, findings) for env, findings in report))
        print()
        print(summary(report))
    return EXIT_OK if healthy else EXIT_FAILED


def diagnose_env(env: EnvironmentConfig) -> list[Finding]:
    """Every check for one environment, in the order an operator fixes them."""
    findings: list[Finding] = []
    if env.kind == "kubernetes":
        findings += _checked("kubernetes", "relui.adapters.kubernetes", env)
        findings += _checked("helm", "relui.adapters.helm", env)
    elif env.kind == "compose":
        findings += _checked("docker compose", "relui.adapters.compose", env)
    if env.prometheus is not None:
        findings += _checked("prometheus", "relui.adapters.prometheus", env)
    if env.aws is not None:
        findings += _checked("aws", "relui.adapters.aws", env)
    return findings


def sandbox_findings(ctx: Context, env: EnvironmentConfig) -> list[Finding]:
    """A sandbox environment's simulated world: it must be readable, as status reads it."""
    if env.kind != "sandbox":
        return []
    try:
        ctx.env_ports(env.name).cluster.color_states()
    except PortError as exc:
        return [Finding("sandbox", False, str(exc))]  # the message says what to do
    return [Finding("sandbox", True, "sandbox: simulated")]


def records_findings(ctx: Context, env: EnvironmentConfig) -> list[Finding]:
    """Where the environment's records live, whether that store answers, and whether Object Lock keeps them."""
    if env.records is None:
        return []
    store = ctx.env_ports(env.name).records
    if store is None:
        return [
            Finding("records", False, f"no records store built for {env.records.url}", "report this as a relui bug")
        ]
    fix = f"check the bucket {env.records.bucket} exists and relui may list, read and write it (docs/team-records.md)"
    try:
        found = [Finding("records", True, store.probe())]
    except PortError as exc:
        return [Finding("records", False, str(exc), fix)]
    object_lock = getattr(store, "object_lock", None)
    if callable(object_lock):
        try:
            line = str(object_lock())
        except PortError as exc:
            return [*found, Finding("object lock", False, str(exc), "allow s3:GetBucketObjectLockConfiguration")]
        locked = line.startswith("Object Lock is on")
        advice = "create the records bucket with Object Lock and set retain_days"
        found.append(Finding("object lock", locked or not env.records.retain_days, line, advice))
    return found


def _checked(source: str, module: str, env: EnvironmentConfig) -> list[Finding]:
    """Run ``module.diagnose(env)``; a missing or crashing check is a failed finding."""
    try:
        diagnose = importlib.import_module(module).diagnose
    except (ImportError, AttributeError) as exc:
        # Another adapter may not be installed or written yet: say so, keep checking the rest.
        return [Finding(source, False, f"cannot check: {module}.diagnose unavailable ({exc})", "update relui")]
    try:
        found: list[Finding] = diagnose(env)
    except PortError as exc:
        detail, _, fix = str(exc).partition("; ")
        return [Finding(source, False, detail, fix)]
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
        return [Finding(source, False, f"check crashed: {type(exc).__name__}: {exc}", "report this as a relui bug")]
    return found


def env_json(env: EnvironmentConfig, findings: list[Finding]) -> dict[str, Any]:
    """The documented JSON shape of one environment's findings."""
    return {
        "name": env.name,
        "kind": env.kind,
        "ok": all(f.ok for f in findings),
        "findings": [asdict(f) for f in findings],
    }


def render(env: EnvironmentConfig, findings: list[Finding]) -> str:
    """One environment as a small table: source, status, detail, and the fix of a failure."""
    width = max([len("source"), *(len(f.source) for f in findings)])
    lines = [f"{env.title} ({env.kind})", f"  {'source':<{width}}  {'status':<6}  detail"]
    for f in findings:
        status = "ok" if f.ok else "FAIL"
        fix = f"  fix: {f.fix}" if f.fix and not f.ok else ""
        lines.append(f"  {f.source:<{width}}  {status:<6}  {f.detail}{fix}")
    if not findings:
        lines.append(f"  {'-':<{width}}  {'ok':<6}  nothing configured to check")
    return "\n".join(lines)


def summary(report: list[tuple[EnvironmentConfig, list[Finding]]]) -> str:
    """The last line: all good, or how many checks failed where."""
    failed = [(env.name, f) for env, findings in report for f in findings if not f.ok]
    total = sum(len(findings) for _, findings in report)
    if not failed:
        return f"doctor: all {total} checks ok"
    where = ", ".join(sorted({name for name, _ in failed}))
    return f"doctor: {len(failed)} of {total} checks failed ({where})"
