"""A dark identity source never makes a rollback impossible; it never lets anything else through on PROD."""

from __future__ import annotations

from pathlib import Path

from relui.adapters.identity_local import os_login
from relui.clock import ManualClock
from relui.config import load_config
from relui.domain import Verdict
from relui.identity import resolve_identity
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from relui.statedir import operator_name
from tests.conftest import IN_WINDOW, drill_config, make_context, ready_prod_candidate


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


def _prod_live_on_green(tmp_path: Path) -> tuple[Path, ManualClock]:
    """PROD cut over to 1.5.1 on green (blue 1.4.2 warm) on the sandbox, made with local identities."""
    setup = tmp_path / "setup"
    setup.mkdir()
    config, state, clock = drill_config(setup, always_open=True), tmp_path / "state", ManualClock(IN_WINDOW)
    _, service = ready_prod_candidate(config, state, clock)
    cut = service.cutover("prod", reason="release 1.5.1")
    assert cut.status == "ok", cut.message
    return state, clock


def _dark_prod(tmp_path: Path, state: Path, clock: ManualClock, extra_roles: str = "") -> Context:
    """A context on that state dir whose PROD asks an STS that cannot be reached (a refused loopback port)."""
    dark = tmp_path / "dark"
    dark.mkdir()
    path = _aws_prod(dark)
    if extra_roles:
        path.write_text(path.read_text().replace("[roles]\n", f"[roles]\n{extra_roles}\n", 1))
    config = load_config(path)
    who = resolve_identity(config, config.env("prod"))
    assert who.dark and not who.verified, who.how
    ctx = make_context(path, state, clock, operator=operator_name())
    ctx.principals = {"prod": who}
    return ctx


def _live(ctx: Context) -> tuple[str | None, str | None]:
    ports = ctx.env_ports("prod")
    color = ports.cluster.observed_active_color()
    return (str(color) if color else None), (ports.releases.values().tag(color) if color else None)


def _dark_env(monkeypatch, user: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RELUI_USER", user)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def test_a_dark_source_gives_a_claimed_name_no_roles_to_roll_prod_back(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Anyone on a bastion could make STS dark from their own shell and roll PROD back as $RELUI_USER=ops.

    A dead HTTPS_PROXY (or a HOSTALIASES file) is enough to make a source
    unreachable; the roles that then counted were those of the name one set.
    """
    state, clock = _prod_live_on_green(tmp_path)
    _dark_env(monkeypatch, "ops")
    login = os_login()
    ctx = _dark_prod(tmp_path, state, clock)
    assert ctx.config.roles_of(login) == (), f"this test needs an OS login no [roles] line names, not {login!r}"

    refused = ReleaseService(ctx).rollback("prod", reason="claiming to be ops")

    assert refused.status == "blocked", refused.message
    role = next(g for g in refused.guards if g.name == "role")
    assert role.blocks and f"{login} (roles: none) may not rollback" in role.reason
    assert _live(ctx) == ("green", "1.5.1")


def test_a_dark_source_still_lets_the_os_login_roll_prod_back_with_its_roles(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An outage never holds a rollback back, for the account the kernel says is at the keyboard."""
    state, clock = _prod_live_on_green(tmp_path)
    _dark_env(monkeypatch, "qa")  # whatever name is set: it is not what counts
    login = os_login()
    ctx = _dark_prod(tmp_path, state, clock, extra_roles=f'"{login}" = ["devops"]')

    rolled = ReleaseService(ctx).rollback("prod", reason="checkout 5xx, STS unreachable")

    assert rolled.status == "ok", rolled.message
    assert _live(ctx) == ("blue", "1.4.2")
    identity = next(g for g in rolled.guards if g.name == "identity")
    assert identity.verdict is Verdict.WARN and f"goes ahead as the OS login {login}" in identity.reason
    [intent] = [e for e in Journal(state, clock).entries("prod") if e.kind == "intent" and e.action == "rollback"]
    assert intent.detail["principal"] == login and "not verified" in intent.detail["verified_by"]
