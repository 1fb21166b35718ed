"""The CLI as a pipeline drives it: subprocesses, exit codes, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from relui.services.checklist import Checklists
from relui.services.context import Context
from relui.services.journal import Journal, JournalError
from tests.conftest import SHIPPED_CONFIG, drill_config


class Relui:
    """Runs ``python -m relui`` against one config and state dir, as one operator."""

    def __init__(self, config: Path, state: Path) -> None:
        self.config = config
        self.state = state

    def __call__(self, *args: str, user: str = "ops", stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RELUI_USER": user}
        return subprocess.run(
            [sys.executable, "-m", "relui", *args, "--config", str(self.config), "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            input=stdin,
        )

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def relui(tmp_path: Path) -> Relui:
    return Relui(drill_config(tmp_path, time_scale=50, always_open=True), tmp_path / "state")


def test_status_json_on_the_shipped_config(tmp_path: Path) -> None:
    status = Relui(SHIPPED_CONFIG, tmp_path / "state").json("status")
    envs = status["environments"]
    assert [e["name"] for e in envs] == ["dev", "qa", "prod"]
    for env in envs:
        assert env["active_color"] == "blue"
        blue = env["colors"]["blue"]
        assert blue["version"] and blue["ready"] == blue["desired"] == 3 and len(blue["pods"]) == 3
        assert env["colors"]["green"]["version"] is None
        assert isinstance(env["error_rate"]["blue"], float) and env["error_rate"]["green"] is None
        assert env["checklist"]["total"] == 13
        assert env["lock"] is None and env["problems"] == []
    assert [e["protected"] for e in envs] == [False, False, True]


def test_status_reports_a_dark_metrics_source_prints_everything_and_exits_1(tmp_path: Path) -> None:
    config = drill_config(tmp_path)
    config.write_text(config.read_text() + '\n[[sandbox.faults]]\nkind = "metrics_down"\nenv = "qa"\n')
    done = Relui(config, tmp_path / "state")("status", "--json")
    assert done.returncode == 1, done.stderr  # docs/cli.md: a source that did not answer is exit 1
    assert len(json.loads(done.stdout)["environments"]) == 3
    qa = json.loads(done.stdout)["environments"][1]
    assert qa["error_rate"] == {"blue": None, "green": None}
    assert qa["problems"] == ["metrics unavailable: prometheus (sandbox) did not answer: connection refused"]
    assert qa["colors"]["blue"]["ready"] == 3


def test_release_day_drill_through_the_cli(relui: Relui) -> None:
    unconfirmed = relui("deploy", "qa", "1.6.0")
    assert unconfirmed.returncode == 3 and "confirm at a terminal or pass --yes" in unconfirmed.stderr
    deploy = relui("deploy", "qa", "1.6.0", "--yes")
    assert deploy.returncode == 0, deploy.stderr
    assert "[rollout] green 1.6.0: 3/3 pods ready" in deploy.stderr
    assert relui("smoke", "qa", "--yes").returncode == 0
    assert relui("cutover", "qa", "--yes").returncode == 0
    assert relui("deploy", "prod", "1.6.0", "--yes").returncode == 0

    blocked = relui("cutover", "prod", "--yes")
    assert blocked.returncode == 3
    assert "BLOCK signoff: no product_owner sign-off for 1.6.0" in blocked.stderr
    assert "BLOCK checklist:" in blocked.stderr and "relui checklist prod" in blocked.stderr

    refused = relui("signoff", "prod", "--role", "product_owner")
    assert refused.returncode == 3 and "does not hold role 'product_owner'" in refused.stderr  # a permission
    assert relui("signoff", "prod", "--role", "product_owner", user="owner").returncode == 0
    checklist = relui.json("checklist", "prod")
    for item in checklist["items"]:
        if not item["auto"] and item["phase"] != "post-deployment":
            assert relui("checklist", "prod", "tick", item["id"], "--note", "drill").returncode == 0

    for item in ("oauth2-flows", "secrets-rotated", "restore-test"):
        attested = relui("readiness", "prod", "signoff", item, "--evidence", f"https://evidence.example/{item}")
        assert attested.returncode == 0, attested.stderr
    drill = relui.state.parent / "drill"
    assert relui("drill", "missing-tag", "--no-tui", "--state-dir-out", str(drill)).returncode == 0
    assert Relui(drill / "config.toml", drill)("deploy", "prod", "2.4.0").returncode == 3
    assert relui("drill", "--score", str(drill)).returncode == 0
    ready = relui("readiness", "prod")
    assert ready.returncode == 0, ready.stdout

    no_tty = relui("cutover", "prod")
    assert no_tty.returncode == 3 and "pass --yes" in no_tty.stderr
    cut = relui("cutover", "prod", "--yes", "--reason", "release 1.6.0", "--json")
    assert cut.returncode == 0, cut.stderr
    result = json.loads(cut.stdout)
    assert result["status"] == "ok" and result["plan"]["from_color"] == "blue" and result["plan"]["to_color"] == "green"

    deadline = time.monotonic() + 60
    while True:
        prod = relui.json("status", "prod")["environments"][0]
        if prod["error_rate"]["green"] > prod["error_threshold"]:
            break
        assert time.monotonic() < deadline, "the faulty version's error rate never rose"
        time.sleep(0.5)

    rollback = relui("rollback", "prod", "--yes", "--reason", "errors above threshold")
    assert rollback.returncode == 0, rollback.stderr
    prod = relui.json("status", "prod")["environments"][0]
    assert prod["active_color"] == "blue" and prod["colors"]["blue"]["version"] == "1.4.2"
    assert len(list((relui.state / "incidents").glob("*-prod.md"))) == 1

    journal = relui.json("journal")
    outcomes = [(e["env"], e["action"], e["status"]) for e in journal["entries"] if e["kind"] == "outcome"]
    assert ("prod", "cutover", "blocked") in outcomes and outcomes[-1] == ("prod", "rollback", "ok")
    assert journal["interrupted"] == []


def test_typed_confirmation_on_a_protected_environment(relui: Relui) -> None:
    # prompt() reads stdin; without a terminal relui refuses instead of guessing.
    done = relui("deploy", "prod", "1.5.1", stdin="prod\n")
    assert done.returncode == 3 and "confirm at a terminal or pass --yes" in done.stderr
    assert relui.json("status", "prod")["environments"][0]["colors"]["green"]["version"] is None


def test_unknown_environment_is_one_line_exit_2(relui: Relui) -> None:
    done = relui("deploy", "staging", "1.0.0")
    assert done.returncode == 2
    assert done.stderr.strip() == "relui: unknown environment 'staging'; configured: dev, qa, prod"


@pytest.mark.parametrize("option", ["--state-dir", "--config"])
def test_an_empty_path_option_is_refused_not_taken_as_the_default(tmp_path: Path, option: str) -> None:
    """``--state-dir "$DIR"`` with DIR unset in a pipeline acted on the machine's default state dir."""
    home = tmp_path / "home"
    env = {**os.environ, "RELUI_USER": "ops", "HOME": str(home), "XDG_STATE_HOME": "", "XDG_CONFIG_HOME": ""}
    env.pop("RELUI_STATE_DIR", None)
    env.pop("RELUI_CONFIG", None)
    args = {"--config": str(SHIPPED_CONFIG), "--state-dir": str(tmp_path / "state")} | {option: ""}
    argv = [sys.executable, "-m", "relui", "lock", "qa", "--yes", *(a for kv in args.items() for a in kv)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"relui: {option} is empty; give a path, or leave {option} out for the default"
    assert not home.exists(), "nothing is written to the default state dir"


def test_blocked_deploy_of_missing_image_exits_3(relui: Relui) -> None:
    done = relui("deploy", "qa", "9.9.9")
    assert done.returncode == 3
    assert "BLOCK image: image 9.9.9 is not in the registry; push it first" in done.stderr


def run_at_terminal(relui: Relui, args: list[str], typed: str) -> tuple[int, str]:
    """Run relui with a pseudo-terminal on stdin, type a line at its prompt."""
    import pty

    primary, secondary = pty.openpty()
    env = {**os.environ, "RELUI_USER": "ops"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "relui", *args, "--config", str(relui.config), "--state-dir", str(relui.state)],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    os.close(secondary)
    os.write(primary, typed.encode())
    out, _ = proc.communicate(timeout=120)
    os.close(primary)
    return proc.returncode, out


def test_protected_environment_asks_for_its_name_at_a_terminal(relui: Relui) -> None:
    code, out = run_at_terminal(relui, ["deploy", "prod", "1.5.1"], "qa\n")
    assert code == 3 and "confirmation did not match 'prod'; nothing was changed" in out
    code, out = run_at_terminal(relui, ["deploy", "prod", "1.5.1", "--reason", "drill"], "prod\n")
    assert code == 0, out
    assert "1.5.1 is ready on green" in out


def test_ctrl_d_at_the_prompt_is_no_and_the_prompt_stays_off_stdout(relui: Relui) -> None:
    """End of input at the question is "not confirmed" (it was a traceback); with --json stdout is the JSON alone."""
    import pty

    for typed, args in ((b"\x04", ["deploy", "qa", "1.5.1"]), (b"\x04", ["deploy", "prod", "1.5.1"])):
        primary, secondary = pty.openpty()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "relui",
                *args,
                "--json",
                "--config",
                str(relui.config),
                "--state-dir",
                str(relui.state),
            ],
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "RELUI_USER": "ops"},
            text=True,
        )
        os.close(secondary)
        os.write(primary, typed)
        out, err = proc.communicate(timeout=120)
        os.close(primary)
        assert proc.returncode == 3, err
        assert "Traceback" not in err and ("not confirmed" in out or "did not match" in out)
        report = json.loads(out)
        assert next(iter(report)) == "schema_version" and report["status"] == "cancelled"


