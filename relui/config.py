"""relui's configuration: TOML read with tomllib into frozen, validated types.

The reader (``config_reader``) is strict: an unknown key, a wrong type, a missing field, a
duplicate environment or a bad PromQL placeholder raises ``ConfigError`` whose
message is one line naming the file, the line (where it can be found), the key
path and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from relui.config_checklist import DEFAULT_CHECKLIST as DEFAULT_CHECKLIST
from relui.config_checklist import ChecklistItem as ChecklistItem

# Re-exported: the team settings' types are part of relui's config (the docs test walks them here).
from relui.config_team import IDENTITY_KINDS as IDENTITY_KINDS
from relui.config_team import IdentityConfig as IdentityConfig
from relui.config_team import IdentityMapping as IdentityMapping
from relui.config_team import IdentityUser as IdentityUser
from relui.config_team import RecordsConfig as RecordsConfig
from relui.config_team import SigningConfig as SigningConfig
from relui.statedir import read_file
from relui.tomlpath import deepest_line, explain_toml_error, key_on_line, one_line

ENV_KINDS = ("sandbox", "kubernetes", "compose")
PHASES = ("pre-release", "release-day", "post-deployment")
AUTO_CHECKS = (
    "snapshot_age",
    "metrics_answering",
    "smoke_passed",
    "error_rate_since_cutover",
    "previous_color_warm",
    "command",
)
FAULT_KINDS = ("crashloop", "error_spike", "slow_rollout", "missing_tag", "metrics_down")
PROMQL_PLACEHOLDERS = ("namespace", "release", "color")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_ERROR_THRESHOLD = 0.05
DEFAULT_CHART = "charts/bluegreen"
# What [permissions] may grant: the action names the services check with Config.may().
PERMISSION_IDS = ("deploy", "smoke", "cutover", "rollback", "lock", "abort", "approve", "install")
# Every Binding id of the app and its screens, which is what [keymap] remaps;
# tests/unit/test_config.py checks this list against the bindings themselves.
KEYMAP_IDS = (
    "abort",
    "back",
    "cancel",
    "checklist",
    "close-help",
    "command-line",
    "cutover",
    "deploy",
    "detail",
    "filter",
    "finish-drill",
    "help",
    "journal",
    "lock",
    "next-env",
    "previous-env",
    "quit",
    "readiness",
    "record-evidence",
    "refresh",
    "rollback",
    "sign-off",
    "smoke",
    "tick",
)


class ConfigError(Exception):
    """The configuration is wrong; the message is the one line to show."""


@dataclass(frozen=True)
class PrometheusConfig:
    """Where an environment's metrics come from and how to read them."""

    url: str
    error_rate: str
    request_rate: str | None = None
    latency_p95: str | None = None
    error_threshold: float = 0.05
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class AwsConfig:
    """The AWS account of an environment: ECR images and RDS snapshots."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    # The CA file AWS must prove itself with (absolute); None: the public CAs botocore ships. Never AWS_CA_BUNDLE.
    ca_bundle: str | None = None
    ecr_repository: str | None = None
    rds_instance: str | None = None
    max_snapshot_age_hours: float = 24.0


@dataclass(frozen=True)
class SmokeCheck:
    """One smoke check: an HTTP path on the preview endpoint, or a command."""

    name: str
    path: str | None = None
    expect_status: int = 200
    command: tuple[str, ...] | None = None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class ComposeConfig:
    """A DEV environment run by Docker Compose."""

    file: str
    service: str
    project: str | None = None


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment (DEV, QA, PROD) and the systems behind it."""

    name: str
    kind: str
    protected: bool
    namespace: str
    release: str
    chart: str = DEFAULT_CHART
    kube_context: str | None = None
    refresh_seconds: float = 5.0
    deploy_timeout_seconds: float = 300.0
    preview_url: str | None = None
    prometheus: PrometheusConfig | None = None
    aws: AwsConfig | None = None
    compose: ComposeConfig | None = None
    records: RecordsConfig | None = None  # None: the local state dir
    smoke: tuple[SmokeCheck, ...] = ()
    # The load the readiness review plans for: 2x this must have been held for load_window_minutes.
    expected_peak_rps: float | None = None
    load_window_minutes: int = 10
    # After a cutover: how long the new live color is watched, how many bad samples in a row
    # count as a breach, and whether relui then rolls back by itself.
    bake_minutes: int = 30
    bake_breach_samples: int = 3
    auto_rollback: bool = False
    identity: IdentityConfig = field(default_factory=IdentityConfig)

    @property
    def title(self) -> str:
        """The name as shown in column headers: DEV, QA, PROD."""
        return self.name.upper()

    @property
    def single_color(self) -> bool:
        """A Compose DEV runs one color: a deploy replaces it in place and there is no cutover."""
        return self.kind == "compose"

    @property
    def error_threshold(self) -> float:
        """The error rate above which a color counts as failing."""
        return self.prometheus.error_threshold if self.prometheus else DEFAULT_ERROR_THRESHOLD


@dataclass(frozen=True)
class Window:
    """A weekly release window in the calendar's time zone."""

    days: tuple[str, ...]
    start: time
    end: time


