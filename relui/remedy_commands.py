"""The shell's words for a remedy: the flag or command that fixes a refusal, as the CLI has always said it.

The CLI prints them, and so do the records read outside relui (the journal,
the team's notifications): a reader there has a shell, not relui's keys. So
they live beside the domain, not in ``relui.commands``: services may use them
without depending on the CLI.

A guard's reason says what is wrong; its ``Remedy`` says what fixes it as
data. Here it becomes ``see: relui checklist prod`` or ``use --hotfix REASON``
after the reason (the TUI names its keys instead: ``relui.screens.remedies``).
``command`` is the whole command line, for ``--json`` readers.
"""

from __future__ import annotations

from typing import Any

from relui.domain import GuardResult, Remedy, RemedyKind

# kind -> (what joins it to the reason, the words after the reason, the whole command line)
_WORDS: dict[RemedyKind, tuple[str, str, str]] = {
    RemedyKind.SMOKE: ("; ", "run: {command}", "relui smoke {env}"),
    RemedyKind.DEPLOY: ("; ", "run: {command}", "relui deploy {env} VERSION"),
    RemedyKind.INSTALL: ("; ", "start it with: {command}", "relui install {env} VERSION"),
    RemedyKind.CHECKLIST: ("; ", "see: {command}", "relui checklist {env}"),
    RemedyKind.SIGNOFF: ("; ", "a product owner runs: {command}", "relui signoff {env} --role product_owner"),
    RemedyKind.HOTFIX: ("; ", "for an urgent fix use --hotfix REASON", "relui cutover {env} --hotfix REASON"),
    RemedyKind.READINESS: ("; ", "see {command}", "relui readiness {env}"),
    RemedyKind.READINESS_SIGNOFF: (
        " ",
        "(record: {command})",
        "relui readiness {env} signoff {argument} --evidence URL",
    ),
    RemedyKind.TO_REVISION: ("; ", "use --to-revision {argument}", "relui rollback {env} --to-revision {argument}"),
    RemedyKind.ROLLBACK: ("; ", "roll back now: {command}", "relui rollback {env}"),
    RemedyKind.DRILL: ("; ", "run one: {command} (must be under {argument} days old)", "relui drill --list"),
    RemedyKind.BREAK_GLASS: (": ", "{command}", "relui approve {env} --break-glass {argument}--reason TEXT"),
    RemedyKind.UNLOCK_FORCE: ("; ", "to take it over: {command}", "relui unlock {env} --force --reason TEXT"),
    RemedyKind.JOURNAL_VERIFY: ("; ", "see: {command}", "relui journal verify {env}"),
    RemedyKind.WHOAMI: ("; ", "see: {command}", "relui whoami {env}"),
}


def remedy_command(remedy: Remedy) -> str:
    """The command line that applies the remedy: ``relui rollback prod --to-revision 7``."""
    return _WORDS[remedy.kind][2].format(env=remedy.env, argument=_flags(remedy))


def _flags(remedy: Remedy) -> str:
    """The argument as the command takes it: break-glass ``cutover 1.6.0`` is ``--action cutover --version 1.6.0``."""
    if remedy.kind is not RemedyKind.BREAK_GLASS:
        return remedy.argument or ""
    action, _, version = (remedy.argument or "").partition(" ")
    flags = (f"--action {action} " if action else "") + (f"--version {version} " if version else "")
    return flags or "--action ACTION "


def remedy_words(remedy: Remedy) -> str:
    """What the CLI says after the reason: ``see: relui checklist prod``, ``use --to-revision 7``."""
    _join, words, _command = _WORDS[remedy.kind]
    return words.format(command=remedy_command(remedy), argument=remedy.argument or "")


def with_remedy(reason: str, remedy: Remedy | None) -> str:
    """The reason, then the CLI's way out: one line as the CLI prints it."""
    if remedy is None:
        return reason
    return reason + _WORDS[remedy.kind][0] + remedy_words(remedy)


def guard_text(guard: GuardResult) -> str:
    """A guard's reason with its CLI remedy."""
    return with_remedy(guard.reason, guard.remedy)


def remedy_json(remedy: Remedy | None) -> dict[str, Any] | None:
    """The ``remedy`` object of ``--json`` output, or None."""
    if remedy is None:
        return None
    return {
        "kind": str(remedy.kind),
        "env": remedy.env,
        "argument": remedy.argument,
        "command": remedy_command(remedy),
    }
