"""Text as one printable line, for what people type and for what sources answer.

Free text (reasons, notes, evidence) becomes one printable line before it is
kept, so it can never forge a record, a heading or a ticked box; the domain
does the same to what a source says in words (a lock holder, a Helm
revision's description, a smoke check's output, a pod's reason), so an
escape sequence in a Kubernetes Lease or a ``helm upgrade --description``
never reaches an operator's terminal, in the TUI or the CLI. No imports from
relui: the domain uses it.
"""

from __future__ import annotations

import unicodedata

FREE_TEXT_LIMIT = 500


def one_line(text: str, limit: int = FREE_TEXT_LIMIT) -> str:
    """Any free text as one printable line: control characters and line breaks to spaces, trimmed, capped."""
    # Category C covers control, format (bidi overrides), surrogates and unassigned; Zl/Zp are
    # the Unicode line and paragraph separators that str.splitlines() also breaks on.
    cleaned = "".join(
        " " if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") else ch
        for ch in str(text)
    )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 1, 0)].rstrip() + "…"
    return cleaned


def printable(text: str, limit: int = FREE_TEXT_LIMIT) -> str:
    """A source's words as they are when already one printable line (checked at C speed), else ``one_line``."""
    return text if text.isprintable() and len(text) <= limit else one_line(text, limit)


def printable_fields(record: object, *names: str, limit: int = FREE_TEXT_LIMIT) -> None:
    """Each named ``str`` field of a (frozen) record as ``printable`` makes it, in place: for ``__post_init__``.

    What a record read back from a file says goes to a terminal: a record
    edited by hand, or written into a shared store by anyone who may write
    it, can hold escape sequences (OSC 52 sets the reader's clipboard).
    """
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str) and value:
            clean = printable(value, limit)
            if clean is not value:
                object.__setattr__(record, name, clean)
