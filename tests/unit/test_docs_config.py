"""docs/configuration.md says what the reader does: every accepted key, with its default, and no other.

The accepted keys come from the reader itself: a config that uses every
section is read while ``Table.done`` records which keys each table asked for.
Defaults come from the dataclasses of relui/config.py. The doc keeps one
markdown table per TOML table, under a heading that names it in backticks.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from relui import config as schema
from relui import tomlpath
from relui.config import DEFAULT_PERMISSIONS, KEYMAP_IDS, PERMISSION_IDS, load_config
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "configuration.md").read_text()
# TOML table -> the dataclass whose fields (and defaults) it fills.
TABLES: dict[str, type[Any]] = {
    "environments": schema.EnvironmentConfig,
    "environments.smoke": schema.SmokeCheck,
    "environments.prometheus": schema.PrometheusConfig,
    "environments.aws": schema.AwsConfig,
    "environments.compose": schema.ComposeConfig,
    "environments.records": schema.RecordsConfig,
    "environments.identity": schema.IdentityConfig,
    "identity": schema.IdentityMapping,
    "identity.users": schema.IdentityUser,
    "signing": schema.SigningConfig,
    "calendar": schema.CalendarConfig,
    "calendar.windows": schema.Window,
    "calendar.freezes": schema.Freeze,
    "notifications": schema.NotificationsConfig,
    "notifications.smtp": schema.SmtpConfig,
    "checklist.items": schema.ChecklistItem,
    "sandbox": schema.SandboxConfig,
    "sandbox.faults": schema.SandboxFault,
    "readiness": schema.ReadinessConfig,
    "ui": schema.UiConfig,
    "relui": schema.Config,
}
# Tables whose keys are names the operator chooses (users, environments), not a schema.
FREE_TABLES = {"roles", "sandbox.live"}
# Tables that only hold an array of tables ([checklist] holds [[checklist.items]]).
WRAPPER_TABLES = {"checklist"}
# Defaults the reader gives where the dataclass has none (or a different spelling).
READER_DEFAULTS = {
    ("environments", "protected"): "false",
    ("calendar.windows", "days"): '["mon", "tue", "wed", "thu", "fri"]',
}

EVERY_SECTION = """
[relui]
read_only = false
[roles]
ops = ["devops"]
[permissions]
deploy = ["devops"]
[keymap]
deploy = "D"
[calendar]
timezone = "UTC"
minor_every_weeks = [2, 4]
major_every_months = 3
[[calendar.windows]]
days = ["mon"]
start = "08:00"
end = "17:00"
[[calendar.freezes]]
start = 2026-12-21
end = 2027-01-04
reason = "x"
[notifications]
slack_webhook_env = "RELUI_SLACK_WEBHOOK"
timeout_seconds = 10
[notifications.smtp]
host = "smtp.example.com"
username = "relui"
password_env = "RELUI_SMTP_PASSWORD"
sender = "relui@example.com"
recipients = ["a@example.com"]
port = 587
starttls = true
timeout_seconds = 10
[[checklist.items]]
id = "a"
phase = "pre-release"
title = "A"
auto = "command"
command = ["true"]
[sandbox]
registry_tags = ["1.0.0"]
[sandbox.live]
dev = "1.0.0"
[[sandbox.faults]]
kind = "error_spike"
version = "1.0.0"
env = "dev"
[identity]
pipeline_role = "arn:aws:iam::*:role/relui-pipeline*"
[[identity.users]]
name = "ops"
arn = "arn:aws:sts::*:assumed-role/relui-ops/*"
roles = ["devops"]
[[identity.users]]
name = "alice"
kube_user = "alice"
[[identity.users]]
name = "release"
kube_group = "release-managers"
[signing]
allowed_signers = "allowed_signers"
key = "~/.ssh/id_ed25519"
[ui]
theme = "relui-high-contrast"
ascii = false
[readiness]
drill_max_age_days = 30
runbooks = ["docs/rollback.md"]
[[environments]]
name = "dev"
kind = "sandbox"
release = "shop"
preview_url = "http://{release}-{color}.{namespace}:8080"
[environments.prometheus]
url = "http://127.0.0.1:9090"
error_rate = "x"
[environments.aws]
region = "eu-central-1"
[environments.records]
url = "s3://relui-records/team"
retain_days = 30
[environments.identity]
kind = "aws"
allow_unverified = false
[[environments.smoke]]
name = "health"
path = "/healthz"
[[environments.smoke]]
name = "cmd"
command = ["true"]
[[environments]]
name = "local"
kind = "compose"
release = "shop"
[environments.compose]
file = "compose.yaml"
service = "web"
[environments.identity]
kind = "kubernetes"
api_server = "https://127.0.0.1:6443"
certificate_authority = "cluster-ca.pem"
"""


def accepted_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """TOML table -> the keys the reader asked for, from reading a config with every section."""
    seen: dict[str, set[str]] = {}
    original = tomlpath.Table.done

    def recording_done(self: tomlpath.Table) -> None:
        seen.setdefault(".".join(p.key for p in self.path.parts), set()).update(self.used)
        original(self)

    monkeypatch.setattr(tomlpath.Table, "done", recording_done)
    path = tmp_path / "config.toml"
    path.write_text(EVERY_SECTION)
    (tmp_path / "cluster-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    load_config(path)
    seen.pop("", None)
    return seen


def documented() -> dict[str, dict[str, str]]:
    """TOML table -> {key: default cell} from the doc's headings and key tables."""
    tables: dict[str, dict[str, str]] = {}
    current: str | None = None
    for line in DOC.splitlines():
        heading = re.match(r"^#+ `\[\[?([a-z_.]+)\]\]?`", line)
        if heading:
            current = heading.group(1)
            tables.setdefault(current, {})
            continue
        if line.startswith("#"):
            current = None
        row = re.match(r"^\| `([a-z0-9_]+)` \|[^|]*\| ([^|]*) \|", line)
        if current and row:
            tables[current][row.group(1)] = row.group(2).strip()
    return tables


