"""The sandbox backend: every port, played out in a simulated world.

It is relui's embedded default: the shipped config runs a whole release day
on it with no cluster and no cloud account. The world lives in the state dir
(``sandbox_world``) and behaves by ``sandbox_sim``; the classes here are thin
port implementations over the two.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from relui.adapters.sandbox_sim import EnvSim
from relui.adapters.sandbox_world import SandboxWorld, World, iso, parse
from relui.config import EnvironmentConfig
from relui.domain import (
    Color,
    ColorState,
    CredentialInfo,
    CredentialKind,
    DbSnapshot,
    LockInfo,
    MetricKind,
    ReleaseValues,
    Revision,
    Series,
    SmokeResult,
)
from relui.ports import LockHeld, NotFound, PortError, SourceUnavailable

LEASE_SECONDS = 300.0


class _SandboxPort:
    """Shared plumbing: the world, the environment's config and its simulation."""

    def __init__(self, world: SandboxWorld, env: EnvironmentConfig) -> None:
        self.world = world
        self.env = env
        self.sandbox = world.config.sandbox

    def sim(self, world: World | None = None) -> EnvSim:
        world = world or self.world.read()
        tags = {entry["tag"] for entry in world["registry"]}
        return EnvSim(
            self.env.name, self.env.release, self.sandbox, self.world.env(world, self.env.name)["revisions"], tags
        )


class SandboxCluster(_SandboxPort):
    """Pods, the live selector and the operator lock of one sandbox environment."""

    def color_states(self) -> dict[Color, ColorState]:
        sim, now = self.sim(), self.world.clock.now()
        return {color: sim.color_state(color, now) for color in Color}

    def observed_active_color(self) -> Color | None:
        rev = self.sim().revision_at(self.world.clock.now())
        return Color(rev["values"]["active"]) if rev else None

    def warning_events(self, color: Color) -> list[str]:
        events = []
        for pod in self.sim().pods(color, self.world.clock.now()):
            if pod.reason == "CrashLoopBackOff":
                events.append(f"BackOff: back-off restarting failed container app in pod {pod.name}")
            elif pod.reason == "ImagePullBackOff":
                events.append(f"Failed: failed to pull image app:{pod.version}: not found in registry ({pod.name})")
        return events

    def lock(self) -> LockInfo | None:
        raw = self.world.env(self.world.read(), self.env.name)["lock"]
        return self._live_lock(raw)

    def _live_lock(self, raw: dict[str, Any] | None) -> LockInfo | None:
        if not raw:
            return None
        renewed = parse(raw["renewed"])
        if self.world.clock.now() - renewed > timedelta(seconds=LEASE_SECONDS):
            return None  # abandoned: the lease expired
        return LockInfo(raw["holder"], parse(raw["since"]), renewed)

    def acquire_lock(self, holder: str) -> LockInfo:
        now = self.world.clock.now()
        with self.world.transaction() as world:
            env = self.world.env(world, self.env.name)
            current = self._live_lock(env["lock"])
            if current and current.holder != holder:
                raise LockHeld(current)
            since = current.since if current else now
            env["lock"] = {"holder": holder, "since": iso(since), "renewed": iso(now)}
        return LockInfo(holder, since, now)

    def release_lock(self, holder: str) -> None:
        with self.world.transaction() as world:
            env = self.world.env(world, self.env.name)
            if env["lock"] and env["lock"]["holder"] == holder:
                env["lock"] = None


