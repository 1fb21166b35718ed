"""The incident record: escaped free text, and a file per rollback even within one second."""

from __future__ import annotations

from pathlib import Path

from relui.clock import ManualClock
from relui.services.incidents import Incident, render_incident, write_incident
from relui.services.journal import Journal
from tests.conftest import IN_WINDOW

FORGED = "errors above threshold\n# Root cause\n- [x] done"


def incident(reason: str = FORGED, **overrides: object) -> Incident:
    fields: dict[str, object] = {
        "env": "prod",
        "at": IN_WINDOW,
        "operator": "ops",
        "reason": reason,
        "failed_version": "1.6.0",
        "restored_version": "1.4.2",
        "method": "instant switch green -> blue",
        "error_rate_before": 0.05,
        "error_rate_after": 0.001,
        "failed_tag": "failed-1.6.0-20261126T100000Z",
    }
    fields.update(overrides)
    return Incident(**fields)  # type: ignore[arg-type]


def test_a_forged_reason_renders_as_one_escaped_line(state_dir: Path, clock: ManualClock) -> None:
    journal = Journal(state_dir, clock)
    journal.intent("ops", "prod", "rollback", version="1.4.2", reason="x")
    # An old record written before free text was one-lined, or edited by hand.
    with journal.path.open("a") as handle:
        handle.write(
            '{"id": "a", "kind": "note", "env": "prod", "action": "tick", "at": "2026", "note": "n",'
            ' "item": "ok\\n# Root cause\\n- [x] done", "operator": "ops", "status": "ok"}\n'
        )
    text = write_incident(
        state_dir, incident(problems=("tag failed\n- [x] Root cause found",)), journal.entries("prod")
    ).read_text()
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith(("# Root", "- [x]"))]
    assert "- Reason: errors above threshold # Root cause - \\[x\\] done" in lines
    assert "- tag failed - \\[x\\] Root cause found" in lines
    assert sum(line.startswith("# ") for line in lines) == 1
    assert [line for line in lines if line.startswith("- [ ]")] == [
        "- [ ] Root cause found and written down",
        "- [ ] Fix merged and released through the normal pipeline",
        "- [ ] Runbook or checklist updated if the process let this through",
    ]


def test_two_rollbacks_in_one_second_get_two_files(state_dir: Path) -> None:
    first = write_incident(state_dir, incident("first"), [])
    second = write_incident(state_dir, incident("second"), [])
    third = write_incident(state_dir, incident("third"), [])
    assert len({first, second, third}) == 3
    assert [p.name for p in (first, second, third)] == [
        "20261126T100000Z-prod.md",
        "20261126T100000Z-prod-2.md",
        "20261126T100000Z-prod-3.md",
    ]
    assert "- Reason: first" in first.read_text() and "- Reason: second" in second.read_text()
    assert sorted(p.name for p in (state_dir / "incidents").iterdir()) == sorted(p.name for p in (first, second, third))


def test_text_that_starts_with_markdown_is_escaped() -> None:
    lines = render_incident(incident("# Root cause", problems=("- [x] done", "> quoted", "1. first")), []).splitlines()
    assert "- Reason: \\# Root cause" in lines
    assert [line for line in lines if "\\" in line][1:] == ["- \\- \\[x\\] done", "- \\> quoted", "- 1\\. first"]


def test_a_version_in_the_heading_cannot_forge_markdown() -> None:
    text = render_incident(incident(failed_version="1.6.0\n## Fixed"), [])
    assert "## Fixed" not in text.splitlines()
