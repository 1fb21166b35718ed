"""The dashboard's typed lines: ``:`` runs a command, ``/`` filters the focused environment's pods.

Each line is mounted the first time its key opens it (``_bottom_line``),
and its module loads then too (or from the warm-up after the first frame):
an Input's styles and set-up were about a sixth of what the first frame
cost beyond a bare Textual app, for keys most starts never press.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on, work
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.widgets import Input

from relui.screens.dashboard_screens import OpensScreens
from relui.screens.reading import deployable_versions
from relui.services.context import Context

if TYPE_CHECKING:
    from relui.screens.command_mode import Command
    from relui.widgets.command_line import BottomLine
    from relui.widgets.env_column import EnvColumn

LineT = TypeVar("LineT", bound="BottomLine")


class TypedLines(OpensScreens):
    """The part of the dashboard that takes a typed ``:`` command or ``/`` pod filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "colon",
            "command_line",
            "Command",
            key_display=":",
            show=False,
            # Priority: keys typed right behind ':' must land in the line, not in the column.
            priority=True,
            id="command-line",
            tooltip=":deploy qa 1.5.1, :journal prod, :env prod ... (Tab completes)",
        ),
        Binding(
            "slash",
            "filter",
            "Filter pods",
            key_display="/",
            show=False,
            priority=True,
            id="filter",
            tooltip="Filter the focused environment's pods; Esc clears",
        ),
    ]

    if TYPE_CHECKING:
        # The dashboard's (screens/dashboard.py): where a filter goes, and what a command does.
        def column(self, env: str) -> EnvColumn: ...
        def run_command(self, command: Command) -> None: ...

    def __init__(self, ctx: Context, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        # Registry versions per environment, for the command line's completion (read when it opens).
        self.versions: dict[str, list[str]] = {}

    def _next_words(self, before: list[str]) -> list[str]:
        from relui.screens.command_mode import next_words

        names = [e.name for e in self.ctx.config.environments]
        return list(next_words(before, names, self.versions))

    def _typing(self) -> None:
        """A ``:`` or ``/`` typed into a line is text: the priority binding steps aside."""
        if isinstance(self.focused, Input):
            raise SkipAction()

    async def _bottom_line(self, kind: type[LineT], make: Callable[[], LineT]) -> LineT:
        """The screen's ``:`` or ``/`` line, mounted the first time it opens.

        Awaited inside the key's action: the App takes no further key until the
        line is mounted and has the focus, so no typed character goes elsewhere.
        """
        for line in self.query(kind):
            return line
        line = make()
        await self.mount(line)
        return line

    async def action_command_line(self) -> None:
        """Open the ``:`` line; the registry's versions are read meanwhile for completion."""
        from relui.widgets.command_line import CommandLine

        self._typing()
        (await self._bottom_line(CommandLine, partial(CommandLine, self._next_words))).open()
        self._read_versions_for_completion()

    @work(thread=True, exclusive=True, exit_on_error=False, group="command-versions")
    def _read_versions_for_completion(self) -> None:
        for env in self.ctx.config.environments:
            try:
                self.versions[env.name] = deployable_versions(self.ctx, env.name)
            except Exception:  # noqa: BLE001 - completion without versions still completes the rest
                continue

    async def action_filter(self) -> None:
        """Open the ``/`` line over the focused environment's pods."""
        from relui.widgets.command_line import FilterLine

        self._typing()
        (await self._bottom_line(FilterLine, FilterLine)).open(self.column(self.current_env).filter_text)

    @on(Input.Changed, "#filter-line")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.column(self.current_env).set_filter(event.value.strip())

    @on(Input.Submitted, "#filter-line")
    def _filter_kept(self, event: Input.Submitted) -> None:
        from relui.widgets.command_line import FilterLine

        event.stop()
        self.query_one(FilterLine).hide()
        self.column(self.current_env).focus()

    @on(Input.Submitted, "#command-line")
    def _command_entered(self, event: Input.Submitted) -> None:
        from relui.screens.command_mode import CommandError, parse
        from relui.widgets.command_line import CommandLine

        event.stop()
        line = self.query_one(CommandLine)
        line.hide()
        self.column(self.current_env).focus()
        envs = [e.name for e in self.ctx.config.environments]
        try:
            command = parse(event.value, envs, self.current_env)
        except CommandError as exc:
            self.notify(str(exc), title=":command", severity="warning")
            return
        self.run_command(command)

    def on_bottom_line_closed(self, event: BottomLine.Closed) -> None:
        """Esc on the ``:`` or ``/`` line: back to the column; a closed filter shows every pod again."""
        from relui.widgets.command_line import FilterLine

        if isinstance(event.line, FilterLine):
            self.column(self.current_env).set_filter("")
        self.column(self.current_env).focus()