class SandboxReleases(_SandboxPort):
    """A helm-like release: revisions with values and descriptions."""

    def values(self) -> ReleaseValues:
        rev = self.sim().revision_at(self.world.clock.now())
        if rev is None:
            raise NotFound(f"release {self.env.release} has no revision yet")
        return _values(rev["values"])

    def _upgrade(self, description: str, change: Any) -> Revision:
        now = self.world.clock.now()
        with self.world.transaction() as world:
            revisions = self.world.env(world, self.env.name)["revisions"]
            latest = max(revisions, key=lambda r: r["number"])
            values = change(dict(latest["values"]))
            for rev in revisions:
                if rev["status"] == "deployed":
                    rev["status"] = "superseded"
            # A world clock may repeat a moment (tests); keep revisions ordered in time.
            updated = max(now, parse(latest["updated"]))
            new = {
                "number": latest["number"] + 1,
                "status": "deployed",
                "description": description,
                "updated": iso(updated),
                "values": values,
            }
            revisions.append(new)
        return _revision(new)

    def deploy(self, color: Color, version: str, description: str) -> Revision:
        def change(values: dict[str, Any]) -> dict[str, Any]:
            values[color] = version
            values[f"{color}_enabled"] = True
            return values

        return self._upgrade(description, change)

    def set_active(self, color: Color, description: str) -> Revision:
        def change(values: dict[str, Any]) -> dict[str, Any]:
            if not values.get(f"{color}_enabled"):
                raise PortError(f"cannot route traffic to {color}: it has no deployment; deploy a version to it first")
            values["active"] = str(color)
            return values

        return self._upgrade(description, change)

    def install(self, color: Color, version: str, description: str) -> Revision:
        """First install: ``color`` runs ``version`` and is live; refused once the release has a revision.

        An environment whose ``revisions`` list is empty is a release that was never installed.
        """
        other = Color.GREEN if color is Color.BLUE else Color.BLUE
        with self.world.transaction() as world:
            revisions = self.world.env(world, self.env.name)["revisions"]
            if revisions:
                raise PortError(
                    f"release {self.env.release} already exists in {self.env.name}; "
                    f"deploy to it with: relui deploy {self.env.name} VERSION"
                )
            new = {
                "number": 1,
                "status": "deployed",
                "description": description,
                "updated": iso(self.world.clock.now()),
                "values": {
                    "active": str(color),
                    str(color): version,
                    str(other): None,
                    f"{color}_enabled": True,
                    f"{other}_enabled": False,
                },
            }
            revisions.append(new)
        return _revision(new)

    def rollback(self, revision: int, description: str) -> Revision:
        target = next((r for r in self.history() if r.number == revision), None)
        if target is None or target.values is None:
            raise NotFound(f"release {self.env.release} has no revision {revision}; see relui journal or the history")
        old = target.values
        return self._upgrade(
            description,
            lambda _values: {
                "active": str(old.active_color),
                "blue": old.blue_tag,
                "green": old.green_tag,
                "blue_enabled": old.blue_enabled,
                "green_enabled": old.green_enabled,
            },
        )

    def history(self) -> list[Revision]:
        revisions = self.world.env(self.world.read(), self.env.name)["revisions"]
        return [_revision(r) for r in sorted(revisions, key=lambda r: -r["number"])]


def _values(raw: dict[str, Any]) -> ReleaseValues:
    return ReleaseValues(
        active_color=Color(raw["active"]),
        blue_tag=raw["blue"],
        green_tag=raw["green"],
        blue_enabled=bool(raw.get("blue_enabled")),
        green_enabled=bool(raw.get("green_enabled")),
    )


def _revision(raw: dict[str, Any]) -> Revision:
    return Revision(raw["number"], raw["status"], raw["description"], parse(raw["updated"]), _values(raw["values"]))


# The alerting rules a real Prometheus would load for a release; the sandbox pretends they are loaded.
SIMULATED_ALERT_RULES = ("ReleaseErrorRateHigh", "ReleaseLatencyHigh", "PodCrashLooping", "MetricsAbsent")


