"""Dependencies point down: screens and widgets never reach adapters or backends.

import-linter checks the packages under relui/; screens/ and widgets/ are
installed into relui from outside it, so their imports are read here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("relui.adapters", "relui.backends")
UI_FILES = sorted((ROOT / "screens").glob("*.py")) + sorted((ROOT / "widgets").glob("*.py"))


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ui_module_imports_no_adapter(path: Path) -> None:
    bad = [m for m in imported_modules(path) if m.startswith(FORBIDDEN)]
    assert bad == [], f"{path.name} imports {bad}; go through relui.services and the ports"


def test_ui_modules_are_found() -> None:
    assert len(UI_FILES) >= 2
