"""An insider who wants to ship PROD alone: each way found of approving one's own release, refused.

PROD is verified through kubernetes and sign-offs and approvals are SSH-signed
(keys made here with ``ssh-keygen``), as in test_signing.py. ``lead`` holds
devops and product_owner, so only the deployer rule keeps them from signing off
what they deployed; ``bob`` is a second devops operator.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from relui.adapters.aws_session import _CLIENT_CONFIG, aws_session
from relui.adapters.identity_aws import AwsIdentity
from relui.adapters.records_s3 import S3Records
from relui.clock import ManualClock
from relui.config import AwsConfig
from relui.config_team import RecordsConfig
from relui.domain import Principal, SmokeResult, Verdict
from relui.identity import operator_of
from relui.ports import PortError
from relui.services import rollout
from relui.services.approvals import approval_check, usable_approval
from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.intervene import approve
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from tests.conftest import IN_WINDOW, KUBERNETES_IDENTITY, drill_config, make_context

HOW = "kubernetes SelfSubjectReview"
ROLES = {"owner": ("product_owner",), "ops": ("devops",), "lead": ("devops", "product_owner"), "bob": ("devops",)}
# A DEV account no [[identity.users]] entry maps: verified, and its own ARN is the user there.
DEV_ARN = "arn:aws:sts::111111111111:assumed-role/dev-admin/ops"


def verified(name: str) -> Principal:
    return Principal(f"system:{name}", name, (), True, HOW, ROLES[name], "kubernetes")


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for name in ROLES:
        key = tmp_path / f"id_{name}"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
        made[name] = key
    return made


@pytest.fixture
def config_path(tmp_path: Path, keys: dict[str, Path]) -> Path:
    lines = []
    for name, roles in ROLES.items():
        public = " ".join(keys[name].with_suffix(".pub").read_text().split()[:2])
        lines.append(f'{name} namespaces="relui",relui-roles="{",".join(roles)}" {public}\n')
    (tmp_path / "allowed_signers").write_text("".join(lines))
    path = drill_config(tmp_path, always_open=True)
    text = path.read_text().replace('kind = "local"\nallow_unverified = true', KUBERNETES_IDENTITY)
    more = 'lead = ["devops", "product_owner"]\nbob = ["devops"]\n'
    text = text.replace('ops = ["devops"]\n', 'ops = ["devops"]\n' + more)
    path.write_text(text + '\n[signing]\nallowed_signers = "allowed_signers"\n')
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(IN_WINDOW)


@pytest.fixture
def user(config_path: Path, tmp_path: Path, clock: ManualClock, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``user(name)``: a Context of that person on PROD, signing with their own key."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)

    def make(name: str, principals: dict[str, Principal] | None = None) -> Context:
        monkeypatch.setenv("RELUI_SIGNING_KEY", str(keys[name]))
        principals = principals or {"prod": verified(name)}
        ctx = make_context(config_path, tmp_path / "state", clock, operator=operator_of(principals, name))
        ctx.principals = principals
        return ctx

    return make


def signoff_guard(ctx: Context) -> tuple[Verdict, str]:
    found = next(g for g in ReleaseService(ctx).check("cutover", "prod") if g.name == "signoff")
    return found.verdict, found.reason


@pytest.mark.parametrize("how", ["smoke failed", "interrupted"])
def test_a_deployer_whose_deploy_did_not_end_ok_still_cannot_sign_it_off(
    user, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The deploy's smoke fails once (or Ctrl-C lands in it): the version stays the candidate, its deployer with it."""
    lead = user("lead")
    real = rollout.RolloutWatch.smoke

    def once(self: rollout.RolloutWatch, *args: object) -> list[SmokeResult]:
        monkeypatch.setattr(rollout.RolloutWatch, "smoke", real)
        if how == "interrupted":
            raise KeyboardInterrupt
        return [SmokeResult("health", False, "503 (transient)")]

    monkeypatch.setattr(rollout.RolloutWatch, "smoke", once)
    with contextlib.suppress(KeyboardInterrupt):
        assert not ReleaseService(lead).deploy("prod", "1.5.1").ok
    assert Checklists(lead).version_of("prod") == "1.5.1"
    assert ReleaseService(lead).smoke("prod").ok
    with pytest.raises(ChecklistError, match="lead deployed this release and cannot sign it off"):
        Checklists(lead).sign_off("prod", "product_owner")
    assert "lead" in Journal(lead.state_dir, lead.clock).deployers("prod", "1.5.1")


def test_a_blocked_deploy_does_not_make_its_operator_the_deployer(user) -> None:  # type: ignore[no-untyped-def]
    """Refused before it changed anything, a deploy deployed nothing: the owner may still sign off."""
    owner, ops = user("owner"), user("ops")
    assert ReleaseService(owner).deploy("prod", "1.5.1").status == "blocked"  # no devops role
    assert ReleaseService(ops).deploy("prod", "1.5.1").ok
    Checklists(user("owner")).sign_off("prod", "product_owner")
    assert signoff_guard(user("bob"))[0] is Verdict.PASS


