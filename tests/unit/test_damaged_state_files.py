"""A state file that is valid TOML but not the shape relui writes, and evidence that is no link.

Each is reported in one line naming the file and the key, the way an
unreadable file is: never a traceback, never read around, never written over.
Status lists an unreadable checklist among the problems and, as docs/cli.md
says, exits 1 when a source or the records store did not answer.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import tomli_w

from relui.cli import main
from relui.clock import ManualClock
from relui.config import load_config
from relui.services.attestations import evidence_problem
from relui.services.checklist import ChecklistError, Checklists
from relui.services.readiness import ReadinessError, read_records
from relui.services.release_day_guards import CUTOVER_PHASES
from tests.conftest import SHIPPED_CONFIG, drill_config, make_context


class Run:
    """``relui ARGS`` in-process on one config and state dir, as ops: (exit code, stdout, stderr)."""

    def __init__(self, config: Path, state: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config, self.state, self.capsys = config, state, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--state-dir", str(self.state), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setenv("RELUI_USER", "ops")
    return Run(SHIPPED_CONFIG, tmp_path / "state", capsys)


def one_error(err: str, *words: str) -> str:
    """The one ``relui:`` line on stderr, with each of ``words`` in it; no traceback."""
    assert "Traceback" not in err, err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("relui: "), line
    for word in words:
        assert word in line, line
    return line


def checklist_file(run: Run) -> Path:
    """Tick one item of PROD (as after ``relui checklist prod tick tests-passing --yes``); the file it wrote."""
    code, _, err = run("checklist", "prod", "tick", "tests-passing", "--yes")
    assert code == 0, err
    [path] = (run.state / "checklists" / "prod").glob("*.toml")
    return path


# -- 1 and 2: a checklist file of the wrong shape ------------------------------------------

DAMAGED_CHECKLISTS = [
    ('[items]\ntests-passing = "x"\n', "items.tests-passing is a string ('x'), not a table"),
    ("items = 5\n", "items is an integer (5), not a table"),
    ('[items.tests-passing]\ndone = "false"\n', "items.tests-passing.done is a string ('false'), not a boolean"),
    ('[items.tests-passing]\ndone = "no"\n', "items.tests-passing.done is a string ('no'), not a boolean"),
    ("[items.tests-passing]\ndone = 1\n", "items.tests-passing.done is an integer (1), not a boolean"),
    ("[items.tests-passing]\ndone = true\nby = 5\n", "items.tests-passing.by is an integer (5), not a string"),
    ("signoffs = 5\n", "signoffs is an integer (5), not an array"),
    ('signoffs = ["po"]\n', "signoffs[0] is a string ('po'), not a table"),
    ('[[signoffs]]\nuser = "po"\n', "signoffs[0].role is missing"),
    ('[smoke]\ncolor = "green"\nat = "x"\npassed = "yes"\n', "smoke.passed is a string ('yes'), not a boolean"),
    ('smoke = "passed"\n', "smoke is a string ('passed'), not a table"),
    ('[smoke]\ncolor = "green"\nat = "x"\npassed = true\nresults = [1]\n', "smoke.results[0] is an integer (1)"),
]


@pytest.mark.parametrize(("body", "damage"), DAMAGED_CHECKLISTS)
def test_a_checklist_of_the_wrong_shape_is_unreadable_everywhere_and_never_written_over(
    run: Run, body: str, damage: str
) -> None:
    path = checklist_file(run)
    path.write_text(body)
    name = f"checklists/prod/{path.name}"

    code, _, err = run("checklist", "prod")
    assert code == 1
    line = one_error(err, f"checklist {name} is unreadable: {damage}", "repair the file")

    code, _, err = run("checklist", "prod", "tick", "config-validated", "--yes")
    assert code == 1
    one_error(err, f"checklist {name} is unreadable: {damage}")
    assert path.read_text() == body, "a tick wrote over the damaged file"

    code, out, err = run("status", "prod")
    assert code == 1 and "Traceback" not in err, err
    assert "checklist 0/13" in out and f"  ! {line.removeprefix('relui: ')}" in out.splitlines()

    code, out, _ = run("status", "prod", "--json")
    (prod,) = json.loads(out)["environments"]
    assert code == 1 and prod["problems"] == [line.removeprefix("relui: ")]
    assert path.read_text() == body


def test_only_a_toml_true_is_done(run: Run) -> None:
    path = checklist_file(run)
    state = tomllib.loads(path.read_text())
    state["items"]["migrations-reviewed"] = {"done": False, "by": "ops", "at": state["items"]["tests-passing"]["at"]}
    path.write_text(tomli_w.dumps(state))
    code, out, err = run("checklist", "prod", "--json")
    assert code == 0, err
    done = {i["id"]: i["done"] for i in json.loads(out)["items"]}
    assert done["tests-passing"] is True and done["migrations-reviewed"] is False


def test_a_string_done_does_not_pass_the_cutover_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock()
    monkeypatch.setattr("relui.commands.base.SystemClock", lambda: clock)
    monkeypatch.setenv("RELUI_USER", "ops")
    config = drill_config(tmp_path, always_open=True)
    run = Run(config, tmp_path / "state", capsys)
    assert run("deploy", "qa", "1.6.0", "--yes", "--reason", "test")[0] == 0
    assert run("smoke", "qa", "--yes")[0] == 0
    path = run.state / "checklists" / "qa" / "1.6.0.toml"
    state = tomllib.loads(path.read_text())
    manual = [i.id for i in load_config(config).checklist if i.phase in CUTOVER_PHASES and not i.auto]
    state["items"] = {item: {"done": "false", "by": "ops", "at": "2026-11-26T10:00:00+00:00"} for item in manual}
    path.write_text(tomli_w.dumps(state))

    _, out, _ = run("cutover", "qa", "--yes", "--json", "--reason", "test")
    guard = next(g for g in json.loads(out)["guards"] if g["name"] == "checklist")
    assert guard["verdict"] != "pass"  # on QA an open checklist warns; a damaged one is not counted complete
    assert "is unreadable: items." in guard["reason"]
    assert ".done is a string ('false'), not a boolean" in guard["reason"]


def test_the_service_refuses_a_damaged_checklist(tmp_path: Path) -> None:
    ctx = make_context(SHIPPED_CONFIG, tmp_path / "state", ManualClock())
    checklists = Checklists(ctx)
    version = checklists.version_of("prod")
    path = checklists.path("prod", version)
    path.parent.mkdir(parents=True)
    path.write_text("items = 5\n")
    with pytest.raises(ChecklistError, match="is unreadable: items is an integer"):
        checklists.view("prod")
    with pytest.raises(ChecklistError, match="is unreadable: items is an integer"):
        checklists.smoke_of("prod", version)
    with pytest.raises(ChecklistError, match="is unreadable: items is an integer"):
        checklists.tick("prod", "config-validated")
    assert checklists.progress_of("prod") == ({"done": 0, "total": 13}, checklists_unreadable(path))
    assert path.read_text() == "items = 5\n"


def checklists_unreadable(path: Path) -> str:
    name = f"checklists/prod/{path.name}"
    damage = "items is an integer (5), not a table"
    return f"checklist {name} is unreadable: {damage}; repair the file (relui does not write over it)"


# -- 1: a readiness file of the wrong shape ------------------------------------------------

DAMAGED_READINESS = [
    ("records = 5\n", "records is an integer (5), not a table"),
    ('[records]\nrestore-test = "x"\n', "records.restore-test is a string ('x'), not a table"),
    ("[records.restore-test]\nevidence = 5\n", "records.restore-test.evidence is an integer (5), not a string"),
    ("env = 1\n", "env is an integer (1), not a string"),
]


@pytest.mark.parametrize(("body", "damage"), DAMAGED_READINESS)
def test_a_readiness_file_of_the_wrong_shape_is_unreadable_and_never_written_over(
    run: Run, body: str, damage: str
) -> None:
    path = run.state / "readiness" / "prod.toml"
    path.parent.mkdir(parents=True)
    path.write_text(body)
    unreadable = f"readiness file readiness/prod.toml is unreadable: {damage}"

    code, _, err = run("readiness", "prod", "signoff", "restore-test", "--evidence", "https://x.example", "--yes")
    assert code == 1
    one_error(err, unreadable, "repair the file")
    assert path.read_text() == body, "a record wrote over the damaged file"

    code, out, err = run("readiness", "prod")
    assert code == 1 and "Traceback" not in err, err
    assert unreadable in out

    ctx = make_context(SHIPPED_CONFIG, run.state, ManualClock())
    with pytest.raises(ReadinessError, match="is unreadable: "):
        read_records(ctx, "prod")


# -- 3 and 4: status says what it could not read, and exits 1 ------------------------------


def test_status_lists_a_truncated_checklist_as_a_problem_and_exits_1(run: Run) -> None:
    path = checklist_file(run)
    path.write_bytes(path.read_bytes()[:100])
    code, out, err = run("status", "prod")
    assert code == 1 and err == ""
    assert "checklist 0/13" in out
    [problem] = [line for line in out.splitlines() if line.startswith("  ! ")]
    assert problem.startswith(f"  ! checklist checklists/prod/{path.name} is unreadable: ")

    code, out, _ = run("status", "prod", "--json")
    (prod,) = json.loads(out)["environments"]
    assert code == 1 and prod["checklist"] == {"done": 0, "total": 13}
    assert prod["problems"] == [problem.removeprefix("  ! ")]


def test_status_exits_1_when_a_source_did_not_answer_and_still_prints_everything(run: Run) -> None:
    assert run("status")[0] == 0  # a healthy world: exit 0
    (run.state / "sandbox" / "world.json").write_text("{not json")
    code, out, err = run("status")
    assert code == 1 and err == ""
    assert [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")] == [
        "DEV",
        "QA",
        "PROD",
    ]
    assert "  ! cluster unavailable: sandbox world " in out

    code, out, _ = run("status", "--json")
    envs = json.loads(out)["environments"]
    assert code == 1 and len(envs) == 3
    assert all(any(p.startswith("cluster unavailable: ") for p in e["problems"]) for e in envs)


def test_a_lock_that_could_not_be_read_is_unknown_not_free(run: Run) -> None:
    """It said "lock: free" beside "! lock unavailable", and JSON null, as for a free lock: a script took it as free."""
    assert run("status")[0] == 0
    (run.state / "sandbox" / "world.json").write_text("{not json")
    code, out, _ = run("status", "qa")
    assert code == 1 and "lock: unknown (unreadable)" in out and "lock: free" not in out
    code, out, _ = run("status", "qa", "--json")
    (qa,) = json.loads(out)["environments"]
    assert qa["lock"] is not None and qa["lock"]["holder"] is None
    assert qa["lock"]["unknown"].startswith("lock unavailable: ")


# -- 5: evidence with a space, line break or control character in it -----------------------

NO_LINKS = [
    "https://a.example/x y",
    "https://a.example/x\ny",
    "https://a.example/x\ty",
    "https://a.example/x\x07",
    "https://a.example/\u202ex",  # a bidi override: shows as another link
    "https://a.example/x\u00a0y",  # a no-break space
]


@pytest.mark.parametrize("evidence", NO_LINKS)
def test_evidence_with_a_space_or_control_character_is_refused(run: Run, evidence: str) -> None:
    code, _, err = run("readiness", "prod", "signoff", "secrets-rotated", "--evidence", evidence, "--yes")
    assert code == 2
    one_error(err, "evidence must be a link with no space, line break or control character in it", repr(evidence))
    assert not (run.state / "readiness" / "prod.toml").exists()
    assert evidence_problem(evidence) is not None  # the TUI's evidence form asks the same


def test_evidence_around_which_there_is_space_is_trimmed_and_a_bad_host_is_no_link(run: Run) -> None:
    assert evidence_problem("https://a.example/x") is None
    assert evidence_problem("https://a.example/x%20y") is None
    code, _, err = run("readiness", "prod", "signoff", "secrets-rotated", "--evidence", "https://[x", "--yes")
    assert code == 2
    one_error(err, "evidence must be a link (https://...)", "'https://[x'")
    code, out, err = run(
        "readiness", "prod", "signoff", "restore-test", "--evidence", " https://a.example/r\n", "--yes"
    )
    assert code == 0, err
    assert "https://a.example/r" in out
    records = tomllib.loads((run.state / "readiness" / "prod.toml").read_text())["records"]
    assert records["restore-test"]["evidence"] == "https://a.example/r"


def test_a_long_evidence_link_is_kept_whole_and_a_too_long_one_refused(run: Run) -> None:
    """A 677-character Grafana link was stored cut to 500 with an ellipsis, exit 0: a broken link recorded as proof."""
    pods = "".join(f"&var-pod=shop-green-{i:04d}" for i in range(25))
    grafana = f"https://grafana.example/d/abc/release?orgId=1{pods}"
    assert 600 < len(grafana) < 2000
    code, out, err = run("readiness", "prod", "signoff", "restore-test", "--evidence", grafana, "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["evidence"] == grafana
    records = tomllib.loads((run.state / "readiness" / "prod.toml").read_text())["records"]
    assert records["restore-test"]["evidence"] == grafana
    code, out, _ = run("readiness", "prod", "--json")
    assert grafana in out

    too_long = "https://a.example/" + "x" * 2000
    code, _, err = run("readiness", "prod", "signoff", "secrets-rotated", "--evidence", too_long, "--yes")
    assert code == 2
    one_error(err, "evidence link is 2018 characters, more than the 2000 relui keeps")
