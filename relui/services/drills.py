"""Training drills: scripted sandbox scenarios in a throw-away state dir.

A drill copies the operator's configuration with every environment turned
into an unprotected sandbox (nothing real is touched, no notification
leaves), the release calendar always open, and the scenario's faults and
registry tags. The copy is written as ``config.toml`` into the drill's state
dir, so the same drill can be driven from the TUI or with plain CLI commands
(``relui --config DIR/config.toml --state-dir DIR deploy ...``).
"""

from __future__ import annotations

import json
import tempfile
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from relui.config import Config, load_config
from relui.ports import Clock, Ports
from relui.services import drill_goals as goals
from relui.services.context import Context
from relui.services.drill_goals import CANDIDATE, FIXED, LIVE, GoalCheck, VisibleAt
from relui.statedir import atomic_write, read_file

PortFactory = Callable[[Config, Path, Clock], Ports]
DRILL_FILE = "drill.json"
# Fast enough that a rollout or a spike plays out within a minute, slow enough to be watched.
TIME_SCALE = 3.0
OTHER_HOLDER = "alice@bastion-2"
STAND_IN_HOLDER = "bob@bastion-2"
# The other operator last renewed the lock this long ago; the sandbox lease (300 s) ends ~90 s in.
HOLDER_RENEWED_AGO = timedelta(seconds=210)


class DrillError(Exception):
    """A drill that cannot start or be read; the message says why and what to do."""


@dataclass(frozen=True)
class Scenario:
    """One drill: what goes wrong, what the operator is told, and what counts as done."""

    name: str
    summary: str
    briefing: str
    goal: GoalCheck
    faults: tuple[dict[str, Any], ...] = ()
    missing: tuple[str, ...] = ()
    visible: VisibleAt | None = None
    expected_force: frozenset[str] = frozenset()
    violations: Callable[[goals.DrillFacts], list[str]] | None = None
    lock_holder: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "error-spike",
            "a release whose error rate climbs after cutover: notice it and roll back",
            f"Release {CANDIDATE} to {{ENV}}: deploy it, smoke it, cut over. Then watch the error rate of the "
            f"live color. If it climbs past the threshold, roll back at once; the previous color is warm.",
            goals.error_spike_goal,
            faults=({"kind": "error_spike", "version": CANDIDATE, "after_seconds": 30.0, "peak_error_rate": 0.15},),
            visible=goals.error_spike_visible,
        ),
        Scenario(
            "crashloop",
            "a candidate that crash-loops: keep traffic where it is and deploy the fixed build",
            f"Deploy {CANDIDATE} to {{ENV}}. If the candidate does not come up, do not move traffic to it: "
            f"the team has a fixed build, {FIXED}; deploy that instead.",
            goals.crashloop_goal,
            faults=({"kind": "crashloop", "version": CANDIDATE},),
            visible=goals.crashloop_visible,
        ),
        Scenario(
            "missing-tag",
            "the registry is missing the image to release: do not force it",
            f"Release {CANDIDATE} to {{ENV}}; the build pipeline reported success. If the image is not in the "
            f"registry, do not force it: the pipeline team re-pushes the build as {FIXED}; release that.",
            goals.missing_tag_goal,
            missing=(CANDIDATE,),
        ),
        Scenario(
            "prometheus-dark",
            "Prometheus goes dark mid-release: do not cut over blind",
            f"Release {CANDIDATE} to {{ENV}}: deploy it and cut over, watching the dashboards. Decide what to do "
            f"if you cannot see the error rate; a forced step needs a reason the journal keeps.",
            goals.prometheus_dark_goal,
            faults=({"kind": "metrics_down", "version": CANDIDATE},),
            visible=goals.prometheus_dark_visible,
            expected_force=frozenset({"error-rate"}),
        ),
        Scenario(
            "lock-held",
            "another operator holds the lock: wait for it, do not work around it",
            f"Release {CANDIDATE} to {{ENV}}. {{HOLDER}} holds the {{ENV}} lock while finishing a database check; "
            f"her session ends in about a minute and a half. Do not act until the lock is free, then deploy.",
            goals.lock_held_goal,
            violations=goals.lock_held_violations,
            lock_holder=True,
        ),
    )
}


@dataclass
class DrillRun:
    """One drill being played: its scenario, its world and when it began."""

    id: str
    scenario: Scenario
    ctx: Context
    env: str
    started: datetime
    holder: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        """The throw-away state dir the drill plays in."""
        return self.ctx.state_dir

    @property
    def briefing(self) -> str:
        """What the operator is asked to do, with the environment and the other operator named."""
        return self.scenario.briefing.replace("{ENV}", self.env.upper()).replace("{HOLDER}", self.holder)

    def cli_prefix(self) -> str:
        """The global options that point plain relui commands at this drill."""
        return f"relui --config {self.state_dir / 'config.toml'} --state-dir {self.state_dir}"


