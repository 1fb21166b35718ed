"""The TUI's words for a remedy: the key that fixes a refusal here, as the keymap binds it.

A guard's reason says what is wrong; its ``Remedy`` says what fixes it. The
CLI says ``see: relui checklist prod`` (``relui.remedy_commands``); here it
is ``press k for the checklist``, with the key actually bound (``[keymap]``
remaps them), or the ``:`` command when no key is known. Where the TUI has no
way to do it (a second person's break-glass approval, taking over a lock,
verifying the journal, whoami, a failure drill) the words say so and name the
shell command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from textual.binding import Binding

from relui.domain import GuardResult, Remedy, RemedyKind
from relui.remedy_commands import remedy_command

# The binding ids a remedy names, with the ``:`` command that does the same (ENV is the remedy's environment).
COMMAND_OF = {
    "smoke": ":smoke {env}",
    "deploy": ":deploy {env}",
    "checklist": ":checklist {env}",
    "readiness": ":readiness {env}",
    "rollback": ":rollback {env}",
    "cutover": ":cutover {env}",
    "abort": ":abort {env}",
    "sign-off": "",
    "record-evidence": "",
}


def bound_keys(
    screens: Iterable[type[Any]], keymap: Mapping[str, str], display: Callable[[Binding], str]
) -> dict[str, str]:
    """Binding id -> the key as shown, for the ids a remedy names: the screens' BINDINGS with ``keymap`` applied."""
    keys: dict[str, str] = {}
    for screen in screens:
        for cls in screen.__mro__:
            for binding in cls.__dict__.get("BINDINGS", ()):
                if not isinstance(binding, Binding) or binding.id not in COMMAND_OF or binding.id in keys:
                    continue
                remapped = keymap.get(binding.id)
                keys[binding.id] = display(Binding(remapped.split(",")[0], binding.action) if remapped else binding)
    return keys


@dataclass(frozen=True)
class TuiRemedies:
    """Words a remedy in TUI terms with the keys bound now."""

    keys: Mapping[str, str] = field(default_factory=dict)

    def press(self, binding_id: str, env: str) -> str:
        """``press k``, or ``type :checklist prod`` when the key is not known."""
        key = self.keys.get(binding_id)
        if key:
            return f"press {key}"
        return f"type {COMMAND_OF[binding_id].format(env=env)}"

    def words(self, remedy: Remedy) -> str:
        """What the TUI says after the reason."""
        env, kind = remedy.env, remedy.kind
        if kind is RemedyKind.SMOKE:
            return f"{self.press('smoke', env)} to run smoke"
        if kind is RemedyKind.DEPLOY:
            return f"{self.press('deploy', env)} to deploy a version"
        if kind is RemedyKind.CHECKLIST:
            return f"{self.press('checklist', env)} for the checklist"
        if kind is RemedyKind.SIGNOFF:
            sign = self.keys.get("sign-off", "s")
            return f"a product owner signs off: {self.press('checklist', env)}, then {sign}"
        if kind is RemedyKind.HOTFIX:
            return "for an urgent fix type a hotfix reason in the cutover confirm"
        if kind is RemedyKind.READINESS:
            return f"{self.press('readiness', env)} for the readiness review"
        if kind is RemedyKind.READINESS_SIGNOFF:
            key = self.keys.get("record-evidence")
            if key:
                return f"(to record it: press {key} on the readiness review)"
            return f"(record it on the readiness review: {self.press('readiness', env)})"
        if kind is RemedyKind.TO_REVISION:
            return f"{self.press('rollback', env)} and pick revision {remedy.argument}"
        if kind is RemedyKind.ROLLBACK:
            return f"{self.press('rollback', env)} to roll back"
        return _SHELL_ONLY[kind].format(env=env, argument=remedy.argument or "", command=remedy_command(remedy))

    def text(self, reason: str, remedy: Remedy | None) -> str:
        """The reason, then the TUI's way out."""
        if remedy is None:
            return reason
        join = " " if remedy.kind is RemedyKind.READINESS_SIGNOFF else "; "
        return reason + join + self.words(remedy)

    def guard_text(self, guard: GuardResult) -> str:
        """A guard's reason with its TUI remedy."""
        return self.text(guard.reason, guard.remedy)


# No key does these: someone else does them, or they are a shell's job. Said so, with the command.
_SHELL_ONLY = {
    RemedyKind.INSTALL: "the TUI installs nothing; in a shell: relui install {env} VERSION",
    RemedyKind.DRILL: "drills start from a shell: relui drill --list (one passed in the last {argument} days counts)",
    RemedyKind.BREAK_GLASS: "a second person runs: {command}",
    RemedyKind.UNLOCK_FORCE: "taking it over is done in a shell: relui unlock {env} --force --reason TEXT",
    RemedyKind.JOURNAL_VERIFY: "in a shell, relui journal verify {env} shows where",
    RemedyKind.WHOAMI: "in a shell, relui whoami {env} shows who you are",
}
