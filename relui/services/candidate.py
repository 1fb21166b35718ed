"""Which version is being released: the candidate on the idle color.

A candidate exists when the idle color was deployed *after* the last time
live traffic moved (its values changed, or relui's deploy description names
it). After a cutover or a rollback there is none until the next deploy, so a
repeated cutover can never swing traffic back by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from relui.domain import Color, ReleaseValues, Revision


@dataclass(frozen=True)
class ReleaseState:
    """The release as history tells it: live color and version, and the candidate if any."""

    live_color: Color
    live_version: str | None
    live_revision: int | None
    candidate_color: Color | None
    candidate_version: str | None
    warm_version: str | None = None

    @property
    def warm_color(self) -> Color:
        """The color that is not live (the candidate before a cutover, the previous after)."""
        return self.live_color.other

    @property
    def release_version(self) -> str | None:
        """The version whose checklist is in play: the candidate, else what is live."""
        return self.candidate_version or self.live_version


def release_state(history: list[Revision], current: ReleaseValues) -> ReleaseState:
    """Work out live and candidate from the revision history (newest first)."""
    ordered = sorted((r for r in history if r.values is not None), key=lambda r: r.number)
    live = current.active_color
    idle = live.other
    last_switch = 0
    idle_set = 0
    previous: ReleaseValues | None = None
    for rev in ordered:
        values = rev.values
        assert values is not None
        if previous is None or values.active_color != previous.active_color:
            last_switch = rev.number
        changed = previous is None or (values.tag(idle), values.enabled(idle)) != (
            previous.tag(idle),
            previous.enabled(idle),
        )
        # Re-deploying the version a color already runs changes no value, but is still a deploy.
        if changed or (rev.description.startswith("relui deploy ") and f" to {idle} " in rev.description):
            idle_set = rev.number
        previous = values
    has_candidate = current.enabled(idle) and current.tag(idle) is not None and idle_set > last_switch
    live_rev = next((r.number for r in reversed(ordered) if r.status == "deployed"), None)
    return ReleaseState(
        live_color=live,
        live_version=current.tag(live),
        live_revision=live_rev,
        candidate_color=idle if has_candidate else None,
        candidate_version=current.tag(idle) if has_candidate else None,
        warm_version=current.tag(idle) if current.enabled(idle) else None,
    )
