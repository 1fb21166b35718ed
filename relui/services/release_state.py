"""The one release state every decision reads: live, previous and candidate.

It is derived from the release history alone (helm history, or the
sandbox's revisions), so every machine that can read the cluster derives the
same value. A *traffic switch* is a revision whose live placement (active
color and the version it runs) differs from the revision before it; relui's
own upgrades carry a description (``relui cutover ...``, ``relui rollback
...``), which tells a cutover from a rollback.

- ``live``: the color taking traffic, the version it runs, since which revision.
- ``previous``: what was live just before the last switch, and the revision
  that last ran it (what ``--to-revision`` names). Whether it is still *warm*
  needs pod facts: see ``warm_previous``.
- ``candidate``: the version deployed to the idle color after the last switch,
  never live since. A *restore* (``relui restore revision N``: the idle color
  put back after a failed deploy) brings back what revision N's idle color
  was, candidate or not: putting back a version rolled back from does not
  make it a candidate again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from relui.domain import Color, ColorState, ReleaseValues, Revision

# Revisions that never took effect: they are not part of what ran.
_NOT_APPLIED = frozenset({"pending-install", "pending-upgrade", "pending-rollback", "uninstalling", "uninstalled"})
# Waiting reasons that mean a color cannot serve, whatever its ready count says.
NOT_SERVING = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "Unschedulable"}
)


# ``ActionRun.restore_idle``'s description, and the deploys and installs of ``ActionRun.describe``.
_RESTORE = re.compile(r"relui restore revision (?P<number>\d+) ")
# The operator is a relui name or a principal (no spaces); ": " starts the reason.
_DEPLOYED = re.compile(
    r"relui (?:deploy (?P<d>\S+) to (?:blue|green)|install (?P<i>\S+) on blue) by (?P<who>\S+?)(?:: |$)"
)


class SwitchKind(StrEnum):
    """How live traffic last moved."""

    INSTALL = "install"
    CUTOVER = "cutover"
    ROLLBACK = "rollback"
    OTHER = "other"  # an upgrade made outside relui (helm by hand)


@dataclass(frozen=True)
class Placement:
    """A version on a color, and the revision that (last) ran it there."""

    color: Color
    version: str | None
    revision: int | None = None

    def __str__(self) -> str:
        return f"{self.color} {self.version or '-'}"


@dataclass(frozen=True)
class Switch:
    """The last time live traffic moved."""

    revision: int
    at: datetime
    kind: SwitchKind


@dataclass(frozen=True)
class ReleaseState:
    """Live, previous and candidate of one environment's release."""

    live: Placement
    previous: Placement | None
    candidate: Placement | None
    last_switch: Switch | None
    base_revision: int | None  # the revision the next upgrade builds on
    idle_version: str | None  # what the idle color is configured to run, if enabled
    rolled_back_from: frozenset[str] = frozenset()  # versions a rollback moved traffic away from

    @property
    def idle_color(self) -> Color:
        """The color not taking live traffic."""
        return self.live.color.other

    @property
    def rolled_back(self) -> bool:
        """True when the last traffic switch was a rollback: a second one would swing back."""
        return self.last_switch is not None and self.last_switch.kind is SwitchKind.ROLLBACK

    @property
    def rollback_target(self) -> Placement | None:
        """Where an instant rollback may send traffic: the previous live, unless that was rolled back from."""
        if self.rolled_back or self.previous is None or self.previous.color == self.live.color:
            return None
        return self.previous

    # The names the rest of relui reads; each derives from the fields above.
    @property
    def live_color(self) -> Color:
        """The live color."""
        return self.live.color

    @property
    def live_version(self) -> str | None:
        """The live version."""
        return self.live.version

    @property
    def live_revision(self) -> int | None:
        """The revision in force (what ``helm history`` marks deployed)."""
        return self.base_revision

    @property
    def candidate_color(self) -> Color | None:
        """The candidate's color, if there is a candidate."""
        return self.candidate.color if self.candidate else None

    @property
    def candidate_version(self) -> str | None:
        """The candidate's version, if there is a candidate."""
        return self.candidate.version if self.candidate else None

    @property
    def release_version(self) -> str | None:
        """The version whose checklist is in play: the candidate, else what is live."""
        return self.candidate_version or self.live_version


def _switch_kind(description: str) -> SwitchKind:
    if description.startswith("relui cutover"):
        return SwitchKind.CUTOVER
    if description.startswith(("relui rollback", "relui auto-rollback")):
        return SwitchKind.ROLLBACK
    if description.startswith("relui install"):
        return SwitchKind.INSTALL
    return SwitchKind.OTHER


def _live_of(values: ReleaseValues) -> tuple[Color, str | None]:
    return values.active_color, values.tag(values.active_color)


