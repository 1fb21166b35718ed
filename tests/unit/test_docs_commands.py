"""Every ``relui`` command the docs show must exist, with every flag it uses.

The docs are what an operator copies at 2 a.m.; a renamed flag there is a
failed rollback. Each ``relui ...`` line in a fenced code block of docs/*.md
and README.md, and each inline code span that starts with ``relui ``, is
checked against ``relui <command> --help`` run for real.
The workflow test reuses ``relui_calls`` and ``call_problems`` for the
pipeline's scripts.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# Global options take a value; the word after them is not the command.
GLOBAL_WITH_VALUE = ("--config", "--state-dir")
_FENCE = re.compile(r"^\s*(```|~~~)")
_OPERATOR_CHARS = set("();<>|&")
_FLAG = re.compile(r"--[a-z][a-z0-9-]*")
SHELL_LANGUAGES = ("sh", "bash", "shell", "console", "shell-session", "zsh", "text")
_DRAWING = re.compile(r"^\s*[+|│┃┌┐└┘├┤─━╭╮╰╯]")
_INLINE = re.compile(r"(?<!`)`(relui [^`]+)`(?!`)")


def fenced_blocks(markdown: str, commands_only: bool = False) -> list[tuple[int, str]]:
    """The lines inside fenced code blocks, with their 1-based line numbers.

    With ``commands_only``, blocks that cannot hold shell commands are left
    out: those tagged with another language (toml, json ...) and screen
    mock-ups (box-drawing borders), whose "relui" is a title, not a call.
    """
    found: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []
    fence: str | None = None
    info = ""
    for number, line in enumerate(markdown.splitlines(), start=1):
        match = _FENCE.match(line)
        if match and (fence is None or match.group(1) == fence):
            if fence is None:
                fence, info, block = match.group(1), line.strip()[3:].strip().lower(), []
            else:
                fence = None
                if not commands_only or _holds_commands(info, block):
                    found.extend(block)
            continue
        if fence is not None:
            block.append((number, line))
    return found


def _holds_commands(info: str, block: list[tuple[int, str]]) -> bool:
    """Whether a fenced block may hold shell commands."""
    language = info.split()[0] if info else ""
    if language and language not in SHELL_LANGUAGES:
        return False
    return not any(_DRAWING.match(line) for _, line in block)


def inline_commands(markdown: str) -> list[tuple[int, str]]:
    """Inline code spans outside fenced blocks that hold a relui command (tables, prose)."""
    fenced = {number for number, _ in fenced_blocks(markdown)}
    found = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        if number not in fenced and not _FENCE.match(line):
            found.extend((number, match.group(1)) for match in _INLINE.finditer(line))
    return found


def shell_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join backslash continuations, so one command is one line again."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in lines:
        if pending is not None:
            number, line = pending[0], pending[1] + " " + line.strip()
            pending = None
        if line.rstrip().endswith("\\"):
            pending = (number, line.rstrip()[:-1])
            continue
        joined.append((number, line))
    if pending is not None:
        joined.append(pending)
    return joined


def _tokens(line: str) -> list[str]:
    """Shell words of a line; a line shlex cannot read (an open quote) falls back to blanks."""
    text = re.sub(r"^\s*\$\s+", "", line)  # a "$ " prompt in front
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def relui_calls(line: str) -> list[list[str]]:
    """The arguments of each ``relui`` call on a shell line (``python -m relui`` too)."""
    tokens = _tokens(line)
    calls = []
    for index, token in enumerate(tokens):
        if token != "relui":
            continue
        args = []
        for word in tokens[index + 1 :]:
            if set(word) <= _OPERATOR_CHARS:
                break
            args.append(word)
        calls.append(args)
    return calls


def command_of(args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand (None for bare ``relui``) and every long flag the call uses."""
    # A synopsis writes options in brackets ("[--json]"); a value may follow "=".
    matches = (_FLAG.match(word.lstrip("[")) for word in args)
    flags = [m.group(0) for m in matches if m]
    command = None
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        bare = word.strip("[]")
        if bare in GLOBAL_WITH_VALUE:
            skip = True
            continue
        if bare.startswith("-"):
            continue
        command = bare
        break
    return command, flags


