"""SSH-signed sign-offs: a valid one passes the cutover guard; edited, foreign, self-signed, other-version do not.

Keys are made here with ``ssh-keygen -t ed25519 -N ''``; the allowed_signers
file names owner (product_owner) and ops (devops). PROD's identity is
verified (the principals are given to the Context as a verified source would),
so the only question each test asks is whether the signature counts.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w

from relui.clock import ManualClock
from relui.commands.base import EXIT_USAGE, CommandError
from relui.domain import Principal, Verdict
from relui.services import signing
from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.problems import Problem
from relui.services.release import ReleaseService
from tests.conftest import IN_WINDOW, KUBERNETES_IDENTITY, drill_config, make_context

HOW = "kubernetes SelfSubjectReview"
VERIFIED = {
    "ops": Principal("system:ops", "ops", ("release",), True, HOW, ("devops",), "kubernetes"),
    "owner": Principal("system:owner", "owner", (), True, HOW, ("product_owner",), "kubernetes"),
}


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: keygen(tmp_path / f"id_{name}") for name in ("owner", "ops", "stranger")}


@pytest.fixture
def config_path(tmp_path: Path, keys: dict[str, Path]) -> Path:
    """The shipped sandbox with PROD verified through kubernetes, and signing on."""
    lines = []
    for name, role in (("owner", "product_owner"), ("ops", "devops")):
        public = " ".join(keys[name].with_suffix(".pub").read_text().split()[:2])
        lines.append(f'{name} namespaces="relui",relui-roles="{role}" {public}\n')
    (tmp_path / "allowed_signers").write_text("".join(lines))
    path = drill_config(tmp_path, always_open=True)
    text = path.read_text().replace('kind = "local"\nallow_unverified = true', KUBERNETES_IDENTITY)
    path.write_text(text + '\n[signing]\nallowed_signers = "allowed_signers"\n')
    return path


def as_user(config_path: Path, tmp_path: Path, clock: ManualClock, name: str) -> Context:
    ctx = make_context(config_path, tmp_path / "state", clock, operator=name)
    ctx.principals = {"prod": VERIFIED[name]}
    return ctx


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(IN_WINDOW)


@pytest.fixture
def ops(config_path: Path, tmp_path: Path, clock: ManualClock) -> Context:
    ctx = as_user(config_path, tmp_path, clock, "ops")
    assert ReleaseService(ctx).deploy("prod", "1.6.0").ok
    return ctx


def sign_off_with(key: Path, owner: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(key))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    Checklists(owner).sign_off("prod", "product_owner")


def signoff_guard(ops: Context) -> tuple[Verdict, str]:
    found = next(g for g in ReleaseService(ops).check("cutover", "prod") if g.name == "signoff")
    return found.verdict, found.reason


def edit_signoff(ctx: Context, version: str, **changes: str) -> None:
    """Change the stored sign-off as someone with write access to the state would."""
    path = Checklists(ctx).path("prod", version)
    state = tomllib.loads(path.read_text())
    state["signoffs"][0].update(changes)
    path.write_text(tomli_w.dumps(state))


@pytest.fixture
def owner(config_path: Path, tmp_path: Path, clock: ManualClock, ops: Context) -> Context:
    return as_user(config_path, tmp_path, clock, "owner")


def test_a_valid_signature_passes_the_guard(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["owner"], owner, monkeypatch)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.PASS, reason
    assert "signed off by owner (product_owner)" in reason and "SSH key" in reason
    stored = Checklists(ops).view("prod").signoffs[0]
    assert stored.principal == "system:owner" and stored.signature.startswith("-----BEGIN SSH SIGNATURE-----")


def test_one_edited_after_signing_does_not_count(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["owner"], owner, monkeypatch)
    payload = Checklists(ops).view("prod").signoffs[0].payload
    later = re.sub(r'"expiry":"[^"]+"', '"expiry":"2099-01-01T00:00:00+00:00"', payload)
    edit_signoff(ops, "1.6.0", payload=later)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK
    assert "does not verify: the record was changed after it was signed" in reason


def test_one_signed_by_an_unknown_key_does_not_count(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["stranger"], owner, monkeypatch)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK and "signed with a key that is not in allowed_signers" in reason


def test_one_signed_with_the_operators_own_key_does_not_count(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["ops"], owner, monkeypatch)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK and "signed with the key of ops, who operates or deployed it" in reason


def test_one_signed_for_another_version_does_not_count(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["owner"], owner, monkeypatch)
    signed = Checklists(ops).view("prod").signoffs[0]
    edit_signoff(ops, "1.6.0", payload=signed.payload.replace('"version":"1.6.0"', '"version":"1.5.0"'))
    # Re-signed properly for 1.5.0, then placed in 1.6.0's checklist.
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(keys["owner"]))
    text = Checklists(ops).view("prod").signoffs[0].payload
    edit_signoff(ops, "1.6.0", signature=signing.sign(ops.config, text, "owner").signature)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK and "signed for version 1.5.0, not 1.6.0" in reason


def test_a_missing_key_says_how_to_set_one_up(owner: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(tmp_path / "absent"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(ChecklistError) as caught:
        Checklists(owner).sign_off("prod", "product_owner")
    message = str(caught.value)
    assert "\n" not in message and "ssh-keygen -t ed25519" in message and "allowed_signers" in message


def test_an_unsigned_record_does_not_count_where_signing_is_required(
    ops: Context, owner: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off_with(keys["owner"], owner, monkeypatch)
    edit_signoff(ops, "1.6.0", signature="", payload="")
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK and "it is not signed" in reason


def test_allowed_signers_roles_option_is_taken_out_for_ssh_keygen() -> None:
    text = 'owner,alice namespaces="relui",relui-roles="product_owner,devops" ssh-ed25519 AAAAC3 owner@laptop\n'
    (signer,) = signing.parse_allowed_signers(text)
    assert signer.principals == ("owner", "alice") and signer.roles == ("product_owner", "devops")
    assert signer.line == 'owner,alice namespaces="relui" ssh-ed25519 AAAAC3 owner@laptop'
    assert signing.roles_of_signer([signer], "alice") == ("product_owner", "devops")


def test_signing_that_is_not_set_up_is_the_setups_problem_not_a_failure(
    ops: Context, config_path: Path, tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key, or a key file that is not there: exit 2 (fix the setup), not 1 (it broke); the message says how."""
    owner = as_user(config_path, tmp_path, clock, "owner")
    monkeypatch.delenv("RELUI_SIGNING_KEY", raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(ChecklistError, match="no signing key configured") as no_key:
        Checklists(owner).sign_off("prod", "product_owner")
    assert no_key.value.problem is Problem.USAGE
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(tmp_path / "id_nobody"))
    with pytest.raises(ChecklistError, match="not found") as missing:
        Checklists(owner).sign_off("prod", "product_owner")
    assert missing.value.problem is Problem.USAGE
    assert CommandError.of(missing.value).code == EXIT_USAGE


