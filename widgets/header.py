"""The one-line header: who is acting, READ-ONLY, and the release calendar."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ReleaseHeader(Static):
    """Operator, mode and release-window banner, in plain words.

    READ-ONLY is spelled out rather than shown as a color, so it survives
    NO_COLOR and monochrome terminals.
    """

    DEFAULT_CSS = """
    ReleaseHeader {
        height: 1;
        width: 1fr;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(
        self, operator: str, roles: tuple[str, ...], read_only: bool, *, where: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.operator = operator
        self.roles = roles
        self.where = where  # the environment the name holds for, when environments know the operator differently
        self.read_only = read_only
        self.banner = ""

    def on_mount(self) -> None:
        """Draw the first line before any banner is known."""
        self.update(self._line())

    def show_operator(self, operator: str, roles: tuple[str, ...], where: str = "") -> None:
        """Who acts where the focus is: each environment verifies the operator on its own."""
        if (operator, roles, where) != (self.operator, self.roles, self.where):
            self.operator, self.roles, self.where = operator, roles, where
            self.update(self._line())

    def show_banner(self, banner: str) -> None:
        """Replace the calendar banner (window open, next window, freeze)."""
        if banner != self.banner:
            self.banner = banner
            self.update(self._line())

    def _line(self) -> Text:
        roles = ", ".join(self.roles) or "no roles"
        line = Text.assemble(("relui", "bold"), f"  {self.operator} ({roles})")
        if self.where:
            line.append(f" on {self.where}")
        if self.read_only:
            line.append("  READ-ONLY", "bold reverse")
        if self.banner:
            style = "bold" if self.banner.startswith(("FREEZE", "next window", "no release")) else ""
            line.append(f"  | {self.banner}", style)
        return line
