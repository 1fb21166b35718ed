"""Strict reading of TOML tables: key paths, typed getters, and the line a key stands on.

tomllib gives line numbers only for syntax errors; for a well-formed file with
a wrong value we find the line ourselves so the error can point at it. For
tomllib's own errors (a duplicate key, runaway nesting) we name the key too.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn


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
            key = _bare(part.key)
            if part.name is not None:
                shown.append(f"{key}.{_bare(part.name)}")
            elif part.index is not None:
                shown.append(f"{key}[{part.index}]")
            else:
                shown.append(key)
        return ".".join(shown) or "(top level)"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _bare(key: str) -> str:
    """A key as TOML would write it; quoted keys may hold newlines that must not split the error line."""
    if _BARE_KEY.fullmatch(key):
        return key
    return json.dumps(key[:64] + ("..." if len(key) > 64 else ""))


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


def explain_toml_error(detail: str, text: str, line: int) -> str:
    """tomllib's duplicate-key errors name no key (or a Python tuple); say which key, as a path."""
    declared = re.fullmatch(r"Cannot (declare|redefine namespace|mutate immutable namespace) (\(.*\))( twice)?", detail)
    if declared:
        keys = ".".join(re.findall(r"'((?:[^'\\]|\\.)*)'", declared.group(2)))
        if declared.group(1) == "mutate immutable namespace":
            return f"{keys}: is an inline table or array already and cannot be extended here"
        return f"{keys}: duplicate table; each table is declared once"
    if detail == "Cannot overwrite a value":
        key = key_on_line(text, line)
        if key:
            return f"{key}: duplicate key; each key is set once per table"
        return "duplicate key; each key is set once per table"
    # A syntax error inside a multi-line value belongs to the key that value started at.
    key = key_on_line(text, line, walk_up=True)
    return f"{key + ': ' if key else ''}invalid TOML: {one_line(detail)}"


_ASSIGNED = re.compile(r"\s*([A-Za-z0-9_.\- \"']+?)\s*=")
_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_.\- \"']+?)\s*\]\]?\s*(#.*)?$")


def key_on_line(text: str, line: int, walk_up: bool = False) -> str | None:
    """The dotted key assigned on ``line`` (or, walking up, the one whose value spans it), with its table."""
    # TOML counts lines by "\n" only; str.splitlines() would also split on \x0b, \u2028 ...
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return None
    key = None
    for index in range(line - 1, max(line - 200, 0) - 1 if walk_up else line - 2, -1):
        header = _HEADER.match(lines[index])
        if header:
            return _dotted(header.group(1))
        assigned = _ASSIGNED.match(lines[index])
        if assigned:
            key, line = _dotted(assigned.group(1)), index + 1
            break
    if key is None:
        return None
    table = next((_dotted(h.group(1)) for above in reversed(lines[: line - 1]) if (h := _HEADER.match(above))), "")
    return f"{table}.{key}" if table else key


def _dotted(written: str) -> str:
    """A key as written (``a . "b c"``) in the error's spelling (``a."b c"``)."""
    return ".".join(part.strip().replace("'", '"') for part in written.split("."))


def deepest_line(text: str) -> int:
    """The 1-based line that opens the most brackets: where runaway nesting was written."""
    counts = [line.count("[") + line.count("{") for line in text.split("\n")] or [0]
    return counts.index(max(counts)) + 1


def one_line(message: str) -> str:
    """A library message squeezed onto one line."""
    return " ".join(message.split())


# Raises with one located line: (path, message, where to point when path has no line).
Fail = Callable[..., NoReturn]


