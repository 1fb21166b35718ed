"""What ``:`` understands on the dashboard: a command name, an environment, for deploy a version.

Parsing only; the dashboard runs a parsed command through the same methods
its keys use (so every action still asks in the confirm modal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ACTION_COMMANDS = ("deploy", "smoke", "cutover", "rollback", "lock", "abort")
SCREEN_COMMANDS = ("journal", "readiness", "env", "checklist")
OTHER_COMMANDS = ("refresh", "help", "q", "quit")
COMMANDS = ACTION_COMMANDS + SCREEN_COMMANDS + OTHER_COMMANDS
# Without an environment a command acts on the focused one; the journal then shows every environment.
USAGE = (
    ":deploy ENV [VERSION], :smoke|cutover|rollback|lock|abort ENV, :journal [ENV], "
    ":readiness|env|checklist ENV, :refresh, :help, :q"
)


# What ``:help`` lists under the keys: each command as typed, and what it does.
COMMAND_HELP = (
    (":deploy ENV [VERSION]", "deploy to ENV's idle color; without VERSION, the version chooser"),
    (":smoke|cutover|rollback ENV", "that action on ENV, through its confirm"),
    (":lock|abort ENV", "take or give back ENV's lock; abort ENV's running deploy or smoke"),
    (":journal [ENV]", "the journal, of ENV or of every environment"),
    (":readiness|env|checklist ENV", "ENV's readiness review, detail screen or checklist"),
    (":refresh, :help, :q", "read every environment again; this help; quit"),
)


@dataclass(frozen=True)
class Command:
    """One parsed command line."""

    name: str
    env: str | None = None
    version: str | None = None


class CommandError(Exception):
    """The line is not a command; the message is the one line to show."""


def parse(text: str, envs: Sequence[str], current_env: str) -> Command:
    """``deploy qa 1.5.1`` -> Command("deploy", "qa", "1.5.1"); CommandError says what is wrong."""
    words = text.strip().lstrip(":").split()
    if not words:
        raise CommandError(f"type a command: {USAGE}")
    name, args = words[0].lower(), words[1:]
    if name not in COMMANDS:
        raise CommandError(f"unknown command :{name}; try :help, or {USAGE}")
    if name in OTHER_COMMANDS:
        if args:
            raise CommandError(f":{name} takes nothing after it")
        return Command("quit" if name == "q" else name)
    env = args[0].lower() if args else None
    if env is not None and env not in envs:
        raise CommandError(f"unknown environment {args[0]!r}; configured: {', '.join(envs)}")
    version = args[1] if len(args) > 1 else None
    if len(args) > (2 if name == "deploy" else 1):
        raise CommandError(f"too many words for :{name}; {USAGE}")
    if env is None and name != "journal":
        env = current_env
    return Command(name, env, version)


def next_words(before: list[str], envs: Sequence[str], versions: Mapping[str, Sequence[str]]) -> Sequence[str]:
    """What may come after ``before``: command names, then environments, then (deploy) versions."""
    if not before:
        return COMMANDS
    name = before[0].lower()
    if len(before) == 1 and name in ACTION_COMMANDS + SCREEN_COMMANDS:
        return envs
    if len(before) == 2 and name == "deploy":
        return versions.get(before[1].lower(), ())
    return ()
