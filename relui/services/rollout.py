"""Watching a change land: pods becoming ready, smoke checks, the live selector moving.

Polling goes through the world's clock, so the sandbox's manual clock in tests
plays a rollout out at once, and a real cluster is polled once a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from relui.config import EnvironmentConfig
from relui.domain import Color, ColorState, SmokeResult
from relui.ports import Clock, EnvPorts
from relui.services.candidate import ReleaseState

POLL_SECONDS = 1.0
VERIFY_SECONDS = 15.0
# A pod restarting this often, or unable to pull its image this long, will not recover by waiting.
HOPELESS_RESTARTS = 3
HOPELESS_PULL = timedelta(seconds=45)


@dataclass(frozen=True)
class Progress:
    """One step of an action as it happens, for a log line or a progress bar."""

    step: str
    message: str
    done: int = 0
    total: int = 0


Emit = Callable[[Progress], None]


class ActionFailed(Exception):
    """The action ran and did not succeed; the message says what happened and what stayed safe."""

    def __init__(self, message: str, smoke: tuple[SmokeResult, ...] = ()) -> None:
        super().__init__(message)
        self.smoke = smoke


def _pods_line(state: ColorState) -> str:
    bad = [p for p in state.pods if not p.ready]
    shown = ", ".join(
        f"{p.name} {p.reason or p.phase}" + (f" ({p.restarts} restarts)" if p.restarts else "") for p in bad[:4]
    )
    return shown or "no pods"


class RolloutWatch:
    """Polls one environment's ports until a change has landed or cannot land."""

    def __init__(self, env: EnvironmentConfig, ports: EnvPorts, clock: Clock) -> None:
        self.env = env
        self.ports = ports
        self.clock = clock

    def wait_ready(self, color: Color, version: str, emit: Emit, live: ReleaseState | None = None) -> ColorState:
        """Wait until every pod of ``color`` runs ``version`` and is ready; fail fast on a hopeless rollout."""
        started = self.clock.now()
        deadline = started + timedelta(seconds=self.env.deploy_timeout_seconds)
        safe = f"; live traffic stays on {live.live_color} ({live.live_version})" if live else ""
        last = (-1, -1)
        while True:
            state = self.ports.cluster.color_states()[color]
            if (state.ready, state.desired) != last:
                last = (state.ready, state.desired)
                emit(
                    Progress(
                        "rollout",
                        f"{color} {version}: {state.ready}/{state.desired} pods ready",
                        state.ready,
                        state.desired,
                    )
                )
            if state.version == version and state.all_ready:
                return state
            reason = self._hopeless(state, self.clock.now() - started)
            if reason:
                raise ActionFailed(f"{color} {version} will not become ready ({reason}): {_pods_line(state)}{safe}")
            if self.clock.now() >= deadline:
                raise ActionFailed(
                    f"{color} {version} not ready after {self.env.deploy_timeout_seconds:.0f}s: "
                    f"{state.ready}/{state.desired} ready; {_pods_line(state)}{safe}"
                )
            self.clock.sleep(POLL_SECONDS)

    def _hopeless(self, state: ColorState, waited: timedelta) -> str | None:
        if not state.pods:
            return None
        if all(p.reason == "CrashLoopBackOff" and p.restarts >= HOPELESS_RESTARTS for p in state.pods):
            return "CrashLoopBackOff"
        if waited >= HOPELESS_PULL and all(p.reason in ("ImagePullBackOff", "ErrImagePull") for p in state.pods):
            return "ImagePullBackOff"
        return None

    def smoke(self, color: Color, emit: Emit) -> list[SmokeResult]:
        """Run the smoke checks against the color's preview endpoint and report each."""
        emit(Progress("smoke", f"smoke checks against {color}-preview"))
        results = self.ports.smoke.run(color)
        for result in results:
            emit(Progress("smoke", f"{'PASS' if result.passed else 'FAIL'} {result.name}: {result.detail}"))
        return results

    def verify_live(self, color: Color, emit: Emit) -> None:
        """Read the live selector back until it selects ``color``; fail loudly if it never does."""
        deadline = self.clock.now() + timedelta(seconds=VERIFY_SECONDS)
        while True:
            observed = self.ports.cluster.observed_active_color()
            if observed == color:
                emit(Progress("verify", f"live service selects {color}"))
                return
            if self.clock.now() >= deadline:
                raise ActionFailed(
                    f"live service still selects {observed or 'nothing'} after the upgrade: "
                    f"traffic did NOT move to {color}; "
                    f"check the live Service selector of {self.env.release} in {self.env.namespace}"
                )
            self.clock.sleep(POLL_SECONDS)
