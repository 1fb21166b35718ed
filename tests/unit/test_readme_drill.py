"""README's release-day drill from a shell, run verbatim, inside a release window and outside one.

A newcomer copies the block line by line. Each line must end as its comment
says (``exit 3``, ``exit 1 until ...``, ``exit 0``; no comment means 0), and
at an hour outside the release window the comment on the PROD cutover must
be the way through.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT, drill_config

README = (ROOT / "README.md").read_text()
HEADING = "The same drill from a shell"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MARKER = "@@relui-readme-exit@@"


def drill_lines() -> list[str]:
    block = README[README.index(HEADING) :].split("```\n", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def command(line: str) -> str:
    return line.split("  #", 1)[0].strip()


def expected_exit(line: str) -> int:
    """What the comment says the line exits with; a parenthesis says what another line would do."""
    comment = re.sub(r"\([^)]*\)", "", line.split("  #", 1)[1]) if "  #" in line else ""
    found = re.search(r"exit (\d)", comment)
    return int(found.group(1)) if found else 0


def run_drill(tmp_path: Path, config_text: str, lines: list[str]) -> list[int]:
    """Every line in one bash, as typed into one terminal; the exit code of each."""
    (tmp_path / "config.toml").write_text(config_text)
    script = "\n".join(f'{line}\necho "{MARKER} $?" >&2' for line in lines)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELUI_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        TMPDIR=str(tmp_path),
    )
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    codes = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith(MARKER)]
    assert len(codes) == len(lines), done.stderr[-2000:]
    return codes


def fast(text: str) -> str:
    return re.sub(r"(?m)^time_scale = .*$", "time_scale = 20", text)


def test_inside_a_release_window_every_line_ends_as_its_comment_says(tmp_path: Path) -> None:
    lines = drill_lines()
    codes = run_drill(tmp_path, fast(drill_config(tmp_path, always_open=True).read_text()), lines)
    for line, code in zip(lines, codes, strict=True):
        assert code == expected_exit(line), f"{command(line)!r} exited {code}"


@pytest.mark.parametrize("with_hotfix", [False, True])
def test_outside_a_release_window_the_cutover_comment_is_the_way_through(tmp_path: Path, with_hotfix: bool) -> None:
    no_window_today = DAYS[(datetime.now(UTC).weekday() + 2) % 7]
    config = drill_config(tmp_path).read_text()
    config = re.sub(r'(?m)^days = \["mon", "tue", "wed", "thu"\]$', f'days = ["{no_window_today}"]', config)
    config = fast(re.sub(r"(?ms)^\[\[calendar\.freezes\]\].*?reason = .*?\n", "", config))
    lines = drill_lines()
    at = next(i for i, line in enumerate(lines) if command(line).startswith('relui cutover prod --yes --reason "'))
    if with_hotfix:
        hint = re.search(r'add (--hotfix "[^"]+")', lines[at])
        assert hint, f"the cutover line no longer says what to add outside a window: {lines[at]!r}"
        lines[at] = f"{command(lines[at])} {hint.group(1)}"
    codes = dict(zip(map(command, lines), run_drill(tmp_path, config, lines), strict=True))

    assert codes[command(lines[at])] == (0 if with_hotfix else 3)
    rollback = next(c for c in codes if c.startswith("relui rollback prod"))
    assert codes[rollback] == (0 if with_hotfix else 3), "the rollback follows what the cutover did"
