"""Files relui ships beside its code: the blue/green chart, the runbooks, the sample config.

A wheel carries them under ``relui/data/`` (pyproject maps ``charts/bluegreen``,
``docs`` and ``config.toml`` there as package data, so there is one copy in
the repository). A source checkout or an editable install finds them at the
repository root instead. Either way ``bundled(...)`` gives an absolute path, so
``relui`` works from any directory, not only from a clone.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# Where each shipped file sits in the wheel, and where in a source checkout.
_LAYOUT = {
    "chart": ("data/chart", "charts/bluegreen"),
    "docs": ("data/docs", "docs"),
    "sample": ("data/sample/config.toml", "config.toml"),
}


def bundled(kind: str, *parts: str) -> Path | None:
    """The shipped ``chart``, ``docs`` file or ``sample`` config, or None when this install lacks it."""
    in_wheel, in_checkout = _LAYOUT[kind]
    for base in (_PACKAGE / in_wheel, _PACKAGE.parent / in_checkout):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return None


def resolve_relative(value: str, base: Path, kind: str, *parts: str) -> str:
    """``value`` when it names something under ``base``; else the shipped copy; else ``value`` unchanged.

    Only relui's own default paths go through here: a path the operator chose is
    never swapped for the shipped one.
    """
    if (base / value).exists():
        return value
    shipped = bundled(kind, *parts)
    return str(shipped) if shipped is not None else value
