"""cutover --watch --json is one JSON document, the bake's verdict in it; an action not ok also says so on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relui.cli import main
from relui.clock import ManualClock
from tests.conftest import drill_config


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    clock = ManualClock()
    # The bake is watched on the world's clock: a manual one plays 30 minutes out at once.
    monkeypatch.setattr("relui.commands.base.SystemClock", lambda: clock)
    monkeypatch.setenv("RELUI_USER", "ops")
    config = drill_config(tmp_path, always_open=True)
    base = ["--config", str(config), "--state-dir", str(tmp_path / "state")]

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*base, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_a_breached_bake_is_in_the_one_document_and_exits_1(run) -> None:  # type: ignore[no-untyped-def]
    assert run("deploy", "qa", "1.6.0", "--yes", "--reason", "drill")[0] == 0
    code, out, _ = run("cutover", "qa", "--yes", "--watch", "--json", "--reason", "drill")
    document = json.loads(out)  # one object: nothing printed after it
    assert code == 1
    assert next(iter(document)) == "schema_version" and document["status"] == "ok"
    assert document["bake"]["passed"] is False and "BAKE BREACH" in document["bake"]["message"]


def test_a_good_bake_passes_in_the_document_and_exits_0(run) -> None:  # type: ignore[no-untyped-def]
    assert run("deploy", "qa", "1.5.1", "--yes", "--reason", "drill")[0] == 0
    code, out, _ = run("cutover", "qa", "--yes", "--watch", "--json", "--reason", "drill")
    document = json.loads(out)
    assert code == 0 and document["bake"] == {
        "passed": True,
        "message": document["bake"]["message"],
        "rollback": None,
    }
    assert "bake passed" in document["bake"]["message"]


def test_a_refused_action_prints_its_document_and_one_line_on_stderr(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("cutover", "qa", "--yes", "--json", "--reason", "nothing to cut over")
    assert code == 3 and json.loads(out)["status"] == "blocked"
    # Progress lines ("  [guards] ...") come first; the refusal is one line of its own.
    [line] = [line for line in err.splitlines() if line.startswith("relui:")]
    assert line.startswith("relui: cutover on qa blocked by ")
    assert line.count("cutover on qa") == 1, line  # the message is not said twice
