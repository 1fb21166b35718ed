"""Pod health of one color, as words: a summary (version, role, ready/desired, the worst reason) and one line per pod.

A pod list shows only the lines it has room for: with more pods than lines
it shows a census (counts by state) and the worst pods first, so the cost of
drawing follows the terminal's height, not the replica count. The
environment column (widgets/env_column.py) draws these lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.text import Text

# The domain owns the order of alarming reasons; the list sorts by it rather than keeping a second copy.
from relui.domain import _REASON_RANK, Color, ColorState, PodHealth
from relui.widgets.column_data import CANDIDATE, LIVE
from relui.widgets.glyphs import UNICODE, Glyphs


def summary(
    state: ColorState,
    role: str,
    wide: bool = True,
    *,
    warm: bool = False,
    rolled_back: bool = False,
    glyphs: Glyphs = UNICODE,
    color_style: str | None = None,
) -> Text:
    """The color's lines: role and version, then pods, then the reason to look at.

    The role is a glyph and a word (``● live``, ``◆ cand``), so NO_COLOR and
    colour-blind readers keep the signal. ``warm`` is said only for the
    previous live color that still serves (the reader works that out); a
    ready candidate is ``ready``, a build rolled back from is marked failed.
    Narrow columns drop what the pods line already says (``not ready``).
    """
    marker = {LIVE: glyphs.live, CANDIDATE: glyphs.candidate}.get(role, glyphs.idle)
    head = Text.assemble(
        (f"{state.color} ", f"bold {color_style or state.color}"), (marker, "bold" if role == LIVE else "")
    )
    if not state.enabled:
        head.append(" down" if not state.version else f" {state.version} down")
        return head
    head.append(f" {state.version or '-'}")
    if role == LIVE and state.revision is not None:
        head.append(f" r{state.revision}", "dim")
    elif role != LIVE and rolled_back:
        head.append(f" {glyphs.failed} rolled back", "bold")
    elif role != LIVE and (state.all_ready or wide):
        word = ("warm" if warm else "ready") if state.all_ready else "not ready"
        head.append(f" {word}", "" if state.all_ready else "bold")
    # Narrow: "500/500 ready  0 restarts" would wrap in a 24-cell column; zero restarts go unsaid there.
    restarts = f"  {state.restarts} restarts" if wide or state.restarts else ""
    pods = Text(f"\n {state.ready}/{state.desired} ready{restarts}")
    if not state.all_ready:
        pods.stylize("bold")
    head.append_text(pods)
    reason = state.worst_reason
    if reason:
        count = sum(1 for p in state.pods if p.reason == reason)
        pods_text = f" ({count} pod{'s' if count != 1 else ''})" if wide else (f" x{count}" if count > 1 else "")
        head.append(f"\n {glyphs.failed} {reason}{pods_text}", "bold red")
    return head


def pod_state(pod: PodHealth) -> str:
    """A pod's state as the census counts it: ``ready``, its reason, ``Pending``, else ``not ready``."""
    if pod.ready:
        return "ready"
    return pod.reason or (pod.phase if pod.phase not in ("", "Running") else "not ready")


def _badness(pod: PodHealth) -> tuple[bool, int, int, str]:
    """Sort key, worst first: unready, then by the domain's reason order, then most restarts."""
    rank = _REASON_RANK.index(pod.reason) if pod.reason in _REASON_RANK else len(_REASON_RANK)
    return (pod.ready, rank, -pod.restarts, pod.name)


def census(pods: tuple[PodHealth, ...]) -> Text:
    """``500 pods: 2 CrashLoopBackOff, 498 ready``: what is wrong first, so a cut line keeps it."""
    counts = Counter(pod_state(p) for p in pods)
    ready = counts.pop("ready", 0)
    worst = {pod_state(p): _badness(p) for p in pods if not p.ready}
    parts = [f"{n} {state}" for state, n in sorted(counts.items(), key=lambda item: worst[item[0]])]
    if ready:
        parts.append(f"{ready} ready")
    return Text(f"{len(pods)} pods: {', '.join(parts)}", "bold" if counts else "")


def pod_line(pod: PodHealth, short: bool) -> Text:
    """One pod on one line: name (without ``release-color-`` when ``short``), state, restarts if any."""
    name = pod.name
    if short:
        _, sep, rest = name.partition(f"-{pod.color}-")
        name = rest if sep else name
    # A ready pod is Running by definition; an unready one says its phase and reason instead.
    status = "ready" if pod.ready else " ".join(filter(None, ("NOT READY", pod.phase, pod.reason)))
    restarts = f", {pod.restarts} restarts" if pod.restarts else ""
    return Text(f"{name} {status}{restarts}", "" if pod.ready else "bold")


def summary_of(
    color: Color,
    state: ColorState | None,
    role: str,
    problem: str | None = None,
    *,
    wide: bool = True,
    warm: bool = False,
    rolled_back: bool = False,
    glyphs: Glyphs = UNICODE,
    color_style: str | None = None,
) -> Text:
    """A color's summary as a column shows it: ``problem`` (cluster unreadable) replaces it; ``blue -`` unread."""
    if problem is not None:
        return Text(f"{color} unavailable: {problem.partition('unavailable: ')[2] or problem}")
    if state is None:
        return Text(f"{color} -")
    return summary(state, role, wide, warm=warm, rolled_back=rolled_back, glyphs=glyphs, color_style=color_style)


@dataclass(frozen=True)
class PodRoll:
    """The pods one color shows, and what stands in for them when they do not all fit.

    The worst-first order and the census are worked out once per reading
    (``of``), so drawing costs the lines drawn, not the replica count.
    """

    pods: tuple[PodHealth, ...] = ()
    worst_first: tuple[PodHealth, ...] = ()
    census: Text = field(default_factory=Text)

    @classmethod
    def of(cls, pods: tuple[PodHealth, ...], needle: str = "", previous: PodRoll | None = None) -> PodRoll:
        """The pods whose line holds ``needle`` (any case); ``previous`` is reused when they are the same pods."""
        needle = needle.lower()
        if needle:
            pods = tuple(p for p in pods if needle in pod_line(p, short=False).plain.lower())
        if previous is not None and previous.pods == pods:
            return previous
        return cls(pods, tuple(sorted(pods, key=_badness)), census(pods) if pods else Text())

    def lines(self, height: int, width: int) -> list[Text]:
        """The lines for a box of ``height`` x ``width``: every pod, or the census and the worst pods."""
        if height <= 0 or not self.pods:
            return []
        if len(self.pods) <= height:
            shown, lines = self.pods, []
        else:
            shown, lines = self.worst_first[: height - 1], [self.census]
        short = any(len(pod_line(p, short=False)) > width for p in shown)
        return lines + [pod_line(p, short) for p in shown]
