"""What the TUI remembers and detects about how to draw: the last theme, and whether to stay in ASCII.

The last theme picked lives in the state dir (``ui.json``), so it is kept
across runs on the same machine; a missing or broken file means "no choice
yet", never an error. No Textual here: the app applies what this returns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from relui.statedir import read_file

PREFS_FILE = "ui.json"
DEFAULT_THEME = "textual-dark"


def last_theme(state_dir: Path) -> str | None:
    """The theme picked in an earlier run, or None."""
    try:
        data = json.loads(read_file(state_dir / PREFS_FILE))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) and theme else None


def remember_theme(state_dir: Path, theme: str) -> None:
    """Keep ``theme`` for the next run; a state dir that cannot be written only loses the preference."""
    path = state_dir / PREFS_FILE
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": theme}) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return


def theme_order(environ: Mapping[str, str], remembered: str | None, configured: str | None) -> list[str]:
    """Themes to try, first wins: ``TEXTUAL_THEME``, the one last picked, ``[ui] theme``, the default."""
    wanted = [environ.get("TEXTUAL_THEME") or None, remembered, configured, DEFAULT_THEME]
    return list(dict.fromkeys(t for t in wanted if t))


def locale_is_utf8(environ: Mapping[str, str] | None = None) -> bool:
    """False when the locale names a non-UTF-8 charset (``LANG=C``, ``POSIX``, ``...ISO-8859-1``).

    The first of ``LC_ALL``, ``LC_CTYPE``, ``LANG`` that is set decides, as
    for setlocale. Python itself coerces a C locale to ``LC_CTYPE=C.UTF-8``
    at start (PEP 538); that coerced value hides what the terminal was set
    to, so under a C ``LANG`` it is looked through. Nothing set at all is
    taken as UTF-8: modern terminals are, and ASCII is one key away.
    """
    env = os.environ if environ is None else environ
    lang = env.get("LANG", "")
    ctype = env.get("LC_CTYPE", "")
    if ctype == "C.UTF-8" and lang in ("", "C", "POSIX") and not env.get("LC_ALL"):
        ctype = ""  # PEP 538 coercion, not the user's setting
    value = env.get("LC_ALL") or ctype or lang
    if not value:
        return True
    if value in ("C", "POSIX"):
        return False
    if "." not in value:
        return True  # "en_US": no charset named; do not second-guess the terminal
    return value.partition(".")[2].partition("@")[0].lower().replace("-", "") == "utf8"


def wants_ascii(configured: bool, environ: Mapping[str, str] | None = None) -> bool:
    """ASCII only: ``[ui] ascii = true``, or a locale that cannot show box drawing."""
    return configured or not locale_is_utf8(environ)
