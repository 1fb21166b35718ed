"""Key paths into a TOML document, and finding the line a key stands on.

tomllib gives line numbers only for syntax errors; for a well-formed file with
a wrong value we find the line ourselves so the error can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Part:
    key: str
    index: int | None = None
    name: str | None = None


class KeyPath:
    """A path like ``environments.prod.prometheus.error_rate`` (or ``[1]`` before a name is known)."""

    def __init__(self, parts: tuple[_Part, ...] = ()) -> None:
        self.parts = parts

    def key(self, key: str) -> KeyPath:
        """The path one key deeper."""
        return KeyPath((*self.parts, _Part(key)))

    def index(self, index: int) -> KeyPath:
        """The path to the index-th table of an array of tables."""
        last = self.parts[-1]
        return KeyPath((*self.parts[:-1], _Part(last.key, index=index)))

    def named(self, name: str) -> KeyPath:
        """The same path, shown with the table's name instead of its index."""
        last = self.parts[-1]
        return KeyPath((*self.parts[:-1], _Part(last.key, index=last.index, name=name)))

    def __str__(self) -> str:
        shown = []
        for part in self.parts:
            if part.name is not None:
                shown.append(f"{part.key}.{part.name}")
            elif part.index is not None:
                shown.append(f"{part.key}[{part.index}]")
            else:
                shown.append(part.key)
        return ".".join(shown) or "(top level)"


def locate(text: str, path: KeyPath) -> int | None:
    """The 1-based line where the key at ``path`` is written, if it can be found."""
    lines = text.splitlines()
    start = 0
    table: list[str] = []
    for depth, part in enumerate(path.parts):
        table.append(part.key)
        dotted = re.escape(".".join(table))
        is_last = depth == len(path.parts) - 1
        if part.index is not None:
            header = re.compile(rf"^\s*\[\[\s*{dotted}\s*\]\]")
            found = _nth(lines, header, start, part.index)
        else:
            header = re.compile(rf"^\s*\[\s*{dotted}\s*\]")
            found = _nth(lines, header, start, 0)
            if found is None:
                assign = re.compile(rf"^\s*\"?{re.escape(part.key)}\"?\s*=")
                found = _nth(lines, assign, start, 0, stop_at_header=True)
                if found is not None and not is_last:
                    return found + 1
        if found is None:
            return None
        start = found if (part.index is None and is_last) else found + 1
        if is_last:
            return found + 1
    return None


def _nth(lines: list[str], pattern: re.Pattern[str], start: int, n: int, stop_at_header: bool = False) -> int | None:
    seen = 0
    for i in range(start, len(lines)):
        # A key of this table cannot stand below the next table header.
        if stop_at_header and i > start and lines[i].lstrip().startswith("[") and not pattern.match(lines[i]):
            return None
        if pattern.match(lines[i]):
            if seen == n:
                return i
            seen += 1
    return None
