"""Command palette entries for what the screen underneath offers (the same actions as its keys)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: what it says, the help line, what it runs."""

    title: str
    help: str
    run: Callable[[], object]


@runtime_checkable
class OffersCommands(Protocol):
    """A screen that lists its commands for the palette."""

    def palette_commands(self) -> list[PaletteCommand]:
        """The commands available on this screen now."""
        ...


class ReleaseCommands(Provider):
    """Deploy, smoke, cutover, rollback, lock, checklist, detail: per environment.

    An action that is not possible right now stays listed; its help line
    says why, and running it only repeats that reason. Textual reads a help
    line as markup, so it is escaped: it names the operator and keys, which
    people choose.
    """

    def _commands(self) -> list[PaletteCommand]:
        screen = self.screen
        return screen.palette_commands() if isinstance(screen, OffersCommands) else []

    async def discover(self) -> Hits:
        """Everything, for an empty query."""
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=escape(command.help))

    async def search(self, query: str) -> Hits:
        """Fuzzy match on the titles."""
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=escape(command.help))