class Table:
    """A TOML table being read: typed getters that track which keys were used."""

    def __init__(self, data: Any, path: KeyPath, fail: Fail) -> None:
        self.path = path
        self.fail = fail
        if not isinstance(data, dict):
            fail(path, f"expected a table, got {type_name(data)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def raw(self, key: str, required: bool) -> Any:
        """The value as TOML gave it (marking the key used); missing and required fails."""
        self.used.add(key)
        if key not in self.data:
            if required:
                self.fail(self.path.key(key), "is missing (required)", at=self.path)
            return None
        return self.data[key]

    def text(self, key: str, default: str | None = None, *, required: bool = False, multiline: bool = False) -> Any:
        """A string; ``required`` also refuses an empty one, ``multiline`` lets line breaks and tabs in."""
        value = self.raw(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(self.path.key(key), f"expected a string, got {type_name(value)}")
        if required and not value.strip():
            self.fail(self.path.key(key), "must not be empty")
        self._printable(key, value, multiline)
        return value

    def file(self, key: str, base: Path) -> str | None:
        """A file that must be there, relative to ``base`` (the config's directory), as an absolute path."""
        name: str | None = self.text(key)
        if name is None:
            return None
        path = (base / Path(name).expanduser()).resolve()
        if not path.is_file():
            self.fail(self.path.key(key), f"no file at {path} (a path relative to the config file)")
        return str(path)

    def _printable(self, key: str, value: str, multiline: bool = False) -> None:
        """Config text reaches operators' terminals and records: an escape in it is refused, a line break too.

        Only text that is code, never shown as a line (a PromQL query, a
        command's arguments), may span lines (``multiline``): a long query is
        usually written over several.
        """
        allowed = "\n\r\t" if multiline else ""
        bad = next(
            (
                ch
                for ch in value
                if ch not in allowed
                and (unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp"))
            ),
            None,
        )
        if bad is not None:
            rule = "config text holds no escapes" if multiline else "config text is one printable line"
            self.fail(self.path.key(key), f"holds the control character {bad!r}; {rule}")

    def flag(self, key: str, default: bool = False) -> bool:
        """true or false."""
        value = self.raw(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(self.path.key(key), f"expected true or false, got {type_name(value)}")
        return value

    def num(
        self,
        key: str,
        default: float | None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
        below: float | None = None,
        integer: bool = False,
    ) -> Any:
        """A finite number within bounds: ``minimum``/``maximum`` inclusive, ``above``/``below`` strict.

        Every number has an upper bound: TOML's ``inf``, ``nan`` and ``1e308``
        parse fine and would crash (or hang) whatever uses them later.
        """
        value = self.raw(key, default is None)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            want = "a whole number" if integer else "a number"
            self.fail(self.path.key(key), f"expected {want}, got {type_name(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(self.path.key(key), f"must be a finite number, got {value}")
        low_ok = (minimum is None or value >= minimum) and (above is None or value > above)
        high_ok = (maximum is None or value <= maximum) and (below is None or value < below)
        if not (low_ok and high_ok):
            self.fail(self.path.key(key), f"must be {_bounds(minimum, maximum, above, below)}, got {_shown(value)}")
        return value

    def texts(self, key: str, default: tuple[str, ...] | None = (), *, multiline: bool = False) -> Any:
        """A list of strings, as a tuple; a default of None makes it required (``multiline`` as for ``text``)."""
        value = self.raw(key, default is None)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(self.path.key(key), f"expected a list of strings, got {type_name(value)}")
        for item in value:
            self._printable(key, item, multiline)
        return tuple(value)

    def table(self, key: str) -> Table | None:
        """A sub-table, or None when absent."""
        value = self.raw(key, False)
        return None if value is None else Table(value, self.path.key(key), self.fail)

    def tables(self, key: str) -> list[Table]:
        """An array of tables ([[key]]); empty when absent."""
        value = self.raw(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(self.path.key(key), f"expected an array of tables ([[{key}]]), got {type_name(value)}")
        return [Table(v, self.path.key(key).index(i), self.fail) for i, v in enumerate(value)]

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> Any:
        """A string that must be one of ``choices``."""
        value = self.text(key, default, required=default is None)
        if value not in choices:
            self.fail(self.path.key(key), f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def done(self) -> None:
        """Reject keys nobody asked for."""
        for key in self.data:
            if key not in self.used:
                expected = ", ".join(sorted(self.used))
                self.fail(self.path.key(key), f"unknown key; expected one of: {expected}")


def _bounds(minimum: float | None, maximum: float | None, above: float | None, below: float | None) -> str:
    """The allowed range in words an operator reads: "> 0 and <= 3600"."""
    parts = []
    if above is not None:
        parts.append(f"> {above:g}")
    if minimum is not None:
        parts.append(f">= {minimum:g}")
    if below is not None:
        parts.append(f"< {below:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return " and ".join(parts)


def _shown(value: float) -> str:
    """A number short enough for one line (TOML integers have no size limit)."""
    if isinstance(value, float):
        return f"{value:g}"
    if abs(value) > 10**15:
        # str() refuses integers past 4300 digits; the size is what matters here.
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    return str(value)


def type_name(value: object) -> str:
    """What a TOML value is, in the words of an error message."""
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
        datetime: "a date-time",
        date: "a date",
        time: "a time",
    }
    return names.get(type(value), type(value).__name__)
