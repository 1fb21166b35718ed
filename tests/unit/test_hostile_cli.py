"""What a careless or hostile user tried at the CLI, each refused in one line (exit 2) or kept harmless.

Found by driving relui as a pipeline would and as a hostile user would; each
case failed before its fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.journal import Journal, JournalError
from tests.conftest import SHIPPED_CONFIG
from tests.unit.test_cli import Relui


@pytest.fixture
def relui(tmp_path: Path) -> Relui:
    return Relui(SHIPPED_CONFIG, tmp_path / "state")


def one_line_exit_2(done: object) -> str:
    assert done.returncode == 2, done.stdout + done.stderr  # type: ignore[attr-defined]
    err: str = done.stderr  # type: ignore[attr-defined]
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "name",
    [
        "ops\n  [x] migrations-reviewed      DB migrations reviewed and tested",
        "\x1b[2J\x1b[31mEVIL\x1b]0;T\x07",
        "ops bob",
        "ops\u200b",
        "x" * 65,
    ],
)
def test_a_user_name_with_line_breaks_escapes_or_spaces_is_refused(relui: Relui, name: str) -> None:
    """A newline in RELUI_USER forged checklist lines for the next reader; an escape reached their terminal raw."""
    err = one_line_exit_2(relui("checklist", "qa", "tick", "tests-passing", user=name))
    assert "set RELUI_USER to a login name" in err and "\x1b" not in err
    assert not (relui.state / "journal.jsonl").exists() or b"tick" not in (relui.state / "journal.jsonl").read_bytes()


def test_a_smoke_check_with_an_empty_command_is_a_config_error(tmp_path: Path) -> None:
    """``command = []`` ran nothing and fell back to an HTTP GET of /, which passed."""
    text = SHIPPED_CONFIG.read_text()
    config = tmp_path / "config.toml"
    config.write_text(text.replace('name = "health"\npath = "/healthz"\n', 'name = "health"\ncommand = []\n', 1))
    err = one_line_exit_2(Relui(config, tmp_path / "state")("status"))
    assert "smoke[0].command: is empty" in err


def test_a_drill_never_writes_over_a_directory_that_holds_files(relui: Relui, tmp_path: Path) -> None:
    """``--state-dir-out .`` in a project replaced its config.toml with the drill's."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.toml").write_text("# mine\n")
    err = one_line_exit_2(relui("drill", "crashloop", "--no-tui", "--state-dir-out", str(project)))
    assert "is not empty" in err
    assert (project / "config.toml").read_text() == "# mine\n"
    err = one_line_exit_2(relui("drill", "crashloop", "--no-tui", "--state-dir-out", "/dev/null"))
    assert "cannot make the drill's directory /dev/null" in err


def test_a_read_only_drill_score_is_shown_and_not_recorded(relui: Relui, tmp_path: Path) -> None:
    """A score recorded in read-only mode met the readiness review's training criterion."""
    drill = tmp_path / "drill"
    assert relui("drill", "missing-tag", "--no-tui", "--state-dir-out", str(drill)).returncode == 0
    scored = relui("--read-only", "drill", "--score", str(drill))
    assert "not recorded: read-only mode" in scored.stdout, scored.stdout + scored.stderr
    assert not (relui.state / "drills.jsonl").exists()


def test_words_the_wrong_way_round_get_the_right_suggestion(relui: Relui) -> None:
    err = one_line_exit_2(relui("journal", "prod", "verify"))
    assert "did you mean: relui journal verify prod" in err
    err = one_line_exit_2(relui("init", "/dev/null"))
    assert "/dev/null is not a directory" in err and "exists already" not in err


def test_a_tick_whose_failure_cannot_be_journaled_says_the_journal_holds_it(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk filled between the tick's note and its save: the error said 'not journaled', yet the note was there."""
    real = Journal.note

    def note(self: Journal, operator: str, env: str, action: str, status: str = "ok", **detail: object) -> object:
        if status == "failed":
            raise JournalError("cannot write the journal: No space left on device")
        return real(self, operator, env, action, status, **detail)

    @contextmanager
    def unsaved(self: Checklists, env: str, version: str | None) -> Iterator[dict[str, object]]:
        yield {}
        raise ChecklistError("cannot save the checklist: No space left on device")

    monkeypatch.setattr(Journal, "note", note)
    monkeypatch.setattr(Checklists, "_change", unsaved)
    with pytest.raises(ChecklistError, match="the journal notes this tick but could not note that it failed"):
        Checklists(ctx).tick("qa", "tests-passing")