def test_unreachable_real_sources_are_problems_not_log_noise(tmp_path: Path) -> None:
    config = tmp_path / "kube.toml"
    config.write_text(
        '[[environments]]\nname = "prod"\nkind = "kubernetes"\nprotected = true\nrelease = "shop"\n'
        'kube_context = "nope"\n'
    )
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "missing-kubeconfig"), "HOME": str(tmp_path)}
    env.pop("RELUI_LOG", None)
    state = str(tmp_path / "s")
    done = subprocess.run(
        [sys.executable, "-m", "relui", "status", "--json", "--config", str(config), "--state-dir", state],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1  # a source that did not answer (docs/cli.md)
    assert done.stderr == ""
    prod = json.loads(done.stdout)["environments"][0]
    assert prod["active_color"] is None
    assert any(p.startswith("cluster unavailable: ") for p in prod["problems"])


def journal_notes(state: Path, action: str) -> list[dict[str, Any]]:
    lines = (state / "journal.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == "note" and r["action"] == action]


def test_ticks_signoffs_and_readiness_are_journaled_once_through_the_cli(tmp_path: Path) -> None:
    relui = Relui(SHIPPED_CONFIG, tmp_path / "state")
    version = relui.json("checklist", "qa")["version"]
    tick = relui("checklist", "qa", "tick", "tests-passing", "--note", "CI run 381\n- [x] forged")
    assert tick.returncode == 0, tick.stderr
    assert tick.stdout == f"ticked tests-passing on qa ({version})\n"
    [note] = journal_notes(relui.state, "tick")
    assert (note["env"], note["item"], note["note"], note["operator"]) == (
        "qa",
        "tests-passing",
        "CI run 381 - [x] forged",
        "ops",
    )
    assert relui("checklist", "qa", "untick", "tests-passing").returncode == 0
    assert len(journal_notes(relui.state, "untick")) == 1

    signoff = relui("signoff", "qa", "--role", "product_owner", user="owner")
    assert signoff.returncode == 0, signoff.stderr
    assert signoff.stdout == f"owner signed off {version} on qa as product_owner\n"
    [signed] = journal_notes(relui.state, "signoff")
    assert (signed["role"], signed["version"], signed["operator"]) == ("product_owner", version, "owner")

    attest = relui("readiness", "prod", "signoff", "restore-test", "--evidence", "https://wiki.example/r")
    assert attest.returncode == 0, attest.stderr
    assert len(journal_notes(relui.state, "readiness")) == 1


def test_ticks_and_signoffs_made_through_the_service_are_journaled_once(ctx: Context, as_user: Any) -> None:
    checklists = Checklists(ctx)
    checklists.tick("qa", "tests-passing", note="from the TUI")
    checklists.tick("qa", "tests-passing", done=False)
    Checklists(as_user("owner")).sign_off("qa", "product_owner")
    journal = Journal(ctx.state_dir, ctx.clock).entries("qa")
    assert [(e.kind, e.action, e.operator) for e in journal] == [
        ("note", "tick", "ops"),
        ("note", "untick", "ops"),
        ("note", "signoff", "owner"),
    ]
    assert journal[0].detail["item"] == "tests-passing" and journal[0].detail["note"] == "from the TUI"
    assert journal[2].detail["version"] == checklists.version_of("qa")


def test_a_tick_that_cannot_be_journaled_is_not_saved(ctx: Context) -> None:
    (ctx.state_dir / "journal.jsonl").symlink_to("/dev/full")
    with pytest.raises(JournalError):
        Checklists(ctx).tick("qa", "tests-passing")
    assert not any(s.done for s in Checklists(ctx).view("qa", evaluate=False).items if s.item.id == "tests-passing")


@pytest.mark.parametrize(
    "command",
    [
        ["lock", "qa", "--yes"],
        ["approve", "prod", "--break-glass", "--action", "cutover", "--reason", "INC-7 checkout down", "--yes"],
        ["checklist", "qa", "tick", "tests-passing", "--yes"],
    ],
    ids=["lock", "approve", "tick"],
)
def test_a_journal_that_cannot_be_written_is_exit_2_for_every_command(relui: Relui, command: list[str]) -> None:
    """docs/cli.md: a journal that cannot be written is a state-dir problem (2); lock and approve said 1."""
    relui.state.mkdir(parents=True, exist_ok=True)
    (relui.state / "journal.jsonl").symlink_to("/dev/full")
    done = relui(*command)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("relui: ") and len(done.stderr.strip().splitlines()) == 1
    assert "No space left on device" in done.stderr


def test_a_sign_off_for_a_release_no_longer_in_play_records_nothing(tmp_path: Path) -> None:
    """The owner names what they reviewed: a deploy since then is refused, not signed off unseen."""
    # The shipped config at a fast rollout: the deploy is only the setup, and 12 real seconds of it were the test.
    relui = Relui(drill_config(tmp_path, time_scale=1000), tmp_path / "state")
    assert relui("deploy", "qa", "1.5.1", "--yes").returncode == 0
    stale = relui("signoff", "qa", "--role", "product_owner", "--version", "1.4.2", user="owner")
    assert stale.returncode == 3, stale.stderr
    assert stale.stderr == (
        "relui: qa's release in play is 1.5.1 now, not 1.4.2 as shown; nothing was recorded: "
        "look again, then sign off for 1.5.1\n"
    )
    assert relui.json("checklist", "qa")["signoffs"] == []
    bad = relui("signoff", "qa", "--role", "product_owner", "--version", "../1.5.1", user="owner")
    assert bad.returncode == 2
    assert bad.stderr.startswith("relui: --version: version '../1.5.1' is not a valid image tag")
    named = relui("signoff", "qa", "--role", "product_owner", "--version", "1.5.1", user="owner")
    assert named.returncode == 0, named.stderr
    assert named.stdout == "owner signed off 1.5.1 on qa as product_owner\n"
