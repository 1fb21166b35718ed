"""Table cells that say what they hold: a ``DataTable`` reads a ``str`` cell as Rich markup.

Reasons, notes, evidence and Helm descriptions are typed by people (or
written by whoever can reach the records). As markup, ``x [/] y`` in a
deploy reason crashed the journal, environment and checklist screens with a
MarkupError, and ``[@click=app.quit]...[/]`` made a clickable action in
another operator's journal. Every cell relui puts in a table goes through
``plain``: text is text, and printable.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from relui.printable import printable


def plain(cell: str | Text) -> Text:
    """A ``str`` as literal, printable text (a ``Text`` is kept, with its styles).

    Printable too: a record edited by hand, or a source, can hold escape
    sequences, and a cell is written to the terminal as it is.
    """
    return Text(printable(cell)) if isinstance(cell, str) else cell


def plain_row(cells: Iterable[str | Text]) -> list[Text]:
    """Every cell of a row through ``plain``."""
    return [plain(cell) for cell in cells]
