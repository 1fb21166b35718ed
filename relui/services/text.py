"""Input that reaches file names, the journal or markdown: versions and free text.

A version becomes a path (checklists, incidents) and an image tag, so it must
match the OCI tag grammar; free text (reasons, notes, evidence) becomes one
printable line so it can never forge a record, a heading or a ticked box.
"""

from __future__ import annotations

import re

from relui.printable import FREE_TEXT_LIMIT, one_line

# The OCI distribution spec's tag grammar: no '/', no leading '.' or '-', at most 128 characters.
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
TAG_RULE = "use letters, digits, '_', '.', '-' (first not '.' or '-'), at most 128 characters"


__all__ = ["FREE_TEXT_LIMIT", "TAG", "TAG_RULE", "InvalidInput", "markdown_text", "one_line", "validate_version"]


class InvalidInput(ValueError):
    """Input that relui refuses; the message is one line naming the rule."""


def validate_version(version: str) -> str:
    """``version`` unchanged when it is a valid image tag; InvalidInput otherwise."""
    if not isinstance(version, str) or TAG.fullmatch(version) is None:
        shown = one_line(str(version), limit=60)
        raise InvalidInput(f"version {shown!r} is not a valid image tag: {TAG_RULE}")
    return version


# Inline markdown controls, escaped wherever they are: code spans, links and checkboxes, HTML.
_INLINE = re.compile(r"([\\`\[\]<])")
# What makes a line start a block: heading, list item, quote, table, rule or underline, fence.
_BLOCK_START = re.compile(r"^([#*+=~_>|-]|\d+[.)](?= |$))")


def markdown_text(text: str, limit: int = FREE_TEXT_LIMIT) -> str:
    """Free text as one markdown line: it cannot start a heading, list, quote or table, nor open code or a link."""
    line = _INLINE.sub(r"\\\1", one_line(text, limit))
    return _BLOCK_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], line)
