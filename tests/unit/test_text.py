"""Versions are image tags, free text is one printable line."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.text import InvalidInput, markdown_text, one_line, validate_version

GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
TAG_ALPHABET = st.sampled_from("abcXYZ019_.-/:@ \n\t\x00é")


@given(st.text(alphabet=TAG_ALPHABET, max_size=140) | st.text(max_size=20))
def test_validate_version_accepts_exactly_the_oci_tag_grammar(version: str) -> None:
    if GRAMMAR.fullmatch(version):
        assert validate_version(version) == version
    else:
        with pytest.raises(InvalidInput):
            validate_version(version)


@pytest.mark.parametrize("version", ["", "../x", "a" * 300, "1.6.0\n", "1.6\n.0", ".hidden", "-rc", "a/b", "1.6.0 "])
def test_validate_version_refuses_with_one_line_naming_the_rule(version: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_version(version)
    message = str(raised.value)
    assert "\n" not in message and len(message) < 250
    assert message.startswith("version ") and "is not a valid image tag: use letters, digits" in message


def test_validate_version_accepts_the_longest_tag() -> None:
    assert validate_version("a" * 128) == "a" * 128
    assert validate_version("_1.6.0-rc.1") == "_1.6.0-rc.1"


@given(st.text(max_size=700))
def test_one_line_is_one_printable_capped_line(text: str) -> None:
    line = one_line(text)
    assert len(line) <= 500
    assert line.splitlines() == ([line] if line else [])
    assert line == line.strip()
    assert all(ch.isprintable() or ch == " " for ch in line)


def test_one_line_keeps_ordinary_text() -> None:
    assert one_line("  rollback:\nerror rate 4%\r\n") == "rollback: error rate 4%"
    assert one_line("x" * 600).endswith("…") and len(one_line("x" * 600)) == 500
    assert one_line("a\u2028b\u202ec", limit=10) == "a b c"


@given(st.text(max_size=200))
def test_markdown_text_never_starts_a_block_or_adds_a_line(text: str) -> None:
    line = markdown_text(text)
    assert "\n" not in line
    assert not re.match(r"[#>*+|`\[=~_-]|\d+[.)]( |$)", line), line


def test_markdown_text_leaves_versions_and_names_readable() -> None:
    assert markdown_text("1.6.0") == "1.6.0"
    assert markdown_text("jane_doe rolled back") == "jane_doe rolled back"
    assert markdown_text("1. first") == "1\\. first"


def test_checklist_paths_refuse_traversal(ctx: Context) -> None:
    checklists = Checklists(ctx)
    for version in ("../../../../tmp/x", "", "a" * 300, "x\ny"):
        if version == "":
            assert checklists.path("qa", version).name == "none.toml"
            continue
        with pytest.raises(ChecklistError, match="is not a valid image tag"):
            checklists.path("qa", version)
    path = checklists.path("qa", "1.6.0")
    assert path.resolve().is_relative_to(ctx.state_dir.resolve()) and path.name == "1.6.0.toml"
