"""Acting on a bake: tell the team once, roll back by itself when configured, watch to the end.

Both faces use this: the TUI checks each refresh's bake, ``relui cutover
--watch`` stays in ``watch`` until the bake passes or breaches. The
notification and the automatic rollback happen once per cutover (the
journal remembers), whichever process sees the breach first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relui.domain import Remedy, RemedyKind
from relui.ports import PortError
from relui.remedy_commands import with_remedy
from relui.services.actions import Action
from relui.services.bake import Bake, bake_of
from relui.services.release import ActionResult, ReleaseService, Request, accept
from relui.services.rollout import Progress


@dataclass(frozen=True)
class BakeVerdict:
    """How a watched bake ended."""

    passed: bool
    message: str
    rollback: ActionResult | None = None


# How a face joins a line and its way out: ``with_remedy`` (the CLI's words), ``TuiRemedies.text`` (its keys).
Words = Callable[[str, Remedy | None], str]


class BakeWatch:
    """The bake of one environment, acted on through the release service.

    ``words`` says the way to roll back in the watching face's terms, in the
    team's breach notification too: the TUI passes its keys, the CLI's are the default.
    """

    def __init__(self, service: ReleaseService, env: str, words: Words = with_remedy) -> None:
        self.service = service
        self.ctx = service.ctx
        self.env = self.ctx.env(env)
        self.words = words

    def current(self) -> Bake | None:
        """The bake now (None when no cutover is being baked)."""
        return bake_of(self.env, self.ctx.env_ports(self.env.name), self.ctx.clock.now())

    def _seen(self, action: str, revision: int) -> bool:
        return any(
            e.action == action and e.detail.get("revision") == revision
            for e in self.service.journal.entries(self.env.name)
        )

    def handle(self, bake: Bake, emit: Callable[[Progress], None] | None = None) -> ActionResult | None:
        """A breached bake: notify once; with auto_rollback, roll back once. Returns the rollback's result."""
        if not bake.breached:
            return None
        now = self.ctx.clock.now()
        journal, name = self.service.journal, self.env.name
        figures = [round(v, 5) for v in bake.samples]
        try:
            if not self._seen("bake-breach", bake.revision):
                journal.note(
                    self.ctx.operator_on(name),
                    name,
                    "bake-breach",
                    revision=bake.revision,
                    figures=figures,
                    message=bake.line(now),
                )
                body = self.words(bake.line(now), Remedy(RemedyKind.ROLLBACK, name))
                self.service._notify(f"relui: {self.env.title} bake breached", body, name)
            if not self.env.auto_rollback or self._seen("auto-rollback", bake.revision):
                return None
            journal.note(self.ctx.operator_on(name), name, "auto-rollback", revision=bake.revision, figures=figures)
        except PortError:
            return None  # never act on a breach that could not be journaled
        reason = f"auto-rollback: {bake.line(now)}"
        request = Request(Action.ROLLBACK, name, reason=reason, trigger="auto-rollback")
        return self.service.run(request, accept(reason=reason), emit)

    def watch(self, emit: Callable[[Progress], None]) -> BakeVerdict:
        """Stay until the bake passes (True) or breaches (False, rolled back when configured).

        A bake whose error rate could not be read to the end, or never gave
        enough samples to judge, has not passed: False, saying why, and
        nothing is rolled back (the source is dark, not the release).
        """
        clock = self.ctx.clock
        poll = max(self.env.refresh_seconds, 1.0)
        last = ""
        seen: Bake | None = None
        while True:
            bake = self.current()
            if bake is None:
                if seen is not None and not seen.judged:
                    why = seen.problem or f"{len(seen.samples)} of the {seen.breach_after} error-rate samples it needs"
                    return BakeVerdict(
                        False,
                        f"bake of {seen.version} on {self.env.name} could not be judged: {why}; "
                        "check its error rate by hand before trusting the release",
                    )
                return BakeVerdict(
                    True, f"bake passed on {self.env.name}: no breach in {self.env.bake_minutes} minutes"
                )
            seen = bake
            line = bake.line(clock.now())
            if line != last:
                emit(Progress("bake", line))
                last = line
            if bake.breached:
                result = self.handle(bake, emit)
                if result is not None:
                    return BakeVerdict(False, f"{line}; {result.status}: {result.message}", result)
                return BakeVerdict(False, self.words(line, Remedy(RemedyKind.ROLLBACK, self.env.name)))
            clock.sleep(poll)