@functools.cache
def relui_help(command: str | None) -> tuple[int, str]:
    """Exit code and output of ``relui [command] --help``, run as a user would."""
    argv = [sys.executable, "-m", "relui", *([command] if command else []), "--help"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    return done.returncode, done.stdout + done.stderr


def call_problems(args: list[str]) -> list[str]:
    """What is wrong with one relui call: an unknown command, or flags its help does not list."""
    command, flags = command_of(args)
    code, text = relui_help(command)
    name = f"relui {command}" if command else "relui"
    if code != 0:
        last = text.strip().splitlines()[-1] if text.strip() else "no output"
        return [f"`{name} --help` exited {code}: {last}"]
    return [f"`{name}` has no {flag} (see `{name} --help`)" for flag in flags if flag not in text]


def doc_calls() -> list[tuple[str, list[str]]]:
    """(file:line, args) for every relui call in the docs' code blocks."""
    found = []
    for path in DOC_FILES:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in sorted(shell_lines(fenced_blocks(text, commands_only=True)) + inline_commands(text)):
            for args in relui_calls(line):
                found.append((f"{path.relative_to(ROOT)}:{number}", args))
    return found


DOC_CALLS = doc_calls()


def test_the_docs_show_relui_commands() -> None:
    # Guards the extraction itself: the runbooks must keep their commands in code blocks.
    assert len(DOC_CALLS) >= 20, [where for where, _ in DOC_CALLS]


@pytest.mark.parametrize(("where", "args"), DOC_CALLS, ids=[f"{w} relui {' '.join(a)}" for w, a in DOC_CALLS])
def test_documented_command_exists_with_its_flags(where: str, args: list[str]) -> None:
    problems = call_problems(args)
    assert not problems, f"{where}: relui {' '.join(args)}: " + "; ".join(problems)


# -- the extraction, on known input --------------------------------------------------


def test_relui_calls_split_on_shell_operators_and_keep_quoted_reasons() -> None:
    line = 'rc=0; relui cutover prod --yes --reason "a --force in text" || rc=$?'
    assert relui_calls(line) == [["cutover", "prod", "--yes", "--reason", "a --force in text"]]
    assert command_of(relui_calls(line)[0]) == ("cutover", ["--yes", "--reason"])


def test_relui_calls_read_prompts_pipes_comments_and_synopses() -> None:
    assert relui_calls("$ relui status prod --json | jq .  # live colour") == [["status", "prod", "--json"]]
    assert command_of(["status", "[ENV]", "[--json]"]) == ("status", ["--json"])
    assert command_of(["--config", "x.toml", "deploy", "qa", "1.6.0"]) == ("deploy", ["--config"])
    assert command_of(["--version"]) == (None, ["--version"])
    assert relui_calls('echo "run: relui rollback prod"') == []
    assert relui_calls("python -m relui drill --list") == [["drill", "--list"]]


def test_screen_mockups_and_other_languages_are_not_commands() -> None:
    text = "```\n relui  sandbox  window open\n+- DEV --+\n```\n```toml\nrelui = 1\n```\n```bash\nrelui status\n```\n"
    assert fenced_blocks(text, commands_only=True) == [(9, "relui status")]
    assert len(fenced_blocks(text)) == 4


def test_inline_spans_outside_fences() -> None:
    text = "| deploy | `d` | `relui deploy prod 1.6.0 --reason TEXT` |\n```\n`relui status`\n```\n"
    assert inline_commands(text) == [(1, "relui deploy prod 1.6.0 --reason TEXT")]


def test_fenced_blocks_and_continuations() -> None:
    text = "intro relui deploy\n```bash\nrelui deploy qa 1.6.0 \\\n  --yes\n```\nrelui status\n"
    lines = shell_lines(fenced_blocks(text))
    assert lines == [(3, "relui deploy qa 1.6.0  --yes")]


def synopsis_lines() -> list[str]:
    """The ``relui ...`` lines of the fenced block under README's "## The CLI"."""
    section = (ROOT / "README.md").read_text().split("## The CLI\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip().startswith("relui")]


def parser_commands() -> dict[str, list[str]]:
    """Each subcommand of the parser and its own options (not the global ones, not --help)."""
    import argparse

    from relui.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    global_flags = {"-h", "--help", "--config", "--state-dir", "--read-only"}
    commands = {}
    for name, child in sub.choices.items():
        flags = [
            max(action.option_strings, key=len)
            for action in child._actions
            if action.option_strings and not set(action.option_strings) & global_flags
        ]
        commands[name] = flags
    return commands


def test_readme_synopsis_names_every_command_of_the_parser_and_no_other() -> None:
    shown = {line.split()[1] for line in synopsis_lines() if len(line.split()) > 1}
    commands = parser_commands()
    assert not set(commands) - shown, f"README's CLI synopsis lacks: {sorted(set(commands) - shown)}"
    assert not shown - set(commands), (
        f"README's CLI synopsis names commands the parser lacks: {sorted(shown - set(commands))}"
    )


def test_readme_synopsis_shows_every_option_of_each_command() -> None:
    lines = synopsis_lines()
    missing = []
    for command, flags in parser_commands().items():
        text = " ".join(line for line in lines if line.split()[1:2] == [command])
        missing += [f"{command} {flag}" for flag in flags if not re.search(rf"{re.escape(flag)}(?![a-z-])", text)]
    assert not missing, f"README's CLI synopsis omits: {missing}"
