"""The README's screenshot is the dashboard as it is: the frame a snapshot test checks, byte for byte."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "dashboard.svg"
SNAPSHOT = ROOT / "tests" / "tui" / "__snapshots__" / "test_snapshots" / "test_dashboard_120x36_both_colors_up.svg"


def test_the_readme_shows_the_dashboard_screenshot() -> None:
    assert "](docs/dashboard.svg)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert SCREENSHOT.read_text(encoding="utf-8").startswith("<svg")


def test_the_screenshot_is_the_frame_the_snapshot_test_checks() -> None:
    """After a snapshot update: cp the new 120x36 snapshot to docs/dashboard.svg."""
    assert SCREENSHOT.read_bytes() == SNAPSHOT.read_bytes(), f"copy {SNAPSHOT.relative_to(ROOT)} to docs/dashboard.svg"