def test_a_copied_break_glass_approval_is_not_a_second_one(user) -> None:  # type: ignore[no-untyped-def]
    """bob approves once; a copy of his journal note under a new id (an ordinary append) does not count."""
    ops, bob = user("ops"), user("bob")
    assert ReleaseService(ops).deploy("prod", "1.5.1").ok
    approval = approve(ReleaseService(bob), "prod", "checkout down, the owner is on a plane", "cutover")
    journal = Journal(ops.state_dir, ops.clock)
    (note,) = [e for e in journal.entries("prod") if e.action == "approve"]
    assert ReleaseService(ops).cutover("prod", force=True, reason="checkout down").status == "forced"
    forged = {**note.detail, "break_glass": "0123456789ab"}
    journal.note(note.operator, "prod", "approve", "ok", **forged)
    entries = journal.entries("prod")
    assert (
        usable_approval(entries, "prod", "ops", ops.clock.now(), ("cutover", "1.5.1"), approval_check(ops, "prod"))
        is None
    )
    assert approval.id != "0123456789ab"


def test_an_approval_rewritten_for_another_action_does_not_count(user) -> None:  # type: ignore[no-untyped-def]
    """bob signs a break-glass for a rollback; its journal note copied with "cutover" written in forces nothing."""
    ops, bob = user("ops"), user("bob")
    assert ReleaseService(ops).deploy("prod", "1.5.1").ok
    approve(ReleaseService(bob), "prod", "roll back if checkout errors", "rollback")
    journal = Journal(ops.state_dir, ops.clock)
    (note,) = [e for e in journal.entries("prod") if e.action == "approve"]
    journal.note(note.operator, "prod", "approve", "ok", **{**note.detail, "for_action": "cutover"})
    entries = journal.entries("prod")
    now, check = ops.clock.now(), approval_check(ops, "prod")
    assert usable_approval(entries, "prod", "ops", now, ("cutover", "1.5.1"), check) is None
    # Unchecked, the rewritten note would have passed: the signature is what binds the purpose.
    assert usable_approval(entries, "prod", "ops", now, ("cutover", "1.5.1")) is not None
    assert ReleaseService(ops).cutover("prod", force=True, reason="checkout down").status == "blocked"
    assert usable_approval(entries, "prod", "ops", now, ("rollback", "1.4.2"), check) is not None


def test_the_tui_names_each_environment_its_own_operator(user) -> None:  # type: ignore[no-untyped-def]
    """DEV verifies as an ARN no entry maps, PROD as ops: PROD's journal, deployer and approver checks say ops."""
    principals = {"dev": Principal(DEV_ARN, DEV_ARN, (), True, "aws sts", (), "aws"), "prod": verified("ops")}
    tui = user("ops", principals)
    assert tui.operator == DEV_ARN  # the session's one name (the header) is the first verified one
    assert tui.operator_on("prod") == "ops"
    assert ReleaseService(tui).deploy("prod", "1.5.1").ok
    deploys = [e for e in Journal(tui.state_dir, tui.clock).entries("prod") if e.action == "deploy"]
    assert {e.operator for e in deploys} == {"ops"}
    # ops approves their own break-glass: forcing with it is refused from this context as from the CLI.
    approve(ReleaseService(user("ops")), "prod", "my own approval", "cutover")
    assert ReleaseService(tui).cutover("prod", force=True, reason="alone").status == "blocked"


def test_an_unverified_operator_cannot_tick_a_protected_checklist(user) -> None:  # type: ignore[no-untyped-def]
    """PROD's identity source is down: the claimed name records nothing, a tick no more than a sign-off."""
    ops = user("ops")
    assert ReleaseService(ops).deploy("prod", "1.5.1").ok
    dark = Principal("owner", "owner", (), False, "kubernetes identity not verified: unreachable", (), "kubernetes")
    claimed = user("owner", {"prod": dark})
    with pytest.raises(ChecklistError, match="prod is protected and owner is not verified"):
        Checklists(claimed).tick("prod", "tests-passing")
    assert not any(e.action == "tick" for e in Journal(ops.state_dir, ops.clock).entries("prod"))


def test_no_environment_variable_or_aws_config_redirects_relui_aws_clients(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """AWS_ENDPOINT_URL_STS pointed at a fake STS made anyone any verified principal; only relui's config redirects."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")
    (tmp_path / "aws-config").write_text(
        "[default]\nservices = fake\n\n[services fake]\nsts =\n  endpoint_url = http://127.0.0.1:9/\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    assert _CLIENT_CONFIG.ignore_configured_endpoint_urls is True
    aws = AwsConfig(region="eu-west-1")
    assert AwsIdentity.of(aws)._client("sts").meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    records = S3Records(RecordsConfig("s3://team/relui", "team", "relui"), aws)
    assert "127.0.0.1" not in records._client().meta.endpoint_url
    configured = AwsConfig(region="eu-west-1", endpoint_url="http://127.0.0.1:5000")
    assert AwsIdentity(configured, aws_session(configured))._client("sts").meta.endpoint_url == "http://127.0.0.1:5000"


def test_a_missing_aws_profile_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """AWS_PROFILE naming no profile crashed every command that built PROD's AWS ports, a rollback's included."""
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    identity = AwsIdentity.of(AwsConfig(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(PortError, match=r"AWS profile 'nope' is not in ~/\.aws/config; fix AWS_PROFILE"):
        identity.whoami()
