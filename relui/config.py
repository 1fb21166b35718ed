"""relui's configuration: TOML read with tomllib into frozen, validated types.

The reader is strict: an unknown key, a wrong type, a missing field, a
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
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relui.tomlpath import KeyPath, locate

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
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_ERROR_THRESHOLD = 0.05
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


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
    chart: str = "charts/bluegreen"
    kube_context: str | None = None
    refresh_seconds: float = 5.0
    deploy_timeout_seconds: float = 300.0
    preview_url: str | None = None
    prometheus: PrometheusConfig | None = None
    aws: AwsConfig | None = None
    compose: ComposeConfig | None = None
    smoke: tuple[SmokeCheck, ...] = ()
    # The load the readiness review plans for: 2x this must have been held for load_window_minutes.
    expected_peak_rps: float | None = None
    load_window_minutes: int = 10

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
class ChecklistItem:
    """One item of the release checklist."""

    id: str
    phase: str
    title: str
    auto: str | None = None
    command: tuple[str, ...] | None = None


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
    keymap: dict[str, str] = field(default_factory=dict)
    read_only: bool = False

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


DEFAULT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "deploy": ("devops",),
    "smoke": ("devops", "qa_lead"),
    "cutover": ("devops",),
    "rollback": ("devops",),
    "lock": ("devops", "qa_lead", "product_owner"),
}

# The release plan's checklist, used when config has no [[checklist.items]].
DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("tests-passing", "pre-release", "All tests passing"),
    ChecklistItem("migrations-reviewed", "pre-release", "DB migrations reviewed and tested"),
    ChecklistItem("config-validated", "pre-release", "Configurations validated"),
    ChecklistItem("secrets-in-place", "pre-release", "Secrets and credentials in place"),
    ChecklistItem("observability", "pre-release", "Observability active", auto="metrics_answering"),
    ChecklistItem("backups-verified", "release-day", "Backups verified (DB snapshot)", auto="snapshot_age"),
    ChecklistItem("stakeholders-notified", "release-day", "Stakeholders notified"),
    ChecklistItem("smoke-green", "release-day", "Blue/green candidate passed smoke", auto="smoke_passed"),
    ChecklistItem("dashboards-watched", "release-day", "Dashboards being monitored"),
    ChecklistItem("previous-warm", "release-day", "Previous version kept warm", auto="previous_color_warm"),
    ChecklistItem("journeys-verified", "post-deployment", "Key user journeys verified (checkout, search, login)"),
    ChecklistItem(
        "no-error-spikes", "post-deployment", "No error spikes since cutover", auto="error_rate_since_cutover"
    ),
    ChecklistItem("release-announced", "post-deployment", "Release announced"),
)


class _Table:
    """A TOML table being read: typed getters that track which keys were used."""

    def __init__(self, data: Any, path: KeyPath, reader: _Reader) -> None:
        self.path = path
        self.reader = reader
        if not isinstance(data, dict):
            reader.fail(path, f"expected a table, got {_type_name(data)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                self.reader.fail(self.path.key(key), "is missing (required)", at=self.path)
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.reader.fail(self.path.key(key), f"expected a string, got {_type_name(value)}")
        if required and not value.strip():
            self.reader.fail(self.path.key(key), "must not be empty")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.reader.fail(self.path.key(key), f"expected true or false, got {_type_name(value)}")
        return value

    def num(self, key: str, default: float | None, *, minimum: float = 0.0, integer: bool = False) -> Any:
        value = self._get(key, default is None)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            want = "a whole number" if integer else "a number"
            self.reader.fail(self.path.key(key), f"expected {want}, got {_type_name(value)}")
        if value < minimum:
            self.reader.fail(self.path.key(key), f"must be at least {minimum:g}, got {value}")
        return value

    def texts(self, key: str, default: tuple[str, ...] | None = ()) -> Any:
        value = self._get(key, default is None)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.reader.fail(self.path.key(key), f"expected a list of strings, got {_type_name(value)}")
        return tuple(value)

    def table(self, key: str) -> _Table | None:
        value = self._get(key, False)
        return None if value is None else _Table(value, self.path.key(key), self.reader)

    def tables(self, key: str) -> list[_Table]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            self.reader.fail(self.path.key(key), f"expected an array of tables ([[{key}]]), got {_type_name(value)}")
        return [_Table(v, self.path.key(key).index(i), self.reader) for i, v in enumerate(value)]

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> Any:
        value = self.text(key, default, required=default is None)
        if value not in choices:
            self.reader.fail(self.path.key(key), f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def done(self) -> None:
        """Reject keys nobody asked for."""
        for key in self.data:
            if key not in self.used:
                expected = ", ".join(sorted(self.used))
                self.reader.fail(self.path.key(key), f"unknown key; expected one of: {expected}")


def _type_name(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Turns a TOML document into a Config, failing with one located line."""

    def __init__(self, path: Path, text: str) -> None:
        self.file = path
        self.text = text

    def fail(self, path: KeyPath, message: str, at: KeyPath | None = None) -> NoReturn:
        line = locate(self.text, path) or (locate(self.text, at) if at else None)
        where = f"{self.file}:{line}" if line else str(self.file)
        raise ConfigError(f"{where}: {path}: {message}")

    def read(self, data: dict[str, Any]) -> Config:
        root = _Table(data, KeyPath(), self)
        relui = root.table("relui")
        read_only = relui.flag("read_only") if relui else False
        if relui:
            relui.done()
        envs = self._environments(root)
        roles = self._roles(root)
        permissions = dict(DEFAULT_PERMISSIONS)
        perm_table = root.table("permissions")
        if perm_table:
            for action in perm_table.data:
                permissions[action] = perm_table.texts(action)
        keymap: dict[str, str] = {}
        keys = root.table("keymap")
        if keys:
            for binding in keys.data:
                keymap[binding] = keys.text(binding, required=True)
        config = Config(
            path=self.file,
            environments=envs,
            roles=roles,
            permissions=permissions,
            calendar=self._calendar(root.table("calendar")),
            notifications=self._notifications(root.table("notifications")),
            checklist=self._checklist(root.table("checklist")),
            sandbox=self._sandbox(root.table("sandbox"), envs),
            readiness=self._readiness(root.table("readiness")),
            keymap=keymap,
            read_only=read_only,
        )
        root.done()
        return config

    def _environments(self, root: _Table) -> tuple[EnvironmentConfig, ...]:
        tables = root.tables("environments")
        if not tables:
            self.fail(KeyPath().key("environments"), "no [[environments]] configured; add at least one")
        envs: list[EnvironmentConfig] = []
        for t in tables:
            name = t.text("name", required=True)
            if not _NAME.match(name):
                self.fail(t.path.key("name"), f"{name!r} is not a valid name; use lower-case letters, digits and '-'")
            if any(e.name == name for e in envs):
                self.fail(t.path.key("name"), f"duplicate environment {name!r}; each name must appear once")
            t.path = t.path.named(name)
            envs.append(self._environment(t, name))
            t.done()
        return tuple(envs)

    def _environment(self, t: _Table, name: str) -> EnvironmentConfig:
        kind = t.choice("kind", ENV_KINDS)
        prom = t.table("prometheus")
        aws = t.table("aws")
        compose = t.table("compose")
        if kind == "compose" and compose is None:
            self.fail(
                t.path.key("compose"), "is missing: a compose environment needs [environments.compose] file and service"
            )
        return EnvironmentConfig(
            name=name,
            kind=kind,
            protected=t.flag("protected"),
            namespace=t.text("namespace", name),
            release=t.text("release", required=True),
            chart=t.text("chart", "charts/bluegreen"),
            kube_context=t.text("kube_context"),
            refresh_seconds=t.num("refresh_seconds", 5.0, minimum=0.5),
            deploy_timeout_seconds=t.num("deploy_timeout_seconds", 300.0, minimum=1),
            preview_url=self._preview_url(t),
            prometheus=self._prometheus(prom) if prom else None,
            aws=self._aws(aws) if aws else None,
            compose=self._compose(compose) if compose else None,
            smoke=tuple(self._smoke(s) for s in t.tables("smoke")),
            expected_peak_rps=t.num("expected_peak_rps", 0.0) or None,
            load_window_minutes=t.num("load_window_minutes", 10, minimum=1, integer=True),
        )

    def _preview_url(self, t: _Table) -> str | None:
        """The preview endpoint template: http(s), placeholders {color}, {namespace}, {release} only."""
        url: str | None = t.text("preview_url")
        if url is None:
            return None
        if not url.startswith(("http://", "https://")):
            self.fail(t.path.key("preview_url"), f"expected an http:// or https:// URL template, got {url!r}")
        for match in _PLACEHOLDER.finditer(url):
            if match.group(1) not in PROMQL_PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in PROMQL_PLACEHOLDERS)
                self.fail(t.path.key("preview_url"), f"unknown placeholder {match.group(0)}; use {allowed}")
        return url

    def _promql(self, t: _Table, key: str, required: bool = False) -> str | None:
        query: str | None = t.text(key, required=required)
        if query is None:
            return None
        for match in _PLACEHOLDER.finditer(query):
            if match.group(1) not in PROMQL_PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in PROMQL_PLACEHOLDERS)
                self.fail(t.path.key(key), f"unknown placeholder {match.group(0)} in PromQL; use {allowed}")
        return query

    def _prometheus(self, t: _Table) -> PrometheusConfig:
        url = t.text("url", required=True)
        if not url.startswith(("http://", "https://")):
            self.fail(t.path.key("url"), f"expected an http:// or https:// URL, got {url!r}")
        cfg = PrometheusConfig(
            url=url,
            error_rate=self._promql(t, "error_rate", required=True) or "",
            request_rate=self._promql(t, "request_rate"),
            latency_p95=self._promql(t, "latency_p95"),
            error_threshold=t.num("error_threshold", 0.05),
            timeout_seconds=t.num("timeout_seconds", 5.0, minimum=0.1),
        )
        t.done()
        return cfg

    def _aws(self, t: _Table) -> AwsConfig:
        cfg = AwsConfig(
            region=t.text("region", required=True),
            profile=t.text("profile"),
            endpoint_url=t.text("endpoint_url"),
            ecr_repository=t.text("ecr_repository"),
            rds_instance=t.text("rds_instance"),
            max_snapshot_age_hours=t.num("max_snapshot_age_hours", 24.0),
        )
        t.done()
        return cfg

    def _compose(self, t: _Table) -> ComposeConfig:
        cfg = ComposeConfig(
            file=t.text("file", required=True), service=t.text("service", required=True), project=t.text("project")
        )
        t.done()
        return cfg

    def _smoke(self, t: _Table) -> SmokeCheck:
        path = t.text("path")
        command = t.texts("command", None) if "command" in t.data else None
        if (path is None) == (command is None):
            self.fail(t.path, "a smoke check needs exactly one of path (HTTP) or command")
        if path is not None and not path.startswith("/"):
            self.fail(t.path.key("path"), f"expected a path starting with '/', got {path!r}")
        check = SmokeCheck(
            name=t.text("name", required=True),
            path=path,
            expect_status=t.num("expect_status", 200, minimum=100, integer=True),
            command=command,
            timeout_seconds=t.num("timeout_seconds", 10.0, minimum=0.1),
        )
        t.done()
        return check

    def _roles(self, root: _Table) -> dict[str, tuple[str, ...]]:
        t = root.table("roles")
        if not t:
            return {}
        roles = {user: t.texts(user) for user in t.data}
        t.done()
        return roles

    def _clock_time(self, t: _Table, key: str) -> time:
        text = t.text(key, required=True)
        try:
            return time.fromisoformat(text)
        except ValueError:
            self.fail(t.path.key(key), f'expected a time like "09:00", got {text!r}')
            raise  # pragma: no cover - fail() raised already

    def _date(self, t: _Table, key: str) -> date:
        value = t._get(key, True)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(t.path.key(key), f"expected a date like 2026-12-20, got {value!r}")

    def _calendar(self, t: _Table | None) -> CalendarConfig:
        if t is None:
            return CalendarConfig()
        tz = t.text("timezone", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(t.path.key("timezone"), f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin")
        windows = []
        for w in t.tables("windows"):
            days = w.texts("days", WEEKDAYS[:5])
            for day in days:
                if day not in WEEKDAYS:
                    self.fail(w.path.key("days"), f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
            start, end = self._clock_time(w, "start"), self._clock_time(w, "end")
            if end <= start:
                self.fail(w.path.key("end"), "must be later than start")
            windows.append(Window(days=days, start=start, end=end))
            w.done()
        freezes = []
        for f in t.tables("freezes"):
            start_d, end_d = self._date(f, "start"), self._date(f, "end")
            if end_d < start_d:
                self.fail(f.path.key("end"), "must not be before start")
            freezes.append(Freeze(start=start_d, end=end_d, reason=f.text("reason", required=True)))
            f.done()
        minor = t._get("minor_every_weeks", False) or [2, 4]
        if not (isinstance(minor, list) and len(minor) == 2 and all(isinstance(x, int) for x in minor)):
            self.fail(t.path.key("minor_every_weeks"), "expected two whole numbers like [2, 4]")
        cal = CalendarConfig(
            timezone=tz,
            windows=tuple(windows),
            freezes=tuple(freezes),
            minor_every_weeks=(minor[0], minor[1]),
            major_every_months=t.num("major_every_months", 3, minimum=1, integer=True),
        )
        t.done()
        return cal

    def _notifications(self, t: _Table | None) -> NotificationsConfig:
        if t is None:
            return NotificationsConfig()
        smtp_t = t.table("smtp")
        smtp = None
        if smtp_t:
            smtp = SmtpConfig(
                host=smtp_t.text("host", required=True),
                port=smtp_t.num("port", 587, minimum=1, integer=True),
                starttls=smtp_t.flag("starttls", True),
                username=smtp_t.text("username"),
                password_env=self._env_name(smtp_t, "password_env"),
                sender=smtp_t.text("sender", required=True),
                recipients=smtp_t.texts("recipients", None),
                timeout_seconds=smtp_t.num("timeout_seconds", 10.0, minimum=0.1),
            )
            smtp_t.done()
        cfg = NotificationsConfig(
            slack_webhook_env=self._env_name(t, "slack_webhook_env"),
            smtp=smtp,
            timeout_seconds=t.num("timeout_seconds", 10.0, minimum=0.1),
        )
        t.done()
        return cfg

    def _env_name(self, t: _Table, key: str) -> str | None:
        """A secret is named by environment variable; a literal secret is refused."""
        name: str | None = t.text(key)
        if name is not None and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            self.fail(
                t.path.key(key),
                "expected the NAME of an environment variable (like RELUI_SLACK_WEBHOOK), never the secret itself",
            )
        return name

    def _checklist(self, t: _Table | None) -> tuple[ChecklistItem, ...]:
        if t is None:
            return DEFAULT_CHECKLIST
        items: list[ChecklistItem] = []
        for it in t.tables("items"):
            auto = it.text("auto")
            if auto is not None and auto not in AUTO_CHECKS:
                self.fail(it.path.key("auto"), f"expected one of {', '.join(AUTO_CHECKS)}, got {auto!r}")
            command = it.texts("command", None) if "command" in it.data else None
            if auto == "command" and not command:
                self.fail(it.path.key("command"), 'is missing: auto = "command" needs a command list')
            item = ChecklistItem(
                id=it.text("id", required=True),
                phase=it.choice("phase", PHASES),
                title=it.text("title", required=True),
                auto=auto,
                command=command,
            )
            if any(i.id == item.id for i in items):
                self.fail(it.path.key("id"), f"duplicate checklist item {item.id!r}")
            items.append(item)
            it.done()
        t.done()
        return tuple(items) or DEFAULT_CHECKLIST

    def _sandbox(self, t: _Table | None, envs: tuple[EnvironmentConfig, ...]) -> SandboxConfig:
        if t is None:
            return SandboxConfig()
        live: dict[str, str] = {}
        live_t = t.table("live")
        if live_t:
            for env_name in live_t.data:
                if env_name not in {e.name for e in envs}:
                    self.fail(live_t.path.key(env_name), "names no configured environment")
                live[env_name] = live_t.text(env_name, required=True)
            live_t.done()
        faults = []
        for f in t.tables("faults"):
            env = f.text("env")
            if env is not None and env not in {e.name for e in envs}:
                self.fail(f.path.key("env"), f"names no configured environment: {env!r}")
            faults.append(
                SandboxFault(
                    kind=f.choice("kind", FAULT_KINDS),
                    version=f.text("version"),
                    env=env,
                    after_seconds=f.num("after_seconds", 60.0),
                    peak_error_rate=f.num("peak_error_rate", 0.12),
                    rollout_seconds=f.num("rollout_seconds", 120.0),
                )
            )
            f.done()
        cfg = SandboxConfig(
            time_scale=t.num("time_scale", 1.0, minimum=0.001),
            rollout_seconds=t.num("rollout_seconds", 20.0),
            replicas=t.num("replicas", 3, minimum=1, integer=True),
            baseline_error_rate=t.num("baseline_error_rate", 0.004),
            registry_tags=t.texts("registry_tags"),
            live=live,
            faults=tuple(faults),
        )
        t.done()
        return cfg

    def _readiness(self, t: _Table | None) -> ReadinessConfig:
        if t is None:
            return ReadinessConfig()
        cfg = ReadinessConfig(
            drill_max_age_days=t.num("drill_max_age_days", 30, minimum=1, integer=True),
            runbooks=t.texts("runbooks", ReadinessConfig.runbooks),
        )
        t.done()
        return cfg


def load_config(path: Path) -> Config:
    """Read and validate a config file; every problem is one ConfigError line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; pass --config or set RELUI_CONFIG") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)"; lift the line to the front.
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        if found:
            detail = message[: found.start()].strip()
            raise ConfigError(f"{path}:{found.group(1)}: invalid TOML: {detail}") from None
        raise ConfigError(f"{path}: invalid TOML: {message}") from None
    return _Reader(path, text).read(data)


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