def scenario(name: str) -> Scenario:
    """A scenario by name; DrillError lists the known ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise DrillError(f"no drill {name!r}; drills are: {', '.join(SCENARIOS)}") from None


def drill_env(config: Config) -> str:
    """The environment drills play on: the first protected one (PROD), else the last."""
    protected = [e.name for e in config.environments if e.protected]
    return protected[0] if protected else config.environments[-1].name


def drill_toml(config: Config, chosen: Scenario, env: str, operator: str) -> dict[str, Any]:
    """The operator's configuration turned into the drill's: sandbox only, always open, the scenario's faults."""
    try:
        data = tomllib.loads(config.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DrillError(f"cannot copy {config.path} for the drill: {exc}") from None
    # A drill must never reach a real system or person: no channels, no real clusters or clouds.
    for key in ("notifications", "permissions", "relui"):
        data.pop(key, None)
    calendar = data.get("calendar", {})
    calendar.pop("windows", None)
    calendar.pop("freezes", None)
    roles = data.setdefault("roles", {})
    roles[operator] = sorted({*roles.get(operator, []), "devops"})
    for table in data.get("environments", []):
        table["kind"] = "sandbox"
        table["protected"] = False
        # Nor the team's records: the drill's journal stays in its own dir, out of the real PROD audit trail.
        for key in ("prometheus", "aws", "compose", "kube_context", "preview_url", "records", "identity"):
            table.pop(key, None)
    names = [t["name"] for t in data.get("environments", [])]
    tags = [t for t in ("2.2.0", LIVE, CANDIDATE, FIXED) if t not in chosen.missing]
    data["sandbox"] = {
        "time_scale": TIME_SCALE,
        "rollout_seconds": 12.0,
        "replicas": 3,
        "registry_tags": tags,
        "live": dict.fromkeys(names, LIVE),
        "faults": [{**fault, "env": env} for fault in chosen.faults],
    }
    readiness = data.setdefault("readiness", {})
    base = config.path.parent
    readiness["runbooks"] = [str(base / r) for r in config.readiness.runbooks]
    return data


def start(
    source: Context,
    name: str,
    build_ports: PortFactory,
    out_dir: Path | None = None,
    clock: Clock | None = None,
) -> DrillRun:
    """Set up a drill's world from the operator's context: config copy, seeded world, drill record."""
    chosen = scenario(name)
    if out_dir is None:
        state_dir = Path(tempfile.mkdtemp(prefix=f"relui-drill-{name}-"))
    else:
        state_dir = out_dir
        if (state_dir / DRILL_FILE).exists():
            raise DrillError(f"{state_dir} already holds a drill; pick an empty directory")
        # The drill writes its own config.toml, journal and world there: never over someone's files.
        if state_dir.is_dir() and any(state_dir.iterdir()):
            raise DrillError(f"{state_dir} is not empty; play a drill in an empty or new directory")
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DrillError(f"cannot make the drill's directory {state_dir}: {exc.strerror}; pick another") from None
    env = drill_env(source.config)
    # Who is trained: the operator of the environment the drill rehearses, as its readiness review asks.
    operator = source.operator_on(env)
    config_path = state_dir / "config.toml"
    header = (
        f"# relui drill {name}: generated from {source.config.path}; every environment is a sandbox.\n"
        f"# Drive it with: relui --config {config_path} --state-dir {state_dir} COMMAND\n\n"
    )
    text = header + tomli_w.dumps(drill_toml(source.config, chosen, env, operator))
    atomic_write(config_path, text.encode("utf-8"))
    config = load_config(config_path)
    clock = clock or source.clock
    ctx = Context(config, state_dir, build_ports(config, state_dir, clock), operator)
    run = DrillRun(uuid.uuid4().hex[:12], chosen, ctx, env, clock.now())
    ctx.env_ports(env).releases.history()  # seed the world now, before the scenario changes it
    if chosen.lock_holder:
        run.holder = STAND_IN_HOLDER if OTHER_HOLDER.split("@")[0] == operator else OTHER_HOLDER
        past = _ShiftedClock(clock, -HOLDER_RENEWED_AGO)
        build_ports(config, state_dir, past).envs[env].cluster.acquire_lock(run.holder)
    record = {
        "id": run.id,
        "drill": name,
        "env": env,
        "operator": operator,
        "started": run.started.isoformat(),
        "holder": run.holder,
    }
    atomic_write(state_dir / DRILL_FILE, json.dumps(record, indent=1).encode())
    return run


def open_run(state_dir: Path, build_ports: PortFactory, clock: Clock) -> DrillRun:
    """A drill started earlier, read back from its state dir (to score it)."""
    try:
        record = json.loads(read_file(state_dir / DRILL_FILE))
    except FileNotFoundError:
        raise DrillError(f"{state_dir} holds no drill ({DRILL_FILE} missing); start one: relui drill NAME") from None
    except (OSError, ValueError) as exc:
        raise DrillError(f"{state_dir / DRILL_FILE} is unreadable: {exc}") from None
    config = load_config(state_dir / "config.toml")
    ctx = Context(config, state_dir, build_ports(config, state_dir, clock), str(record["operator"]))
    return DrillRun(
        str(record["id"]),
        scenario(str(record["drill"])),
        ctx,
        str(record["env"]),
        datetime.fromisoformat(str(record["started"])),
        str(record.get("holder", "")),
    )


class _ShiftedClock:
    """A clock running a fixed offset from another: the moment another operator last renewed a lock."""

    def __init__(self, clock: Clock, offset: timedelta) -> None:
        self.clock = clock
        self.offset = offset

    def now(self) -> datetime:
        """The other clock's time, shifted."""
        return self.clock.now() + self.offset

    def sleep(self, seconds: float) -> None:
        """Waits as the other clock waits."""
        self.clock.sleep(seconds)