def test_a_key_listed_under_a_second_name_proves_no_one_person_signed(
    ops: Context, owner: Context, keys: dict[str, Path], config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ops listed their own key again as a product owner, first: find-principals named that line, the guard passed."""
    signers = config_path.parent / "allowed_signers"
    ops_key = " ".join(keys["ops"].with_suffix(".pub").read_text().split()[:2])
    signers.write_text(f'owner namespaces="relui",relui-roles="product_owner" {ops_key}\n' + signers.read_text())
    sign_off_with(keys["ops"], owner, monkeypatch)
    verdict, reason = signoff_guard(ops)
    assert verdict is Verdict.BLOCK
    assert "owner's key is also listed for ops in allowed_signers" in reason


# -- A signer signs any payload they like: its times must still be a record's ------------------------------

ROLE_OF_KIND = {"signoff": "product_owner", "attestation": "product_owner", "break-glass": "product_owner"}


def crafted(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, kind: str, signed_at: str, expiry: str
) -> signing.SignatureCheck:
    """The owner signs a payload of their own making with their real key (as ``ssh-keygen -Y sign`` would)."""
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(keys["owner"]))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    doc = {"kind": kind, "env": "prod", "version": "1.6.0", "role": ROLE_OF_KIND[kind], "signer": "owner"}
    doc |= {"time": signed_at, "expiry": expiry, "evidence": ""}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    signed = signing.sign(ops.config, text, "owner", ROLE_OF_KIND[kind])
    return signing.check_signed(ops.config, signed, expect={"kind": kind, "signer": "owner"}, now=ops.clock.now())


def iso(ctx: Context, **delta: float) -> str:
    return (ctx.clock.now() + timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    ("kind", "days", "says"),
    [
        ("signoff", 365, "signed valid for 365 days, longer than a sign-off may be (7 days)"),
        ("attestation", 3650, "signed valid for 3650 days, longer than an attestation may be (90 days)"),
        ("break-glass", 30, "signed valid for 30 days, longer than a break-glass approval may be (15 minutes)"),
    ],
)
def test_a_record_signed_valid_for_longer_than_its_kind_does_not_count(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, kind: str, days: int, says: str
) -> None:
    # A break-glass valid for a month would let one approval force every release of the month.
    found = crafted(ops, keys, monkeypatch, kind, iso(ops, minutes=-1), iso(ops, days=days, minutes=-1))
    assert not found.ok and found.problem == f"it was {says}"


def test_a_record_signed_ahead_of_this_clock_does_not_count(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Signed "tomorrow" today, for tomorrow's release: the approval was never fresh when it is used.
    found = crafted(ops, keys, monkeypatch, "break-glass", iso(ops, days=1), iso(ops, days=1, minutes=15))
    assert found.problem is not None and "24 hours ahead of this clock: the signer's clock" in found.problem
    within_skew = crafted(ops, keys, monkeypatch, "break-glass", iso(ops, minutes=2), iso(ops, minutes=16))
    assert within_skew.ok, within_skew.problem


@pytest.mark.parametrize("naive", ["time", "expiry"])
def test_a_time_without_its_offset_is_refused_not_a_crash(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, naive: str
) -> None:
    times = {"time": iso(ops, minutes=-1), "expiry": iso(ops, days=1)}
    times[naive] = times[naive][:19]  # 2026-11-26T10:00:00, no +00:00: comparing it with now raised TypeError
    found = crafted(ops, keys, monkeypatch, "signoff", times["time"], times["expiry"])
    assert found.problem == f"its signed payload has no valid {naive}"


def test_a_record_within_its_kinds_validity_still_counts(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for kind, valid in signing.VALIDITY.items():
        found = crafted(
            ops, keys, monkeypatch, kind, iso(ops, minutes=-1), iso(ops, seconds=valid.total_seconds() - 60)
        )
        assert found.ok, (kind, found.problem)


def test_a_payload_naming_a_key_twice_does_not_count(
    ops: Context, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # {"version":"1.6.0",...,"version":"1.7.0"}: relui reads the last, an auditor's tool may read the first.
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(keys["owner"]))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    doc = {"kind": "signoff", "env": "prod", "version": "1.6.0", "role": "product_owner", "signer": "owner"}
    doc |= {"time": iso(ops, minutes=-1), "expiry": iso(ops, days=1), "evidence": ""}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))[:-1] + ',"version":"1.7.0"}'
    signed = signing.sign(ops.config, text, "owner", "product_owner")
    found = signing.check_signed(ops.config, signed, expect={"kind": "signoff", "signer": "owner"}, now=ops.clock.now())
    assert not found.ok and found.problem == "its signed payload names 'version' twice"
