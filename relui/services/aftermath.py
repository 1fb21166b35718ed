"""A rollback and what follows it: switch back, tag the failed image, record, notify.

The switch is the part that matters; tagging, the incident record and the
notification are done after it and never undo it: their failures are
journaled and listed in the incident record instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from relui.domain import Color, MetricKind
from relui.ports import PortError
from relui.services.context import Context
from relui.services.guards import Facts
from relui.services.incidents import Incident, write_incident
from relui.services.journal import Journal
from relui.services.release_state import Placement
from relui.services.rollout import Emit, Progress


class Aftermath:
    """Carries one rollback through."""

    def __init__(
        self, ctx: Context, journal: Journal, facts: Facts, reason: str, notify: Callable[[str, str, str], list[str]]
    ) -> None:
        self.ctx = ctx
        self.journal = journal
        self.facts = facts
        self.reason = reason
        self.notify = notify
        self.ports = ctx.env_ports(facts.env.name)
        self.problems: list[str] = []

    def _error_rate(self, color: Color) -> float | None:
        """The color's error rate now; a dark or garbled source only makes it unknown."""
        if self.ports.metrics is None:
            return None
        try:
            return self.ports.metrics.current(MetricKind.ERROR_RATE).get(color)
        except Exception as exc:  # noqa: BLE001 - a rollback never depends on a metrics source
            self.problems.append(f"error rate unknown: {exc}")
            return None

    def record(
        self, target: Color, restoring: str | None, method: str, emit: Emit, failed: Placement | None = None
    ) -> str:
        """After the switch: tag what failed, write the incident, tell the team; returns the outcome line.

        ``restoring`` is the version the decision sent traffic back to, on ``target``. ``failed`` is
        what traffic left; by default what was live when the rollback was decided (a rollback
        finishing one that was cut off after its switch names it instead).
        """
        rel = self.facts.release
        assert rel is not None
        env = self.facts.env
        left = failed or rel.live
        failed_color, failed_version = left.color, left.version
        before = self.facts.live_error_rate if failed is None else None
        try:
            restored = self.ports.releases.values().tag(target)
        except PortError as exc:
            self.problems.append(f"restored version unread: {exc}")
            restored = None
        after = self._error_rate(target)
        # Values unread after the switch: what the decision sent traffic to says whether the version changed,
        # so a rollback between two colors of one version still tags no version failed.
        failed_tag = self._tag_failed(failed_version, restored or restoring, emit, again=failed is not None)
        incident = Incident(
            env=env.name,
            at=self.ctx.clock.now(),
            operator=self.ctx.operator_on(env.name),
            reason=self.reason,
            failed_version=failed_version,
            restored_version=restored,
            method=method,
            error_rate_before=before,
            error_rate_after=after,
            failed_tag=failed_tag,
            problems=tuple(self.problems),
        )
        try:
            timeline = self.journal.entries(env.name)[-30:]
            path = write_incident(self.ctx.state_dir, incident, timeline)
        except (OSError, PortError) as exc:
            incident_text = f"incident record NOT written ({exc})"
        else:
            incident_text = f"incident {path.name}"
            emit(Progress("incident", f"incident record: {path}"))
        moved = f"{failed_color} {failed_version} -> {target} {restored}"
        message = f"rolled back {env.name}: {moved} ({method}); {incident_text}"
        for failure in self.notify(f"relui: ROLLBACK on {env.title}", message, env.name):
            emit(Progress("notify", f"notification failed: {failure}"))
        return message

    def _tag_failed(self, failed: str | None, restored: str | None, emit: Emit, again: bool = False) -> str | None:
        """Keep the failed image findable: tag it failed-<version>-<UTC stamp> (once, when finishing)."""
        if not failed or failed == restored:
            return None
        if self.ports.registry is None:
            self.problems.append("no registry configured: failed image not tagged")
            return None
        if again:
            try:
                done = [t for t in self.ports.registry.recent_tags(100) if t.startswith(f"failed-{failed}-")]
            except PortError:
                done = []
            if done:
                return done[0]  # the cut-off rollback got that far
        tag = f"failed-{failed}-{self.ctx.clock.now():%Y%m%dT%H%M%SZ}"
        try:
            self.ports.registry.add_tag(failed, tag)
        except PortError as exc:
            self.problems.append(f"could not tag {failed} as {tag}: {exc}")
            with contextlib.suppress(PortError):  # listed in the incident's problems already
                self.journal.note(
                    self.ctx.operator_on(self.facts.env.name), self.facts.env.name, "tag", "failed", message=str(exc)
                )
            return None
        emit(Progress("tag", f"image {failed} tagged {tag}"))
        return tag
