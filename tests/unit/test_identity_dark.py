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
