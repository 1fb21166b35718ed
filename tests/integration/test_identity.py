"""Verified identity against real servers: moto STS on loopback, and an API server answering SelfSubjectReview.

- two roles assumed under different session names are two verified principals;
  with ``RELUI_USER=owner`` typed by the operator, PROD still sees the operator
  and refuses the product-owner sign-off;
- the ``kubernetes`` kind maps the authenticated username and groups;
- the pipeline's GitHub approval counts only when recorded by its OIDC role.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relui.adapters.identity_local import os_login
from relui.config import AwsConfig, load_config
from relui.domain import Verdict
from relui.identity import operator_of, resolve_identity, resolve_principals
from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.problems import Problem
from relui.services.release import ReleaseService
from tests.conftest import ROOT, drill_config
from tests.integration.kube_identity import SELF_SUBJECT_REVIEWS, KubeAuth, kube_auth  # noqa: F401 - the fixture
from tests.integration.moto_fixtures import admin_client, aws_world, start_moto, use_keys  # noqa: F401
from tests.unit.test_signing import edit_signoff

ACCOUNT = "123456789012"
PIPELINE = "arn:aws:iam::*:role/relui-pipeline*"
MAPPING = f"""
[identity]
pipeline_role = "{PIPELINE}"

[[identity.users]]
name = "ops"
arn = "arn:aws:sts::{ACCOUNT}:assumed-role/relui-ops/*"
roles = ["devops"]

[[identity.users]]
name = "owner"
arn = "arn:aws:sts::{ACCOUNT}:assumed-role/relui-owner/*"
roles = ["product_owner"]

[[identity.users]]
name = "alice"
kube_group = "release-managers"
roles = ["devops"]
"""


def config_with(tmp_path: Path, identity: str, aws: AwsConfig | None = None, api_server: str = "") -> Path:
    """The shipped sandbox whose PROD asks ``identity`` who acts (and refuses an unverified caller).

    A ``kubernetes`` identity asks ``api_server``, the server the config pins.
    """
    path = drill_config(tmp_path, always_open=True)
    table = f'[environments.identity]\nkind = "{identity}"'
    if identity == "kubernetes":
        table += f'\napi_server = "{api_server}"'
    if aws is not None:
        table = f'[environments.aws]\nregion = "{aws.region}"\nendpoint_url = "{aws.endpoint_url}"\n\n' + table
    text = path.read_text().replace('[environments.identity]\nkind = "local"\nallow_unverified = true', table)
    if identity == "kubernetes":
        text = text.replace('namespace = "shop-prod"', 'namespace = "shop-prod"\nkube_context = "alice-ctx"')
    path.write_text(text + MAPPING)
    return path


def assume(aws: AwsConfig, monkeypatch: pytest.MonkeyPatch, role: str, session: str) -> None:
    """Become ``role`` under ``session`` with temporary keys, as `aws sts assume-role` would."""
    creds = admin_client(aws, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName=session
    )["Credentials"]
    use_keys(monkeypatch, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def test_two_assumed_roles_are_two_verified_principals(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(config_with(tmp_path, "aws", aws))
    assume(aws, monkeypatch, "relui-ops", "alice")
    ops = resolve_identity(config, config.env("prod"))
    assume(aws, monkeypatch, "relui-owner", "bob")
    owner = resolve_identity(config, config.env("prod"))
    assert ops.principal == f"arn:aws:sts::{ACCOUNT}:assumed-role/relui-ops/alice"
    assert owner.principal == f"arn:aws:sts::{ACCOUNT}:assumed-role/relui-owner/bob"
    assert (ops.user, ops.roles, ops.verified) == ("ops", ("devops",), True)
    assert (owner.user, owner.roles, owner.verified) == ("owner", ("product_owner",), True)
    assert "aws sts GetCallerIdentity" in ops.how


def test_relui_user_cannot_make_the_operator_the_product_owner(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_with(tmp_path, "aws", aws)
    assume(aws, monkeypatch, "relui-ops", "alice")
    env = {**os.environ, "RELUI_USER": "owner", "RELUI_CONFIG": str(path), "RELUI_STATE_DIR": str(tmp_path / "s")}
    run = [sys.executable, "-m", "relui"]
    who = subprocess.run([*run, "whoami", "prod"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert who.returncode == 0, who.stderr
    assert "relui takes you for ops" in who.stdout and "assumed-role/relui-ops/alice" in who.stdout
    signed = subprocess.run(
        [*run, "signoff", "prod", "--role", "product_owner"], env=env, capture_output=True, text=True, cwd=ROOT,
        timeout=120,
    )  # fmt: skip
    # A role not held is a refusal (3), like every other permission refusal.
    assert signed.returncode == 3 and "ops does not hold role 'product_owner'" in signed.stderr


def test_a_protected_environment_refuses_an_identity_sts_cannot_verify(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_with(tmp_path, "aws", AwsConfig(region=aws.region, endpoint_url="http://127.0.0.1:9"))
    env = {**os.environ, "RELUI_USER": "owner", "RELUI_CONFIG": str(path), "RELUI_STATE_DIR": str(tmp_path / "s")}
    signed = subprocess.run(
        [sys.executable, "-m", "relui", "signoff", "prod", "--role", "product_owner"],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert signed.returncode == 3
    # STS could not be asked: the one named is the OS login, never the claimed $RELUI_USER.
    login = os_login()
    assert f"prod is protected and {login} is not verified (aws identity not verified:" in signed.stderr
    assert f"the roles of the OS login {login} count" in signed.stderr


async def test_kubernetes_identity_is_the_username_the_api_server_authenticated(
    kube_auth: KubeAuth,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = load_config(config_with(tmp_path, "kubernetes", api_server=kube_auth.url))
    prod = config.env("prod")
    found = await asyncio.to_thread(resolve_identity, config, prod, kubeconfig=str(kube_auth.kubeconfig))
    assert (found.principal, found.user, found.verified) == ("alice@example.com", "alice", True)
    assert "release-managers" in found.groups and found.roles == ("devops",)
    assert found.how == "kubernetes SelfSubjectReview (alice-ctx)"
    [review] = list(kube_auth.scaffold["post", SELF_SUBJECT_REVIEWS])
    assert review.headers["Authorization"] == "Bearer t0ken-of-alice"


def context_as(config_path: Path, state: Path) -> Context:
    """A Context built as the CLI builds one, for whoever the environment's credentials are now."""
    from relui.backends import build_ports
    from relui.clock import ManualClock
    from tests.conftest import IN_WINDOW

    config = load_config(config_path)
    principals = resolve_principals(config, ["prod"])
    ports = build_ports(config, state, ManualClock(IN_WINDOW))
    return Context(config, state, ports, operator_of(principals, "nobody"), principals=principals)


