"""Pod lines and census: worst first, one line each; two pod lists sharing a column; quiet Static updates."""

from __future__ import annotations

from rich.text import Text

from relui.domain import Color, PodHealth
from relui.widgets.column_layout import share
from relui.widgets.pod_health import PodRoll, census, pod_line
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
    many = (*(pod(f"p{i:03}") for i in range(500)), pod("bad", False, "CrashLoopBackOff"))
    pods = PodRoll.of(many)
    lines = [str(line) for line in pods.lines(height=3, width=60)]
    assert lines == [
        "501 pods: 1 CrashLoopBackOff, 500 ready",
        "shop-blue-abc12-bad NOT READY Pending CrashLoopBackOff",
        "shop-blue-abc12-p000 ready",
    ]
    assert [str(line) for line in pods.lines(height=1, width=60)] == [lines[0]]
    # Every pod fits: in the reader's order, no census.
    few = PodRoll.of(many[-3:])
    assert [str(line) for line in few.lines(height=3, width=60)] == [
        "shop-blue-abc12-p498 ready",
        "shop-blue-abc12-p499 ready",
        "shop-blue-abc12-bad NOT READY Pending CrashLoopBackOff",
    ]


def test_a_filter_keeps_the_pods_whose_line_holds_it_and_reuses_an_unchanged_roll() -> None:
    many = (pod("a"), pod("b", False, "CrashLoopBackOff"), pod("c"))
    crashing = PodRoll.of(many, "crashloop")
    assert [p.name for p in crashing.pods] == ["shop-blue-abc12-b"]
    assert PodRoll.of(many, "CRASHLOOP", previous=crashing) is crashing  # nothing sorted or counted again


def test_the_pod_lists_share_the_spare_lines_as_fr_rows_with_a_max_height_would() -> None:
    assert share(9, [3, 3]) == [3, 3]  # both fit; the rest stays blank
    assert share(4, [3, 3]) == [2, 2]
    assert share(5, [30, 30]) == [2, 3]  # the first rounds down
    assert share(5, [1, 30]) == [1, 4]  # what one does not need goes to the other
    assert share(5, [0, 30]) == [0, 5]  # a color without pods takes no line
    assert share(0, [3, 3]) == [0, 0] and share(-2, [3, 3]) == [0, 0]


def test_same_content_compares_the_base_style_too() -> None:
    assert same_content(Text("lock free"), Text("lock free"))
    assert not same_content(Text("lock ops", "bold"), Text("lock ops"))
    assert not same_content("lock free", Text("lock free"))
