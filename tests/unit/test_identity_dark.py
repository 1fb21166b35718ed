"""A dark identity source never makes a rollback impossible; it never lets anything else through on PROD."""

from __future__ import annotations

from pathlib import Path

from relui.config import load_config
from relui.domain import Verdict
from relui.identity import resolve_identity
from tests.conftest import drill_config


def _aws_prod(tmp_path: Path) -> Path:
    """The shipped sandbox whose PROD asks an STS that is not there (a refused loopback port)."""
    path = drill_config(tmp_path, always_open=True)
    table = (
        '[environments.aws]\nregion = "eu-central-1"\nendpoint_url = "http://127.0.0.1:9"\n\n'
        '[environments.identity]\nkind = "aws"'
    )
    text = path.read_text().replace('[environments.identity]\nkind = "local"\nallow_unverified = true', table)
    assert table in text, "the shipped config's PROD identity table moved; update this test"
    path.write_text(text)
    return path


def test_a_dark_sts_is_unverified_and_says_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RELUI_USER", "ops")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    config = load_config(_aws_prod(tmp_path))
    who = resolve_identity(config, config.env("prod"))
    assert who.dark and not who.verified and "aws identity not verified" in who.how


def test_rollback_goes_ahead_and_everything_else_is_refused(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from relui.services.guards import Facts, guard_identity

    monkeypatch.setenv("RELUI_USER", "ops")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    config = load_config(_aws_prod(tmp_path))
    prod = config.env("prod")
    who = resolve_identity(config, prod)
    from datetime import UTC, datetime

    def identity(action: str) -> Verdict:
        facts = Facts(action, prod, "ops", who.roles, True, False, datetime.now(UTC), principal=who)
        return guard_identity(facts).verdict

    assert identity("rollback") is Verdict.WARN
    for action in ("deploy", "cutover", "install", "smoke"):
        assert identity(action) is Verdict.BLOCK, action


def test_credentials_an_identity_source_refused_are_no_outage_and_carry_no_roles(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch
) -> None:
    """Unsetting one's AWS keys made the source 'dark': the claimed $RELUI_USER's roles rolled PROD back."""
    from relui.clock import ManualClock
    from relui.services.context import Context
    from relui.services.release import ReleaseService
    from tests.conftest import IN_WINDOW, make_context

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup: loopback only
    monkeypatch.setenv("RELUI_USER", "ops")
    path = _aws_prod(tmp_path)
    config = load_config(path)
    who = resolve_identity(config, config.env("prod"))
    assert not who.verified and not who.dark and who.roles == ()
    assert "no AWS credentials found" in who.how
    ctx: Context = make_context(path, tmp_path / "state", ManualClock(IN_WINDOW), operator="ops")
    ctx.principals = {"prod": who}
    assert ctx.roles_on("prod") == ()
    refused = ReleaseService(ctx).rollback("prod", force=True, reason="claiming ops")
    assert refused.status == "blocked" and any(g.name in ("identity", "role") for g in refused.guards if g.blocks)