def normal(text: str) -> str:
    return re.sub(r"[\s\"']", "", text)


def default_cell_matches(cell: str, default: Any) -> bool:
    """The doc's default cell (its first code span) says the dataclass default."""
    span = re.match(r"`([^`]*)`", cell)
    if default is None or default == () or default == {}:
        return not span or cell.startswith("none")
    if not span:
        return False
    shown = span.group(1)
    if isinstance(default, bool):
        return shown == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(shown) == float(default)
        except ValueError:
            return False
    if isinstance(default, tuple):
        return normal(shown) == normal("[" + ", ".join(map(str, default)) + "]")
    return shown == str(default)


def test_every_accepted_key_is_documented_with_its_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = documented()
    problems = []
    for table, keys in accepted_keys(tmp_path, monkeypatch).items():
        if table in WRAPPER_TABLES:
            continue
        if table in FREE_TABLES:
            assert table in doc, f"docs/configuration.md has no section for [{table}]"
            continue
        rows = doc.get(table)
        if rows is None:
            problems.append(f"no section `[{table}]`")
            continue
        fields = {f.name: f for f in dataclasses.fields(TABLES[table])}
        for key in sorted(keys):
            if key not in rows:
                problems.append(f"[{table}] {key}: not documented")
                continue
            if (table, key) in READER_DEFAULTS:
                ok = normal(rows[key].strip("`")) == normal(READER_DEFAULTS[table, key])
            elif key in fields and fields[key].default is not dataclasses.MISSING:
                ok = default_cell_matches(rows[key], fields[key].default)
            else:
                ok = rows[key].startswith(("required", "the name", "none"))
            if not ok:
                problems.append(f"[{table}] {key}: default cell {rows[key]!r} does not say the code's default")
    assert not problems, "docs/configuration.md is out of step with the reader:\n" + "\n".join(problems)


def test_the_doc_names_no_key_the_reader_rejects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accepted = accepted_keys(tmp_path, monkeypatch)
    accepted["permissions"] = set(PERMISSION_IDS)
    accepted["relui"] = {"read_only"}
    stale = [
        f"[{table}] {key}"
        for table, rows in documented().items()
        for key in rows
        if key not in accepted.get(table, set())
    ]
    assert not stale, f"docs/configuration.md documents keys the reader refuses: {stale}"


def test_permissions_and_keymap_ids_are_all_documented() -> None:
    rows = documented()["permissions"]
    for action in PERMISSION_IDS:
        assert action in rows, f"[permissions] {action} is not documented"
        roles = DEFAULT_PERMISSIONS.get(action, ("devops",))
        assert normal(rows[action].strip("`")) == normal("[" + ", ".join(roles) + "]"), action
    keymap = DOC.split("### `[keymap]`", 1)[1].split("###", 1)[0]
    assert set(re.findall(r"`([a-z-]+)`", keymap)) >= set(KEYMAP_IDS)


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    names: set[str] = {"RELUI_USER", "SUDO_USER", "RELUI_TAG", "KUBECONFIG"}
    for folder in ("relui", "screens", "widgets"):
        for source in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"environ(?:\.get)?\(?\[?\"([A-Z][A-Z0-9_]+)\"", source.read_text()))
    missing = sorted(name for name in names if f"`{name}`" not in DOC)
    assert not missing, f"docs/configuration.md does not name these environment variables: {missing}"