def release_state(history: list[Revision], current: ReleaseValues) -> ReleaseState:
    """Work out live, previous and candidate from the history (any order) and the values in force."""
    applied = sorted(
        (r for r in history if r.values is not None and r.status not in _NOT_APPLIED), key=lambda r: r.number
    )
    live_color = current.active_color
    idle = live_color.other
    previous: Placement | None = None
    switch: Switch | None = None
    rolled_back_from: set[str] = set()
    idle_set = 0
    idle_set_at: dict[int, int] = {}  # revision -> the idle_set in force once it was applied
    before: tuple[int, ReleaseValues] | None = None
    for rev in applied:
        values = rev.values
        assert values is not None
        if before is None:
            switch = Switch(rev.number, rev.updated, SwitchKind.INSTALL)
        elif _live_of(values) != _live_of(before[1]):
            kind = _switch_kind(rev.description)
            old_color, old_version = _live_of(before[1])
            previous = Placement(old_color, old_version, before[0])
            switch = Switch(rev.number, rev.updated, kind)
            if kind is SwitchKind.ROLLBACK and old_version and old_version != values.tag(values.active_color):
                rolled_back_from.add(old_version)
        # The idle color (relative to today's live color) was set here: a deploy.
        changed = before is None or (values.tag(idle), values.enabled(idle)) != (
            before[1].tag(idle),
            before[1].enabled(idle),
        )
        restored = _RESTORE.match(rev.description)
        if restored:
            # Back to that revision's idle color, and to whether it was a candidate; unknown: not one.
            idle_set = idle_set_at.get(int(restored["number"]), 0)
        elif changed or (rev.description.startswith("relui deploy ") and f" to {idle}" in rev.description):
            idle_set = rev.number
        idle_set_at[rev.number] = idle_set
        before = (rev.number, values)
    last_switch_rev = switch.revision if switch else 0
    has_candidate = current.enabled(idle) and current.tag(idle) is not None and idle_set > last_switch_rev
    deployed = [r.number for r in applied if r.status == "deployed"]
    return ReleaseState(
        live=Placement(live_color, current.tag(live_color), last_switch_rev or None),
        previous=previous,
        candidate=Placement(idle, current.tag(idle), idle_set) if has_candidate else None,
        last_switch=switch,
        base_revision=deployed[-1] if deployed else (applied[-1].number if applied else None),
        idle_version=current.tag(idle) if current.enabled(idle) else None,
        rolled_back_from=frozenset(rolled_back_from),
    )


def deployers_in_history(history: tuple[Revision, ...] | list[Revision], version: str | None) -> frozenset[str]:
    """Who deployed (or installed) ``version``, by the release history's descriptions.

    The cluster-side trail of who deployed, beside the journal's
    (``journal.deployers_in``): a deployer who rewrites their state dir's
    journal is still named by every revision their deploy made.
    """
    if version is None:
        return frozenset()
    found = set()
    for rev in history:
        match = _DEPLOYED.match(rev.description)
        if match and version in (match["d"], match["i"]):
            found.add(match["who"])
    return frozenset(found)


def serving(state: ColorState | None, version: str | None) -> bool:
    """True when a color runs ``version`` on every desired pod, all ready, none stuck.

    This is the one test for "traffic may go here": ready == desired > 0 and no
    pod waiting in a reason that will not clear by itself.
    """
    if state is None or not state.all_ready or state.version != version:
        return False
    return not any(p.reason in NOT_SERVING for p in state.pods) and all(
        p.version in (None, version) for p in state.pods
    )


def warm_previous(rel: ReleaseState, colors: dict[Color, ColorState]) -> Placement | None:
    """The rollback target when it still runs its version with every pod ready, else None."""
    target = rel.rollback_target
    if target is None or rel.idle_version != target.version:
        return None
    return target if serving(colors.get(target.color), target.version) else None


def disagreements(values: ReleaseValues, colors: dict[Color, ColorState]) -> tuple[str, ...]:
    """Where the cluster reading contradicts the Helm release: a rendered color absent, or on another version.

    Helm creates or updates a rendered Deployment before its upgrade returns,
    and the Deployment's version is Helm's tag even while its pods roll. A
    reading that disagrees is another kube context or namespace, RBAC that
    filters the list, a change made behind Helm, or garbage; a guard that took
    it for "not warm" would let a deploy replace the only instant rollback
    target, so the pods are unknown instead.
    """
    found = []
    for color in Color:
        tag = values.tag(color)
        if not values.enabled(color) or tag is None:
            continue
        state = colors.get(color)
        if state is None or not state.enabled:
            found.append(f"Helm renders {color} {tag}, the cluster shows no {color} Deployment")
        elif state.version != tag:
            found.append(f"Helm renders {color} {tag}, the cluster's {color} Deployment runs {state.version or '?'}")
    return tuple(found)


def history_problem(history: list[Revision], current: ReleaseValues) -> str | None:
    """Why this history cannot be the one ``current`` came from, or None when it can.

    The values in force are those of the deployed revision, so a history that
    lists no deployed revision, or one whose values differ, is a garbled read or
    a release that changed between the two reads. Deciding on it would lose the
    last switch and with it the rollback target.
    """
    deployed = [r for r in history if r.status == "deployed"]
    if not deployed:
        return "the release history lists no deployed revision, though the release has values in force; read again"
    newest = max(deployed, key=lambda r: r.number)
    if newest.values is not None and newest.values != current:
        return f"the release changed while it was read (revision {newest.number}); read again"
    return None
