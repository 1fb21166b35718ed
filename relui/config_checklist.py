"""Checklist items, and the release plan's checklist relui uses when config has no ``[[checklist.items]]``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the release checklist."""

    id: str
    phase: str
    title: str
    auto: str | None = None
    command: tuple[str, ...] | None = None


DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("tests-passing", "pre-release", "All tests passing"),
    ChecklistItem("migrations-reviewed", "pre-release", "DB migrations reviewed and tested"),
    ChecklistItem("config-validated", "pre-release", "Configurations validated"),
    ChecklistItem("secrets-in-place", "pre-release", "Secrets and credentials in place"),
    ChecklistItem("observability", "pre-release", "Observability active", auto="metrics_answering"),
    ChecklistItem("backups-verified", "release-day", "Backups verified (DB snapshot)", auto="snapshot_age"),
    ChecklistItem("stakeholders-notified", "release-day", "Stakeholders notified"),
    ChecklistItem("smoke-green", "release-day", "Blue/green candidate passed smoke", auto="smoke_passed"),
    ChecklistItem("dashboards-watched", "release-day", "Dashboards being monitored"),
    ChecklistItem("previous-warm", "release-day", "Previous version kept warm", auto="previous_color_warm"),
    ChecklistItem("journeys-verified", "post-deployment", "Key user journeys verified (checkout, search, login)"),
    ChecklistItem(
        "no-error-spikes", "post-deployment", "No error spikes since cutover", auto="error_rate_since_cutover"
    ),
    ChecklistItem("release-announced", "post-deployment", "Release announced"),
)
