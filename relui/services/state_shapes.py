"""The shape relui writes its TOML state files in, and where a file read back is not that shape.

A state file can be valid TOML and still not be what relui wrote: a tick
that is a string, ``done = "false"``, ``records = 5``. Read as if it were,
it raised tracebacks or, worse, counted (``bool("false")`` is true). Each
reader asks its file's ``*_damage`` and reports the file as unreadable,
naming the key; a writer refuses instead of writing over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from relui.services.text import one_line

# What each table of a checklist file holds, as relui writes it: key -> the TOML type it must have.
_CHECKLIST_TOP: dict[str, type] = {"env": str, "version": str, "items": dict, "signoffs": list, "smoke": dict}
_TICK: dict[str, type] = {"done": bool, "by": str, "at": str, "note": str}
_SMOKE: dict[str, type] = {"color": str, "at": str, "passed": bool, "results": list}
_SMOKE_RESULT: dict[str, type] = {"name": str, "passed": bool, "detail": str}


def checklist_damage(state: dict[str, Any]) -> str | None:
    """Where a parsed checklist file is not the shape relui writes (a tick that is no table...), or None."""
    return next(_checklist_damages(state), None)


def _checklist_damages(state: dict[str, Any]) -> Iterator[str]:
    # Lazy: what comes after the first damage found (which may be the very table read next) is never looked at.
    yield from wrong_types(state, _CHECKLIST_TOP, "")
    for item, tick in state.get("items", {}).items():
        yield from wrong_type(tick, dict, f"items.{item}")
        yield from wrong_types(tick, _TICK, f"items.{item}.")
    for n, signoff in enumerate(state.get("signoffs", [])):
        yield from wrong_type(signoff, dict, f"signoffs[{n}]")
        yield from wrong_type(signoff.get("role"), str, f"signoffs[{n}].role")
    smoke = state.get("smoke")
    if smoke is not None:
        yield from wrong_types(smoke, _SMOKE, "smoke.", required=("color", "at", "passed"))
        for n, result in enumerate(smoke.get("results", [])):
            yield from wrong_type(result, dict, f"smoke.results[{n}]")
            yield from wrong_types(result, _SMOKE_RESULT, f"smoke.results[{n}].")


def wrong_types(
    table: dict[str, Any], types: dict[str, type], prefix: str, required: tuple[str, ...] = ()
) -> Iterator[str]:
    """Each key of ``table`` whose value is not of its type, and each required one that is missing."""
    for key, kind in types.items():
        if key in table or key in required:
            yield from wrong_type(table.get(key), kind, prefix + key)


def wrong_type(value: Any, kind: type, where: str) -> Iterator[str]:
    """That ``where`` is missing or of the wrong type, in TOML's words; nothing when ``value`` is a ``kind``."""
    if value is None:
        yield f"{where} is missing"
    elif not isinstance(value, kind):
        yield f"{where} is {toml_type(value)} ({shown(value)}), not {toml_type(kind)}"


def shown(value: Any) -> str:
    """A TOML value briefly, as it looks in the file."""
    if isinstance(value, bool):
        return str(value).lower()
    return one_line(repr(value) if isinstance(value, str) else str(value), limit=40)


def toml_type(value: Any) -> str:
    """A TOML value's type (or the type itself), as the TOML spec names it."""
    kind = value if isinstance(value, type) else type(value)
    return _TOML_TYPES.get(kind, "a date or time")


_TOML_TYPES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}


# The fields of a readiness record, each a string, as ``attestations.record`` writes them.
READINESS_FIELDS = ("evidence", "by", "at", "note", "principal", "verified_by", "payload", "signature")
_READINESS_TOP: dict[str, type] = {"env": str, "records": dict}
_READINESS_RECORD: dict[str, type] = dict.fromkeys(READINESS_FIELDS, str)


def readiness_damage(state: dict[str, Any]) -> str | None:
    """Where a parsed readiness file is not the shape relui writes (records that are no table...), or None."""
    return next(_readiness_damages(state), None)


def _readiness_damages(state: dict[str, Any]) -> Iterator[str]:
    yield from wrong_types(state, _READINESS_TOP, "")
    for item, entry in state.get("records", {}).items():
        yield from wrong_type(entry, dict, f"records.{item}")
        yield from wrong_types(entry, _READINESS_RECORD, f"records.{item}.")
