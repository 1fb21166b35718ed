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
from relui.ports import Clock, EnvPorts, PortError
from relui.services.release_state import ReleaseState

POLL_SECONDS = 1.0
# A rollout that makes no progress still says how long it has waited, this often.
STILL_WAITING_SECONDS = 5.0
VERIFY_SECONDS = 15.0
# Waiting reasons that will not clear by waiting: the rollout ends at the first poll that sees one.
HOPELESS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "Unschedulable")


@dataclass(frozen=True)
class Progress:
    """One step of an action as it happens, for a log line or a progress bar."""

    step: str
    message: str
    done: int = 0
    total: int = 0
    # A rollout's wait so far and its limit (deploy_timeout_seconds), in seconds; 0 when not a wait.
    elapsed: float = 0.0
    timeout: float = 0.0


Emit = Callable[[Progress], None]


class Aborted(Exception):
    """The action was asked to stop and stopped; the message says what was put back."""


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

    def __init__(
        self,
        env: EnvironmentConfig,
        ports: EnvPorts,
        clock: Clock,
        stop_requested: Callable[[], str | None] | None = None,
    ) -> None:
        self.env = env
        self.ports = ports
        self.clock = clock
        self.stop_requested = stop_requested or (lambda: None)

    def wait_ready(
        self, color: Color, version: str, emit: Emit, live: ReleaseState | None = None, abortable: bool = True
    ) -> ColorState:
        """Wait until every pod of ``color`` runs ``version`` and is ready; fail at the first hopeless poll."""
        started = self.clock.now()
        timeout = self.env.deploy_timeout_seconds
        deadline = started + timedelta(seconds=timeout)
        safe = f"; live traffic stays on {live.live_color} ({live.live_version})" if live else ""
        last = (-1, -1)
        told = started
        while True:
            stop = self.stop_requested() if abortable else None
            if stop:
                raise Aborted(f"{stop}; {color} {version} stopped at {max(last[0], 0)}/{max(last[1], 0)} ready")
            # An answer without the color is nothing seen yet: the wait goes on to its deadline.
            state = self.ports.cluster.color_states().get(color) or ColorState(color, None, False, 0, 0)
            now = self.clock.now()
            # Told on every change, and every few seconds while nothing changes: a stuck
            # rollout shows how long it has waited and how long it may, never a frozen 0%.
            if (state.ready, state.desired) != last or (now - told).total_seconds() >= STILL_WAITING_SECONDS:
                last, told = (state.ready, state.desired), now
                elapsed = (now - started).total_seconds()
                emit(
                    Progress(
                        "rollout",
                        f"{color} {version}: {state.ready}/{state.desired} pods ready"
                        f" ({elapsed:.0f} s of {timeout:.0f} s)",
                        state.ready,
                        state.desired,
                        elapsed,
                        timeout,
                    )
                )
            if state.version == version and state.all_ready:
                return state
            reason = self._hopeless(state, version)
            if reason:
                pods = f"{_pods_line(state)}{self._events(color)}"
                raise ActionFailed(f"{color} {version} will not become ready ({reason}): {pods}{safe}")
            if now >= deadline:
                raise ActionFailed(
                    f"{color} {version} not ready after {self.env.deploy_timeout_seconds:.0f}s: "
                    f"{state.ready}/{state.desired} ready; {_pods_line(state)}{safe}"
                )
            self.clock.sleep(POLL_SECONDS)

    def _hopeless(self, state: ColorState, version: str) -> str | None:
        stuck = [p.reason for p in state.pods if p.reason in HOPELESS and p.version in (None, version)]
        return stuck[0] if stuck else None

    def _events(self, color: Color) -> str:
        """The last warning event of the color's pods, when the cluster can say."""
        try:
            events = self.ports.cluster.warning_events(color)
        except PortError:
            return ""
        return f"; last event: {events[0]}" if events else ""

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
