"""Reading relui's TOML into the validated Config, strictly.

An unknown key, a wrong type, a missing field, a duplicate environment or a
bad placeholder raises ConfigError whose message is one line naming the
file, the line (where it can be found), the key path and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from relui.bundled import resolve_relative
from relui.config import (
    AUTO_CHECKS,
    DEFAULT_CHART,
    DEFAULT_CHECKLIST,
    DEFAULT_PERMISSIONS,
    ENV_KINDS,
    FAULT_KINDS,
    KEYMAP_IDS,
    PERMISSION_IDS,
    PHASES,
    PROMQL_PLACEHOLDERS,
    SIGN_OFF_ROLE,
    AwsConfig,
    CalendarConfig,
    ChecklistItem,
    ComposeConfig,
    Config,
    ConfigError,
    EnvironmentConfig,
    NotificationsConfig,
    PrometheusConfig,
    ReadinessConfig,
    SandboxConfig,
    SandboxFault,
    SmokeCheck,
    SmtpConfig,
    UiConfig,
)
from relui.config_calendar import read_calendar
from relui.config_team import read_identity, read_identity_mapping, read_records, read_signing
from relui.services.text import TAG, TAG_RULE
from relui.tomlpath import KeyPath, Table, locate

MaybeTag = TypeVar("MaybeTag", str, str | None)
# Names a command reads as a word of its own, not as an environment.
RESERVED_ENV_NAMES = {"verify": "`relui journal verify` (which would check every journal, not list this one)"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# A key as Textual names it: modifiers, then one letter or digit or a lower-case name ("f5",
# "question_mark", "left_square_bracket"). "[" itself is no key name: shown in the key line and
# the palette it was markup, and the palette crashed on it.
_KEY = re.compile(r"((ctrl|shift|alt|meta|super|hyper)\+)*([A-Za-z0-9]|[a-z][a-z0-9_]*)")


class ConfigReader:
    """Turns a TOML document into a Config, failing with one located line."""

    def __init__(self, path: Path, text: str) -> None:
        self.file = path
        self.text = text

    def fail(self, path: KeyPath, message: str, at: KeyPath | None = None) -> NoReturn:
        line = locate(self.text, path) or (locate(self.text, at) if at else None)
        where = f"{self.file}:{line}" if line else str(self.file)
        raise ConfigError(f"{where}: {path}: {message}")

    def read(self, data: dict[str, Any]) -> Config:
        root = Table(data, KeyPath(), self.fail)
        relui = root.table("relui")
        read_only = relui.flag("read_only") if relui else False
        if relui:
            relui.done()
        envs = self._environments(root)
        permissions = self._permissions(root.table("permissions"))
        roles = self._roles(root, permissions)
        keymap = self._keymap(root.table("keymap"))
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
            ui=self._ui(root.table("ui")),
            keymap=keymap,
            read_only=read_only,
            identity=read_identity_mapping(root.table("identity"), self.fail),
            signing=read_signing(root.table("signing")),
        )
        users = KeyPath().key("identity").key("users")
        for i, user in enumerate(config.identity.users):
            self.no_misspelt_role(users.index(i).key("roles"), user.roles or (), permissions)
        root.done()
        return config

    def _permissions(self, t: Table | None) -> dict[str, tuple[str, ...]]:
        """The defaults, overridden per action; an id no action checks is a typo that would grant nothing."""
        permissions = dict(DEFAULT_PERMISSIONS)
        if t is None:
            return permissions
        for action in t.data:
            if action not in PERMISSION_IDS:
                self.fail(t.path.key(action), f"unknown action; expected one of: {', '.join(PERMISSION_IDS)}")
            permissions[action] = t.texts(action)
        return permissions

    def _keymap(self, t: Table | None) -> dict[str, str]:
        """Binding id -> keys; an unknown id would silently remap nothing."""
        keymap: dict[str, str] = {}
        if t is None:
            return keymap
        for binding in t.data:
            if binding not in KEYMAP_IDS:
                self.fail(t.path.key(binding), f"unknown binding id; expected one of: {', '.join(KEYMAP_IDS)}")
            keys = t.text(binding, required=True)
            if not all(_KEY.fullmatch(key) for key in keys.split(",")):
                self.fail(
                    t.path.key(binding),
                    f'expected keys like "D", "D,ctrl+d" or "left_square_bracket" (Textual key names), got {keys!r}',
                )
            keymap[binding] = keys
        return keymap

    def _environments(self, root: Table) -> tuple[EnvironmentConfig, ...]:
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
            if name in RESERVED_ENV_NAMES:
                self.fail(t.path.key("name"), f"{name!r} is a word of {RESERVED_ENV_NAMES[name]}; name it otherwise")
            t.path = t.path.named(name)
            envs.append(self._environment(t, name))
            t.done()
        return tuple(envs)

    def _environment(self, t: Table, name: str) -> EnvironmentConfig:
        kind = t.choice("kind", ENV_KINDS)
        prom = t.table("prometheus")
        aws = t.table("aws")
        compose = t.table("compose")
        records = t.table("records")
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
            chart=self._chart(t),
            kube_context=t.text("kube_context"),
            refresh_seconds=t.num("refresh_seconds", 5.0, minimum=0.2, maximum=3600),
            deploy_timeout_seconds=t.num("deploy_timeout_seconds", 300.0, above=0, maximum=3600),
            preview_url=self._preview_url(t),
            prometheus=self._prometheus(prom) if prom else None,
            aws=self._aws(aws) if aws else None,
            compose=self._compose(compose) if compose else None,
            records=read_records(records, self.fail) if records else None,
            smoke=tuple(self._smoke(s) for s in t.tables("smoke")),
            expected_peak_rps=t.num("expected_peak_rps", 0.0, minimum=0, maximum=10_000_000) or None,
            load_window_minutes=t.num("load_window_minutes", 10, minimum=1, maximum=1440, integer=True),
            bake_minutes=t.num("bake_minutes", 30, minimum=0, maximum=1440, integer=True),
            bake_breach_samples=t.num("bake_breach_samples", 3, minimum=1, maximum=1000, integer=True),
            auto_rollback=t.flag("auto_rollback"),
            identity=read_identity(t, t.table("identity"), self.fail, self.file.parent),
        )

    def _chart(self, t: Table) -> str:
        """The chart path; relui's own chart resolves to the shipped copy when the working dir has none."""
        chart: str = t.text("chart", DEFAULT_CHART, required="chart" in t.data)
        if chart != DEFAULT_CHART:
            return chart
        return resolve_relative(chart, Path.cwd(), "chart")

    def _preview_url(self, t: Table) -> str | None:
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

    def _promql(self, t: Table, key: str, required: bool = False) -> str | None:
        query: str | None = t.text(key, required=required, multiline=True)
        if query is None:
            return None
        for match in _PLACEHOLDER.finditer(query):
            if match.group(1) not in PROMQL_PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in PROMQL_PLACEHOLDERS)
                self.fail(t.path.key(key), f"unknown placeholder {match.group(0)} in PromQL; use {allowed}")
        return query

    def _prometheus(self, t: Table) -> PrometheusConfig:
        url = t.text("url", required=True)
        if not url.startswith(("http://", "https://")):
            self.fail(t.path.key("url"), f"expected an http:// or https:// URL, got {url!r}")
        cfg = PrometheusConfig(
            url=url,
            error_rate=self._promql(t, "error_rate", required=True) or "",
            request_rate=self._promql(t, "request_rate"),
            latency_p95=self._promql(t, "latency_p95"),
            error_threshold=t.num("error_threshold", 0.05, above=0, below=1),
            timeout_seconds=t.num("timeout_seconds", 5.0, above=0, maximum=3600),
        )
        t.done()
        return cfg

    def _aws(self, t: Table) -> AwsConfig:
        cfg = AwsConfig(
            region=t.text("region", required=True),
            profile=t.text("profile"),
            endpoint_url=t.text("endpoint_url"),
            ca_bundle=t.file("ca_bundle", self.file.parent),
            ecr_repository=t.text("ecr_repository"),
            rds_instance=t.text("rds_instance"),
            max_snapshot_age_hours=t.num("max_snapshot_age_hours", 24.0, above=0, maximum=8760),
        )
        t.done()
        return cfg

    def _compose(self, t: Table) -> ComposeConfig:
        cfg = ComposeConfig(
            file=t.text("file", required=True), service=t.text("service", required=True), project=t.text("project")
        )
        t.done()
        return cfg

    def _smoke(self, t: Table) -> SmokeCheck:
        path = t.text("path")
        command = t.texts("command", None, multiline=True) if "command" in t.data else None
        if (path is None) == (command is None):
            self.fail(t.path, "a smoke check needs exactly one of path (HTTP) or command")
        if command is not None and not command:
            # An empty list ran no command: the check fell back to an HTTP GET of / and passed.
            self.fail(t.path.key("command"), 'is empty: name the program and its arguments, e.g. ["./check.sh"]')
        if path is not None and not path.startswith("/"):
            self.fail(t.path.key("path"), f"expected a path starting with '/', got {path!r}")
        check = SmokeCheck(
            name=t.text("name", required=True),
            path=path,
            expect_status=t.num("expect_status", 200, minimum=100, maximum=599, integer=True),
            command=command,
            timeout_seconds=t.num("timeout_seconds", 10.0, above=0, maximum=3600),
        )
        t.done()
        return check

    def _roles(self, root: Table, permissions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        t = root.table("roles")
        if not t:
            return {}
        roles = {user: t.texts(user) for user in t.data}
        for user, held in roles.items():
            self.no_misspelt_role(t.path.key(user), held, permissions)
        t.done()
        return roles

    def no_misspelt_role(self, at: KeyPath, held: tuple[str, ...], permissions: dict[str, tuple[str, ...]]) -> None:
        """A role one letter or two off a role relui checks is a typo: it would grant nothing it was meant to.

        Other names stay allowed: a team's own role (an attestation needs only some role).
        """
        checked = sorted({role for allowed in permissions.values() for role in allowed} | {SIGN_OFF_ROLE})
        for role in held:
            if role in checked:
                continue
            import difflib  # only for a role relui does not check: start-up need not pay for it

            close = difflib.get_close_matches(role, checked, n=1, cutoff=0.8)
            if close:
                self.fail(
                    at, f"unknown role {role!r}; did you mean {close[0]!r}? roles relui checks: {', '.join(checked)}"
                )

    def _calendar(self, t: Table | None) -> CalendarConfig:
        return CalendarConfig() if t is None else read_calendar(t)

    def _notifications(self, t: Table | None) -> NotificationsConfig:
        if t is None:
            return NotificationsConfig()
        smtp_t = t.table("smtp")
        smtp = None
        if smtp_t:
            smtp = SmtpConfig(
                host=smtp_t.text("host", required=True),
                port=smtp_t.num("port", 587, minimum=1, maximum=65535, integer=True),
                starttls=smtp_t.flag("starttls", True),
                username=smtp_t.text("username"),
                password_env=self._env_name(smtp_t, "password_env"),
                sender=smtp_t.text("sender", required=True),
                recipients=smtp_t.texts("recipients", None),
                timeout_seconds=smtp_t.num("timeout_seconds", 10.0, above=0, maximum=3600),
            )
            smtp_t.done()
        cfg = NotificationsConfig(
            slack_webhook_env=self._env_name(t, "slack_webhook_env"),
            smtp=smtp,
            timeout_seconds=t.num("timeout_seconds", 10.0, above=0, maximum=3600),
        )
        t.done()
        return cfg

    def _env_name(self, t: Table, key: str) -> str | None:
        """A secret is named by environment variable; a literal secret is refused."""
        name: str | None = t.text(key)
        if name is not None and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            self.fail(
                t.path.key(key),
                "expected the NAME of an environment variable (like RELUI_SLACK_WEBHOOK), never the secret itself",
            )
        return name

    def _checklist(self, t: Table | None) -> tuple[ChecklistItem, ...]:
        if t is None:
            return DEFAULT_CHECKLIST
        items: list[ChecklistItem] = []
        for it in t.tables("items"):
            auto = it.text("auto")
            if auto is not None and auto not in AUTO_CHECKS:
                self.fail(it.path.key("auto"), f"expected one of {', '.join(AUTO_CHECKS)}, got {auto!r}")
            command = it.texts("command", None, multiline=True) if "command" in it.data else None
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

    def _sandbox(self, t: Table | None, envs: tuple[EnvironmentConfig, ...]) -> SandboxConfig:
        if t is None:
            return SandboxConfig()
        live: dict[str, str] = {}
        live_t = t.table("live")
        if live_t:
            for env_name in live_t.data:
                if env_name not in {e.name for e in envs}:
                    self.fail(live_t.path.key(env_name), "names no configured environment")
                live[env_name] = self._tag(live_t, env_name, live_t.text(env_name, required=True))
            live_t.done()
        faults = []
        for f in t.tables("faults"):
            env = f.text("env")
            if env is not None and env not in {e.name for e in envs}:
                self.fail(f.path.key("env"), f"names no configured environment: {env!r}")
            faults.append(
                SandboxFault(
                    kind=f.choice("kind", FAULT_KINDS),
                    version=self._tag(f, "version", f.text("version")),
                    env=env,
                    after_seconds=f.num("after_seconds", 60.0, minimum=0, maximum=86400),
                    peak_error_rate=f.num("peak_error_rate", 0.12, minimum=0, maximum=1),
                    rollout_seconds=f.num("rollout_seconds", 120.0, minimum=0, maximum=3600),
                )
            )
            f.done()
        cfg = SandboxConfig(
            time_scale=t.num("time_scale", 1.0, minimum=0.001, maximum=1000),
            rollout_seconds=t.num("rollout_seconds", 20.0, minimum=0, maximum=3600),
            replicas=t.num("replicas", 3, minimum=1, maximum=1000, integer=True),
            baseline_error_rate=t.num("baseline_error_rate", 0.004, minimum=0, below=1),
            registry_tags=tuple(self._tag(t, "registry_tags", tag) for tag in t.texts("registry_tags")),
            live=live,
            faults=tuple(faults),
        )
        t.done()
        return cfg

    def _tag(self, t: Table, key: str, value: MaybeTag) -> MaybeTag:
        """``value`` when it is an image tag (or None); the sandbox deploys it, so a bad one fails here, by line."""
        if value is not None and TAG.fullmatch(value) is None:
            self.fail(t.path.key(key), f"{value!r} is not an image tag: {TAG_RULE}")
        return value

    def _default_runbooks(self) -> tuple[str, ...]:
        """The runbooks next to the config, else the ones relui ships (a wheel has no docs/ beside the config)."""
        base = self.file.parent
        return tuple(resolve_relative(name, base, "docs", Path(name).name) for name in ReadinessConfig.runbooks)

    def _readiness(self, t: Table | None) -> ReadinessConfig:
        if t is None:
            return ReadinessConfig(runbooks=self._default_runbooks())
        cfg = ReadinessConfig(
            drill_max_age_days=t.num("drill_max_age_days", 30, minimum=1, maximum=3650, integer=True),
            runbooks=t.texts("runbooks", None) if "runbooks" in t.data else self._default_runbooks(),
        )
        t.done()
        return cfg

    def _ui(self, t: Table | None) -> UiConfig:
        """The theme is a name (the TUI says so if no theme has it); ascii a flag."""
        if t is None:
            return UiConfig()
        theme = t.text("theme")
        if theme is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", theme):
            self.fail(t.path.key("theme"), f'expected a theme name like "relui-high-contrast", got {theme!r}')
        cfg = UiConfig(theme=theme, ascii=t.flag("ascii"))
        t.done()
        return cfg