def test_the_github_approval_counts_only_from_the_pipeline_role(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, state = config_with(tmp_path, "aws", aws), tmp_path / "state"
    assume(aws, monkeypatch, "relui-ops", "alice")
    ops = context_as(path, state)
    assert ReleaseService(ops).deploy("prod", "1.6.0").ok

    assume(aws, monkeypatch, "relui-pipeline", "GitHubActions")
    pipeline = context_as(path, state)
    # The run was approved for 1.5.1, but 1.6.0 is in play: the approval is not moved onto it.
    with pytest.raises(ChecklistError, match=r"release in play is 1\.6\.0 now, not 1\.5\.1") as stale:
        Checklists(pipeline).record_github_approval(
            "prod", "https://github.com/acme/shop/actions/runs/41", "carol", expect="1.5.1"
        )
    assert stale.value.problem is Problem.REFUSED
    Checklists(pipeline).record_github_approval(
        "prod", "https://github.com/acme/shop/actions/runs/42", "carol", expect="1.6.0"
    )
    guard = next(g for g in ReleaseService(pipeline).check("cutover", "prod") if g.name == "signoff")
    assert guard.verdict is Verdict.PASS and "GitHub approval by carol" in guard.reason
    # In a local state dir it is not SSH-signed and anyone who writes the directory could have written it:
    # it counts for the pipeline that recorded it (the runner's cutover), for nobody else.
    guard = next(g for g in ReleaseService(ops).check("cutover", "prod") if g.name == "signoff")
    assert guard.verdict is Verdict.BLOCK and "counts only for the pipeline that recorded it" in guard.reason
    ops = pipeline  # the cutover's check below is the pipeline's, as in the workflow

    # Any other principal is refused: it would have replaced the approval that counts with one that does not.
    assume(aws, monkeypatch, "relui-ops", "alice")
    again = context_as(path, state)
    with pytest.raises(ChecklistError, match="relui-ops/alice, not the pipeline's OIDC role") as refused:
        Checklists(again).record_github_approval("prod", "https://github.com/acme/shop/actions/runs/42", "mallory")
    assert refused.value.problem is Problem.REFUSED
    guard = next(g for g in ReleaseService(ops).check("cutover", "prod") if g.name == "signoff")
    assert guard.verdict is Verdict.PASS and "GitHub approval by carol" in guard.reason
    # A record written behind relui's back (the store, not relui) does not count either.
    edit_signoff(ops, "1.6.0", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/relui-ops/alice")
    guard = next(g for g in ReleaseService(ops).check("cutover", "prod") if g.name == "signoff")
    assert guard.verdict is Verdict.BLOCK and "not the pipeline's OIDC role" in guard.reason


def test_another_principal_cannot_release_the_lock(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, state = config_with(tmp_path, "aws", aws), tmp_path / "state"
    assume(aws, monkeypatch, "relui-ops", "alice")
    alice = context_as(path, state)
    info = ReleaseService(alice).take_lock("prod")
    assert info.holder.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/relui-ops/alice@")
    assume(aws, monkeypatch, "relui-ops", "mallory")
    mallory = context_as(path, state)
    with pytest.raises(Exception, match=r"lock is held by arn:aws:sts::.*relui-ops/alice"):
        ReleaseService(mallory).release_lock("prod")
    taken = ReleaseService(mallory).release_lock("prod", force=True, reason="alice is off sick")
    assert "took over the lock" in taken and "relui-ops/mallory@" in taken


def test_sign_off_from_an_unverified_caller_is_refused_by_the_service(
    aws: AwsConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_with(tmp_path, "aws", AwsConfig(region=aws.region, endpoint_url="http://127.0.0.1:9"))
    monkeypatch.setenv("RELUI_USER", "owner")
    ctx = context_as(path, tmp_path / "state")
    with pytest.raises(ChecklistError, match=f"prod is protected and {os_login()} is not verified"):
        Checklists(ctx).sign_off("prod", "product_owner")
