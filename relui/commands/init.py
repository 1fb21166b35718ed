"""``relui init [DIR] [--kubernetes]``: write a starter ``DIR/config.toml``.

The default is the sandbox sample relui ships (DEV, QA and PROD simulated, so
the TUI runs at once); ``--kubernetes`` writes one Kubernetes environment with
every key it needs and comments for the optional ones. An existing file is
never overwritten. Needs no config and no state dir: it is how one starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from relui.bundled import bundled
from relui.commands.base import EXIT_FAILED, EXIT_OK, CommandError, Subparsers, add_command, yes_option

KUBERNETES_SKELETON = """\
# relui configuration: one Kubernetes environment. Change the values to yours,
# then run `relui doctor` to check that every source answers.
# Every key is described in docs/configuration.md.

[roles]
# user name = roles; the operator is $RELUI_USER, else $SUDO_USER, else $USER.
alice = ["devops"]
bob = ["product_owner"]

[calendar]
timezone = "UTC"

# No windows means always open; with windows, a cutover outside them needs --hotfix.
[[calendar.windows]]
days = ["mon", "tue", "wed", "thu"]
start = "09:00"
end = "16:00"

[[environments]]
name = "prod"
kind = "kubernetes"
# Protected: typed confirmation, a product owner's sign-off, snapshot and credential guards.
protected = true
namespace = "shop"
release = "shop"
# kube_context = "prod-cluster"   # default: the current context of $KUBECONFIG (or ~/.kube/config)
# chart = "charts/bluegreen"      # default: the blue/green chart shipped with relui
# The preview Service of each color, for smoke checks.
preview_url = "http://{release}-{color}.{namespace}.svc:8080"
deploy_timeout_seconds = 300

[[environments.smoke]]
name = "health"
path = "/healthz"

# Who acts, verified by the cluster itself (docs/identity.md); a protected environment refuses anyone unverified:
# [environments.identity]
# kind = "kubernetes"
# api_server = "https://ABC.gr7.eu-central-1.eks.amazonaws.com"   # the server kube_context points at
# certificate_authority = "prod-ca.pem"                          # the cluster's CA, beside this file

# Error rates per color, for the threshold guard and the sparklines:
# [environments.prometheus]
# url = "http://prometheus.monitoring.svc:9090"
# error_rate = 'sum by (color) (rate(http_requests_total{namespace="{namespace}",code=~"5.."}[5m]))
#   / sum by (color) (rate(http_requests_total{namespace="{namespace}"}[5m]))'   (on one line)

# Images in ECR and RDS snapshots:
# [environments.aws]
# region = "eu-central-1"
# ecr_repository = "shop"
# rds_instance = "shop-prod"
"""


def register(sub: Subparsers) -> None:
    """Add the ``init`` subcommand."""
    p = add_command(sub, "init", "write a starter config.toml (the sandbox sample, or --kubernetes)")
    p.add_argument("dir", nargs="?", default=".", help="where to write config.toml (default: here)")
    p.add_argument("--kubernetes", action="store_true", help="a Kubernetes environment skeleton instead of the sandbox")
    yes_option(p, "init never asks and never overwrites a config")
    p.set_defaults(run=run, needs_context=False)


def run(args: argparse.Namespace, ctx: object) -> int:
    """Write the starter config; refuse to replace an existing one."""
    target = Path(args.dir) / "config.toml"
    if target.exists():
        raise CommandError(f"{target} exists already; relui init never overwrites a config (move it away first)")
    text = KUBERNETES_SKELETON if args.kubernetes else sandbox_sample()
    if target.parent.exists() and not target.parent.is_dir():
        raise CommandError(f"{target.parent} is not a directory; relui init DIR writes DIR/config.toml")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise CommandError(f"{target} exists already; relui init never overwrites a config") from None
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror}", EXIT_FAILED) from None
    config_flag = "" if Path(args.dir).resolve() == Path.cwd().resolve() else f" --config {target}"
    next_step = f"relui{config_flag} doctor" if args.kubernetes else f"relui{config_flag}"
    print(f"wrote {target}; next: {next_step}")
    return EXIT_OK


def sandbox_sample() -> str:
    """The shipped sandbox config: DEV, QA and PROD simulated."""
    sample = bundled("sample")
    if sample is None:
        raise CommandError(
            "this relui install lacks its sample config (relui/data/sample); reinstall relui", EXIT_FAILED
        )
    return sample.read_text(encoding="utf-8")