@dataclass(frozen=True)
class Freeze:
    """A change freeze: no releases from start to end (inclusive dates)."""

    start: date
    end: date
    reason: str


@dataclass(frozen=True)
class CalendarConfig:
    """Release windows, freezes and cadence."""

    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    minor_every_weeks: tuple[int, int] = (2, 4)
    major_every_months: int = 3

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SmtpConfig:
    """Mail delivery; the password is named by environment variable."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class NotificationsConfig:
    """Where release news goes; secrets only by environment variable name."""

    slack_webhook_env: str | None = None
    smtp: SmtpConfig | None = None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class SandboxFault:
    """A failure the sandbox world plays out, for rehearsals and tests."""

    kind: str
    version: str | None = None
    env: str | None = None
    after_seconds: float = 60.0
    peak_error_rate: float = 0.12
    rollout_seconds: float = 120.0


@dataclass(frozen=True)
class SandboxConfig:
    """The embedded simulated world."""

    time_scale: float = 1.0
    rollout_seconds: float = 20.0
    replicas: int = 3
    baseline_error_rate: float = 0.004
    registry_tags: tuple[str, ...] = ()
    live: dict[str, str] = field(default_factory=dict)
    faults: tuple[SandboxFault, ...] = ()

    def faults_for(self, env: str, version: str | None) -> list[SandboxFault]:
        """The faults that apply to a version running in an environment."""
        return [
            f for f in self.faults if (f.env is None or f.env == env) and (f.version is None or f.version == version)
        ]


@dataclass(frozen=True)
class ReadinessConfig:
    """Go-live review settings."""

    drill_max_age_days: int = 30
    runbooks: tuple[str, ...] = ("docs/rollback.md", "docs/release-process.md")


@dataclass(frozen=True)
class UiConfig:
    """``[ui]``: the TUI's theme and whether it draws with ASCII only."""

    theme: str | None = None  # None: the last theme chosen in the TUI, else textual-dark
    ascii: bool = False  # also on by itself under a non-UTF-8 locale


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    path: Path
    environments: tuple[EnvironmentConfig, ...]
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    permissions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    checklist: tuple[ChecklistItem, ...] = ()
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    readiness: ReadinessConfig = field(default_factory=ReadinessConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    keymap: dict[str, str] = field(default_factory=dict)
    read_only: bool = False
    identity: IdentityMapping = field(default_factory=IdentityMapping)
    signing: SigningConfig = field(default_factory=SigningConfig)

    def env(self, name: str) -> EnvironmentConfig:
        """The environment called ``name`` (any case); ConfigError names the choices."""
        for env in self.environments:
            if env.name == name.lower():
                return env
        known = ", ".join(e.name for e in self.environments)
        raise ConfigError(f"unknown environment {name!r}; configured: {known}")

    def roles_of(self, user: str) -> tuple[str, ...]:
        """The roles config grants a user (none for a stranger)."""
        return self.roles.get(user, ())

    def may(self, user: str, action: str) -> bool:
        """Whether the user's roles allow an action (deploy, cutover, rollback ...)."""
        allowed = self.permissions.get(action, ("devops",))
        return any(role in allowed for role in self.roles_of(user))


# The role whose sign-off a protected release needs (and the only role a GitHub approval stands for).
SIGN_OFF_ROLE = "product_owner"

DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "deploy": ("devops",),
    "smoke": ("devops", "qa_lead"),
    "cutover": ("devops",),
    "rollback": ("devops",),
    "lock": ("devops", "qa_lead", "product_owner"),
    "abort": ("devops",),
    "approve": ("devops", "product_owner"),
    "install": ("devops",),
}


def load_config(path: Path) -> Config:
    """Read and validate a config file; every problem is one ConfigError line."""
    try:
        raw = read_file(path, pipes=True)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; run 'relui init' to write a starter config here, "
            "or pass --config / set RELUI_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    data = parse_toml(path, text)
    # Imported here: the reader depends on the types above.
    from relui.config_reader import ConfigReader

    return ConfigReader(path, text).read(data)


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """tomllib's parse, with its errors turned into one line that names the line and the key."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)"; lift the line to the front.
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        if not found:
            raise ConfigError(f"{path}: invalid TOML: {one_line(message)}") from None
        line = int(found.group(1))
        detail = explain_toml_error(message[: found.start()].strip(), text, line)
        raise ConfigError(f"{path}:{line}: {detail}") from None
    except RecursionError:
        line = deepest_line(text)
        key = key_on_line(text, line) or "(top level)"
        raise ConfigError(f"{path}:{line}: {key}: arrays or inline tables nested too deep") from None
    except ValueError as exc:
        # Python refuses integers longer than 4300 digits while tomllib converts them.
        raise ConfigError(f"{path}: invalid TOML: {one_line(str(exc))}") from None


def find_config(explicit: str | None = None, cwd: Path | None = None) -> Path:
    """The config file: --config, $RELUI_CONFIG, ./config.toml, the XDG config dir."""
    if explicit:
        return Path(explicit)
    if os.environ.get("RELUI_CONFIG"):
        return Path(os.environ["RELUI_CONFIG"])
    local = (cwd or Path.cwd()) / "config.toml"
    if local.is_file():
        return local
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return xdg / "relui" / "config.toml"