class SandboxMetrics(_SandboxPort):
    """Error rate, request rate and latency computed from the simulated traffic."""

    def __init__(self, world: SandboxWorld, env: EnvironmentConfig) -> None:
        super().__init__(world, env)
        # The world the series below were worked out in, and they by (kind, minutes, step, last step, tz).
        self._series_memo: tuple[World, dict[tuple[Any, ...], dict[Color, Series]]] | None = None

    def kinds(self) -> tuple[MetricKind, ...]:
        return tuple(MetricKind)

    def rules_loaded(self) -> int:
        """The simulated alerting rules; none answer while the metrics are down."""
        self._check_answering(self.sim())
        return len(SIMULATED_ALERT_RULES)

    def _check_answering(self, sim: EnvSim) -> None:
        rev = sim.revision_at(self.world.clock.now())
        versions = [rev["values"][c] for c in Color] if rev else []
        for fault in self.sandbox.faults:
            if fault.kind != "metrics_down" or fault.env not in (None, self.env.name):
                continue
            if fault.version is None or fault.version in versions:
                raise SourceUnavailable("prometheus (sandbox) did not answer: connection refused")

    def current(self, kind: MetricKind) -> dict[Color, float | None]:
        sim = self.sim()
        self._check_answering(sim)
        now = self.world.clock.now()
        return {color: sim.value(kind, color, now) for color in Color}

    def series(self, kind: MetricKind, minutes: int, step_seconds: int) -> dict[Color, Series]:
        """Both colors' series; the same objects again until the world changes or a step goes by.

        A series is a pure function of the world and its sample times, which
        are whole steps: a dashboard refreshing every 2 s over 30 s steps
        asked for the same 60 points 14 times out of 15, and working them out
        was over half of a sandbox reading's CPU.
        """
        world = self.world.read()
        sim = self.sim(world)
        self._check_answering(sim)
        now = self.world.clock.now()
        key = (kind, minutes, step_seconds, int(now.timestamp()) // step_seconds, now.tzinfo)
        memo = self._series_memo
        if memo is not None and memo[0] is world and key in memo[1]:
            return memo[1][key]
        answer = {color: sim.series(kind, color, now, minutes, step_seconds) for color in Color}
        kept = memo[1] if memo is not None and memo[0] is world else {}
        # One answer kept per question: the one for the step before is never asked for again.
        self._series_memo = (world, {**{k: v for k, v in kept.items() if k[:3] != key[:3]}, key: answer})
        return answer


class SandboxRegistry(_SandboxPort):
    """One image repository shared by every sandbox environment."""

    def image_exists(self, tag: str) -> bool:
        return not self.sim().image_missing(tag)

    def recent_tags(self, limit: int = 10) -> list[str]:
        entries = sorted(self.world.read()["registry"], key=lambda e: e["pushed"], reverse=True)
        return [e["tag"] for e in entries[:limit]]

    def add_tag(self, source_tag: str, new_tag: str) -> None:
        now = self.world.clock.now()
        with self.world.transaction() as world:
            source = next((e for e in world["registry"] if e["tag"] == source_tag), None)
            if source is None:
                raise NotFound(f"image tag {source_tag} is not in the registry")
            world["registry"] = [e for e in world["registry"] if e["tag"] != new_tag]
            world["registry"].append({"tag": new_tag, "digest": source["digest"], "pushed": iso(now)})


class SandboxBackups(_SandboxPort):
    """Simulated database snapshots."""

    def latest_snapshot(self) -> DbSnapshot | None:
        snaps = self.world.env(self.world.read(), self.env.name)["snapshots"]
        if not snaps:
            return None
        found = [DbSnapshot(s["id"], parse(s["created"]), s["status"]) for s in snaps]
        return max(found, key=lambda s: (s.usable, s.created))  # as RDS: the newest usable one first

    def create_snapshot(self, identifier: str) -> DbSnapshot:
        now = self.world.clock.now()
        with self.world.transaction() as world:
            snaps = self.world.env(world, self.env.name)["snapshots"]
            snaps.append({"id": identifier, "created": iso(now), "status": "available"})
        return DbSnapshot(identifier, now)


class SandboxCredentials(_SandboxPort):
    """The sandbox acts as a role assumed through OIDC: temporary credentials."""

    def check(self) -> CredentialInfo:
        return CredentialInfo(
            CredentialKind.TEMPORARY,
            f"arn:aws:sts::000000000000:assumed-role/relui-sandbox/{self.env.name}",
            "sandbox: simulated web-identity session",
        )


class SandboxSmoke(_SandboxPort):
    """Smoke checks against a color's preview endpoint in the simulated world."""

    def run(self, color: Color) -> list[SmokeResult]:
        now = self.world.clock.now()
        state = self.sim().color_state(color, now)
        checks = [(c.name, c.path or " ".join(c.command or ())) for c in self.env.smoke] or [("health", "/healthz")]
        results = []
        for name, target in checks:
            if not state.enabled or state.version is None:
                results.append(SmokeResult(name, False, f"{color} has no deployment to check"))
            elif not state.all_ready:
                reason = state.worst_reason or "not ready"
                results.append(
                    SmokeResult(
                        name, False, f"{target} on {color}-preview: {state.ready}/{state.desired} pods ready ({reason})"
                    )
                )
            else:
                results.append(SmokeResult(name, True, f"{target} on {color}-preview answered 200"))
        return results
