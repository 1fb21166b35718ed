"""Pod lines and census: worst first, one line each, and a Static that repaints only on change."""

from __future__ import annotations

from rich.text import Text

from relui.domain import Color, ColorState, PodHealth
from relui.widgets.pod_health import PodList, census, pod_line
from relui.widgets.quiet import same_content


def pod(name: str, ready: bool = True, reason: str | None = None, restarts: int = 0) -> PodHealth:
    return PodHealth(f"shop-blue-abc12-{name}", Color.BLUE, "Running" if ready else "Pending", ready, restarts, reason)


def test_census_puts_what_is_wrong_first() -> None:
    pods = (pod("a"), pod("b", False, "ContainerCreating"), pod("c", False, "CrashLoopBackOff"), pod("d"))
    assert str(census(pods)) == "4 pods: 1 CrashLoopBackOff, 1 ContainerCreating, 2 ready"


def test_a_pod_is_one_line_and_short_names_drop_release_and_color() -> None:
    line = pod_line(pod("xyz", False, "CrashLoopBackOff", restarts=4), short=True)
    assert str(line) == "abc12-xyz NOT READY Pending CrashLoopBackOff, 4 restarts"
    assert "\n" not in str(line)
    assert str(pod_line(pod("ok"), short=False)) == "shop-blue-abc12-ok ready"


def test_more_pods_than_lines_shows_the_census_and_the_worst() -> None:
    pods = PodList(Color.BLUE)
    many = (*(pod(f"p{i:03}") for i in range(500)), pod("bad", False, "CrashLoopBackOff"))
    pods.show(ColorState(Color.BLUE, "1.5.1", enabled=True, desired=501, ready=500, pods=many))
    lines = [str(line) for line in pods.visible_lines(height=3, width=60)]
    assert lines == [
        "501 pods: 1 CrashLoopBackOff, 500 ready",
        "shop-blue-abc12-bad NOT READY Pending CrashLoopBackOff",
        "shop-blue-abc12-p000 ready",
    ]
    assert [str(line) for line in pods.visible_lines(height=1, width=60)] == [lines[0]]


def test_same_content_compares_the_base_style_too() -> None:
    assert same_content(Text("lock free"), Text("lock free"))
    assert not same_content(Text("lock ops", "bold"), Text("lock ops"))
    assert not same_content("lock free", Text("lock free"))
