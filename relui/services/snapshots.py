"""Whether a database snapshot is a backup a release may rely on: the one judgement of the snapshot guard,
the checklist's automatic check and the readiness review.

Only an *available* snapshot is one a restore could start from: one still
being made, failing or being deleted is not, however fresh. A snapshot dated
ahead of this machine's clock by more than a little skew is not believed: a
wrong clock would make any backup look fresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from relui.domain import DbSnapshot

# How far a snapshot's time may run ahead of this machine's clock before it is not believed.
CLOCK_SKEW = timedelta(minutes=5)


def judge_snapshot(snapshot: DbSnapshot | None, now: datetime, max_age: timedelta) -> tuple[bool, str]:
    """(usable, one line saying why): available, not from the future, no older than ``max_age``."""
    if snapshot is None:
        return False, "no database snapshot found; take one before releasing"
    if not snapshot.usable:
        return False, f"the newest snapshot {snapshot.identifier} is {snapshot.status}, not available"
    age = now - snapshot.created
    if age < -CLOCK_SKEW:
        return False, (
            f"snapshot {snapshot.identifier} is dated {snapshot.created:%Y-%m-%d %H:%M} UTC, in the future; "
            "check this machine's clock and the snapshot"
        )
    hours = max(age.total_seconds(), 0) / 3600
    limit = max_age.total_seconds() / 3600
    return age <= max_age, f"{snapshot.identifier} is {hours:.1f}h old (limit {limit:g}h)"
