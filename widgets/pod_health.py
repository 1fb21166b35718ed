"""Pod health of one color: version, role, ready/desired, restarts, the worst reason."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from relui.domain import Color, ColorState

LIVE = "live"
CANDIDATE = "candidate"
IDLE = "idle"


def summary(state: ColorState, role: str, wide: bool = True) -> Text:
    """The color's lines: role and version, then pods, then the reason to look at.

    The live color says ``*live*`` in words so NO_COLOR terminals keep the signal.
    Narrow columns drop what the pods line already says (``not ready``).
    """
    marker = {LIVE: "*live*", CANDIDATE: "cand"}.get(role, "idle")
    head = Text.assemble((f"{state.color} ", f"bold {state.color}"), (marker, "bold" if role == LIVE else ""))
    if not state.enabled:
        head.append(" down" if not state.version else f" {state.version} down")
        return head
    head.append(f" {state.version or '-'}")
    if role == LIVE and state.revision is not None:
        head.append(f" r{state.revision}", "dim")
    elif role != LIVE and (state.all_ready or wide):
        head.append(" warm" if state.all_ready else " not ready", "" if state.all_ready else "bold")
    pods = Text(f"\n {state.ready}/{state.desired} ready  {state.restarts} restarts")
    if not state.all_ready:
        pods.stylize("bold")
    head.append_text(pods)
    reason = state.worst_reason
    if reason:
        count = sum(1 for p in state.pods if p.reason == reason)
        pods_text = f" ({count} pod{'s' if count != 1 else ''})" if wide else (f" x{count}" if count > 1 else "")
        head.append(f"\n ! {reason}{pods_text}", "bold red")
    return head


def pod_lines(state: ColorState) -> Text:
    """One line per pod, for wide terminals: name, phase, ready, restarts, reason."""
    text = Text()
    for pod in state.pods:
        # A ready pod is Running by definition; an unready one says its phase and reason instead.
        status = "ready" if pod.ready else " ".join(filter(None, ("NOT READY", pod.phase, pod.reason)))
        text.append(f"  {pod.name} {status}, restarts {pod.restarts}\n", "" if pod.ready else "bold")
    text.rstrip()
    return text


class PodHealthPanel(Vertical):
    """The pods of one color in an environment column.

    The per-pod list is hidden on narrow terminals by the dashboard CSS
    (``Screen.-narrow .pod-list``); the detail screen has the full table.
    """

    DEFAULT_CSS = """
    PodHealthPanel {
        height: auto;
    }
    PodHealthPanel > Static {
        height: auto;
    }
    PodHealthPanel > .pod-list.-empty {
        display: none;
    }
    """

    def __init__(self, color: Color, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"pod-health -{color}")
        self.color = color

    def compose(self) -> ComposeResult:
        """Summary lines, then the per-pod list."""
        yield Static(f"{self.color} -", classes="pod-summary", markup=False)
        yield Static("", classes="pod-list", markup=False)

    def show(self, state: ColorState | None, role: str, problem: str | None = None, *, wide: bool = True) -> None:
        """Draw the color's state; ``problem`` (cluster unreadable) replaces it."""
        head, pods = self.query_one(".pod-summary", Static), self.query_one(".pod-list", Static)
        if problem is not None:
            head.update(Text(f"{self.color} unavailable: {problem.partition('unavailable: ')[2] or problem}"))
            pods.update("")
            pods.add_class("-empty")
            return
        if state is None:
            head.update(f"{self.color} -")
            pods.update("")
            pods.add_class("-empty")
            return
        head.update(summary(state, role, wide))
        pods.update(pod_lines(state))
        pods.set_class(not state.pods, "-empty")
