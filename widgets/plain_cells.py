"""Table cells that say what they hold: a ``DataTable`` reads a ``str`` cell as Rich markup.

Reasons, notes, evidence and Helm descriptions are typed by people (or
written by whoever can reach the records). As markup, ``x [/] y`` in a
deploy reason crashed the journal, environment and checklist screens with a
MarkupError, and ``[@click=app.quit]...[/]`` made a clickable action in
another operator's journal. Every cell relui puts in a table goes through
``plain``: text is text, and printable. A cell's lines are measured in
terminal cells (``wrapped``): a CJK name or an emoji takes two.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, chop_cells
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


def wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal cells, broken at spaces; a wider word folds.

    ``textwrap`` counts characters, so a line holding an operator's CJK name or an emoji ran past its column.
    """
    lines: list[str] = []
    for word in text.split():
        for piece in chop_cells(word, width) if cell_len(word) > width else [word]:
            if lines and cell_len(f"{lines[-1]} {piece}") <= width:
                lines[-1] += f" {piece}"
            else:
                lines.append(piece)
    return lines or [""]
