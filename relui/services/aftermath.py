"""A rollback and what follows it: switch back, tag the failed image, record, notify.

The switch is the part that matters; tagging, the incident record and the
notification are done after it and never undo it: their failures are
journaled and listed in the incident record instead.
"""

from __future__ import annotations

from collections.abc import Callable

from relui.domain import Color, MetricKind
from relui.ports import PortError
from relui.services.context import Context
from relui.services.guards import Facts
from relui.services.incidents import Incident, write_incident
from relui.services.journal import Journal
from relui.services.rollout import Emit, Progress, RolloutWatch


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
        if self.ports.metrics is None:
            return None
        try:
            return self.ports.metrics.current(MetricKind.ERROR_RATE).get(color)
        except PortError as exc:
            self.problems.append(f"error rate unavailable: {exc}")
            return None

    def roll_back(
        self, to_revision: int | None, watch: RolloutWatch, describe: Callable[[str, str], str], emit: Emit
    ) -> str:
        """Do the rollback; returns the one-line outcome."""
        rel = self.facts.release
        assert rel is not None
        env = self.facts.env
        failed_color, failed_version = rel.live_color, rel.live_version
        before = self._error_rate(failed_color)
        if to_revision is None:
            target = rel.warm_color
            emit(Progress("switch", f"activeColor {failed_color} -> {target} (instant rollback)"))
            self.ports.releases.set_active(target, describe(f"rollback {failed_color}->{target}", self.reason))
            method = f"instant switch {failed_color} -> {target}"
        else:
            emit(Progress("switch", f"helm rollback {env.release} {to_revision}"))
            self.ports.releases.rollback(to_revision, describe(f"rollback to revision {to_revision}", self.reason))
            target = self.ports.releases.values().active_color
            method = f"helm rollback {env.release} {to_revision}"
        watch.verify_live(target, emit)
        restored = self.ports.releases.values().tag(target)
        after = self._error_rate(target)
        failed_tag = self._tag_failed(failed_version, restored, emit)
        incident = Incident(
            env=env.name,
            at=self.ctx.clock.now(),
            operator=self.ctx.operator,
            reason=self.reason,
            failed_version=failed_version,
            restored_version=restored,
            method=method,
            error_rate_before=before,
            error_rate_after=after,
            failed_tag=failed_tag,
            problems=tuple(self.problems),
        )
        timeline = self.journal.entries(env.name)[-30:]
        path = write_incident(self.ctx.state_dir, incident, timeline)
        emit(Progress("incident", f"incident record: {path}"))
        message = f"rolled back {env.name}: {failed_version} -> {restored} ({method}); incident {path.name}"
        for failure in self.notify(f"relui: ROLLBACK on {env.title}", message, env.name):
            emit(Progress("notify", f"notification failed: {failure}"))
        return message

    def _tag_failed(self, failed: str | None, restored: str | None, emit: Emit) -> str | None:
        """Keep the failed image findable: tag it failed-<version>-<UTC stamp>."""
        if not failed or failed == restored:
            return None
        if self.ports.registry is None:
            self.problems.append("no registry configured: failed image not tagged")
            return None
        tag = f"failed-{failed}-{self.ctx.clock.now():%Y%m%dT%H%M%SZ}"
        try:
            self.ports.registry.add_tag(failed, tag)
        except PortError as exc:
            self.problems.append(f"could not tag {failed} as {tag}: {exc}")
            self.journal.note(self.ctx.operator, self.facts.env.name, "tag", "failed", message=str(exc))
            return None
        emit(Progress("tag", f"image {failed} tagged {tag}"))
        return tag
