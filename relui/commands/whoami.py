"""``relui whoami [ENV] [--json]``: who relui takes you for on each environment, and why.

For each environment (or the one named): the principal its identity source
proved (an STS ARN, a Kubernetes username) or the local name it was told,
how that was verified, the relui user and roles that maps to, and whether a
protected environment would refuse it. Exit 0; 3 when the named environment
refuses the identity.
"""

from __future__ import annotations

import argparse
from typing import Any

from relui.commands.base import EXIT_BLOCKED, EXIT_OK, Subparsers, add_command, json_option, print_json
from relui.services.context import Context


def register(sub: Subparsers) -> None:
    """Add ``whoami``."""
    p = add_command(sub, "whoami", "who relui takes you for on each environment, how that was verified, your roles")
    p.add_argument("env", nargs="?", help="one environment (default: every one)")
    json_option(p, "the identities")
    p.set_defaults(run=run)


def whoami_json(ctx: Context, names: list[str]) -> dict[str, Any]:
    """The documented JSON shape: the relui user, and per environment who and how."""
    envs = []
    for name in names:
        who, cfg = ctx.principal(name), ctx.env(name)
        envs.append(
            {
                "env": name,
                "protected": cfg.protected,
                "identity": cfg.identity.kind,
                "principal": who.principal,
                "user": who.user,
                "groups": list(who.groups),
                "verified": who.verified,
                "how": who.how,
                "roles": list(ctx.roles_on(name)),
                "refused": ctx.identity_refusal(name),
            }
        )
    return {"operator": ctx.operator, "environments": envs}


def render(doc: dict[str, Any]) -> str:
    """One block per environment."""
    lines = [f"relui takes you for {doc['operator']}"]
    for e in doc["environments"]:
        state = "verified" if e["verified"] else "UNVERIFIED"
        lines.append(f"\n{e['env'].upper()} ({'protected, ' if e['protected'] else ''}identity {e['identity']}):")
        lines.append(f"  principal  {e['principal']}")
        lines.append(f"  user       {e['user']}  ({state}: {e['how']})")
        if e["groups"]:
            lines.append(f"  groups     {', '.join(e['groups'])}")
        lines.append(f"  roles      {', '.join(e['roles']) or 'none'}")
        if e["refused"]:
            lines.append(f"  refused    {e['refused']}")
    return "\n".join(lines)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print who relui takes the caller for."""
    names = [ctx.env(args.env).name] if args.env else [e.name for e in ctx.config.environments]
    doc = whoami_json(ctx, names)
    if args.json:
        print_json(doc)
    else:
        print(render(doc))
    refused = args.env and doc["environments"][0]["refused"]
    return EXIT_BLOCKED if refused else EXIT_OK
