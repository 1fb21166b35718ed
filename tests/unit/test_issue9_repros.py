"""Every repro of issue 9's "What was seen", as an operator types it: subprocess CLI runs on the sandbox.

Each test runs the commands of one repro against a fresh state dir and
asserts what the operator now sees: the exit code, the one-line message,
where live traffic is (``status --json``), the registry's tags (the sandbox
world file) and the journal. No command may print a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import drill_config
from tests.unit.test_cli import Relui

LIVE = "1.4.2"  # what qa and prod serve on blue in the shipped sandbox


class Cli(Relui):
    """``Relui`` that fails the test on any traceback, in every command it runs."""

    def __call__(self, *args: str, user: str = "ops", stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = super().__call__(*args, user=user, stdin=stdin)
        for stream in (done.stdout, done.stderr):
            assert "Traceback" not in stream, f"relui {' '.join(args)} (as {user}) printed a traceback:\n{stream}"
        return done

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    # What an operator (or the test) reads back.
    def env(self, name: str) -> dict[str, Any]:
        row: dict[str, Any] = self.json("status", name)["environments"][0]
        return row

    def live(self, name: str) -> tuple[str, str | None]:
        row = self.env(name)
        color = row["active_color"]
        return color, row["colors"][color]["version"]

    def world(self) -> dict[str, Any]:
        world: dict[str, Any] = json.loads((self.state / "sandbox" / "world.json").read_text())
        return world

    def tags(self) -> list[str]:
        return [entry["tag"] for entry in self.world()["registry"]]

    def failed_tags(self) -> list[str]:
        return [tag for tag in self.tags() if tag.startswith("failed-")]

    def revisions(self, name: str) -> list[dict[str, Any]]:
        revisions: list[dict[str, Any]] = sorted(self.world()["envs"][name]["revisions"], key=lambda r: r["number"])
        return revisions

    def records(self) -> list[dict[str, Any]]:
        path = self.state / "journal.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def outcome_of(self, intent_id: str) -> dict[str, Any] | None:
        return next((r for r in self.records() if r["kind"] == "outcome" and r["id"] == intent_id), None)


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    return done


def refused(done: subprocess.CompletedProcess[str], *words: str) -> subprocess.CompletedProcess[str]:
    """Exit 3 and every word in the output."""
    assert done.returncode == 3, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    for word in words:
        assert word in done.stderr, f"{word!r} not in:\n{done.stderr}"
    return done


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(drill_config(tmp_path, time_scale=1000, always_open=True), tmp_path / "state")


def cut_over_qa(cli: Cli, version: str = "1.5.1") -> None:
    ok(cli("deploy", "qa", version, "--yes"))
    ok(cli("smoke", "qa", "--yes"))
    ok(cli("cutover", "qa", "--yes"))
    assert cli.live("qa") == ("green", version)


# 1. Rollback is an unguarded cutover.
def test_rollback_with_no_previous_live_refuses_and_tags_nothing(cli: Cli) -> None:
    ok(cli("deploy", "prod", "1.6.0", "--yes"))
    before = cli.revisions("prod")

    done = refused(cli("rollback", "prod", "--yes", "--reason", "x"), "nothing to roll back to")
    assert "1.6.0 was never live" in done.stderr
    assert cli.live("prod") == ("blue", LIVE)
    assert cli.env("prod")["colors"]["green"]["version"] == "1.6.0"  # the candidate stays where it was
    assert cli.revisions("prod") == before  # nothing was upgraded
    assert cli.failed_tags() == []
    assert not list((cli.state / "incidents").glob("*.md"))

    # The pipeline's reflex (rollback whenever the cutover exits 1), forced, in JSON: still nothing moves.
    forced = refused(cli("rollback", "prod", "--yes", "--force", "--reason", "pipeline", "--json"))
    assert json.loads(forced.stdout)["status"] == "blocked"
    assert cli.live("prod") == ("blue", LIVE) and cli.failed_tags() == []


# 2. Repeated rollbacks flip-flop.
def test_repeated_rollbacks_never_swing_back(cli: Cli) -> None:
    cut_over_qa(cli)
    ok(cli("rollback", "qa", "--yes", "--reason", "errors"))
    assert cli.live("qa") == ("blue", LIVE)
    [tag] = cli.failed_tags()
    assert tag.startswith("failed-1.5.1-")
    revisions = cli.revisions("qa")

    for _ in range(3):
        refused(cli("rollback", "qa", "--yes", "--reason", "again"), "already rolled back")
        refused(cli("rollback", "qa", "--yes", "--force", "--reason", "again"), "already rolled back")
    assert cli.live("qa") == ("blue", LIVE)
    assert cli.revisions("qa") == revisions
    assert cli.failed_tags() == [tag]

    # The revision that served 1.5.1 live is the one rolled back from: --to-revision refuses it, forced or not.
    [served] = [
        r["number"]
        for r in revisions
        if r["values"]["active"] == "green" and r["values"]["green"] == "1.5.1" and r["status"] != "failed"
    ]
    refused(cli("rollback", "qa", "--to-revision", str(served), "--yes", "--reason", "x"), "rolled back")
    refused(cli("rollback", "qa", "--to-revision", str(served), "--yes", "--force", "--reason", "x"), "rolled back")
    assert cli.live("qa") == ("blue", LIVE)
    assert cli.revisions("qa") == revisions
    assert cli.failed_tags() == [tag]


# 3. --force puts traffic on dead pods.
def test_force_never_puts_traffic_on_crash_looping_pods(cli: Cli) -> None:
    before = cli.env("qa")["colors"]["green"]
    deploy = cli("deploy", "qa", "1.6.1-rc1", "--yes")
    assert deploy.returncode == 1, deploy.stderr
    assert "CrashLoopBackOff" in deploy.stderr and f"live traffic stays on blue ({LIVE})" in deploy.stderr
    green = cli.env("qa")["colors"]["green"]
    assert (green["enabled"], green["version"]) == (before["enabled"], before["version"])  # the idle color put back
    assert cli.revisions("qa")[-1]["description"].startswith("relui restore revision 1")

    for args in (("cutover", "qa"), ("rollback", "qa")):
        refused(cli(*args, "--yes", "--force", "--reason", "x"), "cannot be forced")
        qa = cli.env("qa")
        blue = qa["colors"]["blue"]
        assert qa["active_color"] == "blue" and blue["version"] == LIVE
        assert blue["ready"] == blue["desired"] == 3 and blue["reason"] is None


def test_one_operator_cannot_force_prod_without_a_second_persons_break_glass(cli: Cli, tmp_path: Path) -> None:
    def force_cutover(on: Cli = cli) -> subprocess.CompletedProcess[str]:
        return on("cutover", "prod", "--yes", "--force", "--hotfix", "INC-42", "--reason", "customers down")

    ok(cli("deploy", "prod", "1.5.1", "--yes"))
    refused(force_cutover(), "second person", "relui approve prod --break-glass")
    assert cli.live("prod") == ("blue", LIVE)

    # An approval by the operator himself is recorded but does not count; a qa lead cannot approve at all.
    ok(cli("approve", "prod", "--break-glass", "--action", "cutover", "--reason", "trust me"))
    refused(
        cli("approve", "prod", "--break-glass", "--action", "cutover", "--reason", "sure", user="qa"), "cannot approve"
    )
    refused(force_cutover(), "relui approve prod --break-glass")
    assert cli.live("prod") == ("blue", LIVE)

    approve = ("approve", "prod", "--break-glass", "--action", "cutover", "--reason", "INC-42 approved", "--json")
    approval = json.loads(ok(cli(*approve, user="owner")).stdout)
    assert approval["approver"] == "owner"

    # The approval passes process guards only. Read at real rollout speed (time_scale 1), a candidate
    # deployed a moment ago is still rolling out: no approval puts it live, and that refusal does not
    # spend the approval.
    (tmp_path / "real-speed").mkdir()
    real_speed = Cli(drill_config(tmp_path / "real-speed", time_scale=1, always_open=True), cli.state)
    ok(cli("deploy", "prod", "1.5.0", "--yes"))
    refused(force_cutover(real_speed), "cannot be forced", "pods")
    assert cli.live("prod") == ("blue", LIVE)
    cut = ok(force_cutover())
    assert "(FORCED)" in cut.stdout
    assert cli.live("prod") == ("green", "1.5.0")
    [intent] = [r for r in cli.records() if r["kind"] == "intent" and r.get("break_glass")]
    assert (intent["action"], intent["break_glass"], intent["approved_by"]) == ("cutover", approval["id"], "owner")
    assert {"signoff", "checklist", "readiness"} <= set(intent["forced_over"])
    assert cli.outcome_of(intent["id"])["status"] == "forced"  # type: ignore[index]

    # On a protected environment the warm previous is not one person's to destroy.
    refused(cli("deploy", "prod", "1.6.0", "--yes", "--force", "--reason", "next"), "rollback-target", LIVE)

    # Spent after one action: the next forced action on prod needs a new approval.
    ok(cli("rollback", "prod", "--yes", "--reason", "back"))
    ok(cli("deploy", "prod", "1.6.0", "--yes"))
    refused(force_cutover(), "relui approve prod --break-glass")
    assert cli.live("prod") == ("blue", LIVE)


def test_cutover_without_a_candidate_names_no_none_image(cli: Cli) -> None:
    done = refused(cli("cutover", "qa", "--yes", "--force", "--reason", "x"), "no candidate")
    assert "None" not in done.stderr


# 4. A deploy silently destroys the rollback target.
def test_deploy_inside_the_bake_period_does_not_silently_replace_the_warm_previous(cli: Cli) -> None:
    cut_over_qa(cli)
    revisions = cli.revisions("qa")

    done = refused(cli("deploy", "qa", "1.6.0", "--yes"), "rollback-target", f"would replace {LIVE}")
    assert "--force --reason" in done.stderr
    assert cli.revisions("qa") == revisions
    blue = cli.env("qa")["colors"]["blue"]
    assert blue["version"] == LIVE and blue["ready"] == 3

    forced = ok(cli("deploy", "qa", "1.6.0", "--yes", "--force", "--reason", "1.5.1 is good, next one"))
    assert "(FORCED)" in forced.stdout
    assert cli.env("qa")["colors"]["blue"]["version"] == "1.6.0"
    assert cli.live("qa") == ("green", "1.5.1")
    [intent] = [r for r in cli.records() if r["kind"] == "intent" and r.get("forced_over") == ["rollback-target"]]
    assert intent["reason"] == "1.5.1 is good, next one"


# 5. Rollback can be made impossible: busy during a deploy, no way to abort.
def slow_config(directory: Path, rollout_seconds: float, slow_version: str = "1.5.0", slow_seconds: float = 10) -> Path:
    """Real time (time_scale 1): ``slow_version`` rolls out in ``slow_seconds``, others in ``rollout_seconds``."""
    directory.mkdir(parents=True, exist_ok=True)
    config = drill_config(directory, time_scale=1, always_open=True)
    text = config.read_text().replace("rollout_seconds = 12\n", f"rollout_seconds = {rollout_seconds}\n")
    text += (
        f'\n[[sandbox.faults]]\nkind = "slow_rollout"\nversion = "{slow_version}"\nrollout_seconds = {slow_seconds}\n'
    )
    config.write_text(text)
    return config


def start_in_background(cli: Cli, *args: str, user: str = "ops") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "relui", *args, "--config", str(cli.config), "--state-dir", str(cli.state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RELUI_USER": user},
    )


def wait_for_intent(cli: Cli, action: str, version: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    """The intent of the background action, once it is journaled and the rollout under way."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the background {action} ended early: {proc.communicate()}"
        found = [
            r for r in cli.records() if r["kind"] == "intent" and r["action"] == action and r["version"] == version
        ]
        if found and cli.revisions("qa")[-1]["description"].startswith(f"relui {action} {version}"):
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"the background {action} of {version} never started")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in out + err, err
    return proc.returncode, out, err


def test_rollback_during_a_deploy_stops_it_then_rolls_back(tmp_path: Path) -> None:
    # Rollouts are instant except 1.5.0's (10 s), so the put-back idle color is warm again at once.
    cli = Cli(slow_config(tmp_path, rollout_seconds=0), tmp_path / "state")
    cut_over_qa(cli)
    deploy = start_in_background(cli, "deploy", "qa", "1.5.0", "--yes", "--force", "--reason", "next")
    intent = wait_for_intent(cli, "deploy", "1.5.0", deploy)

    started = time.monotonic()
    rollback = ok(cli("rollback", "qa", "--yes", "--reason", "green is failing"))
    took = time.monotonic() - started
    code, _, err = finish(deploy)
    assert code == 1 and "aborted" in err, err
    assert "another relui action is running" not in rollback.stderr
    assert "[preempt] asked the running deploy by ops to stop" in rollback.stderr
    assert took < 8, f"the rollback waited {took:.1f}s for a deploy that should stop within one poll"

    assert cli.live("qa") == ("blue", LIVE)
    assert cli.outcome_of(intent["id"])["status"] == "aborted"  # type: ignore[index]
    [tag] = cli.failed_tags()
    assert tag.startswith("failed-1.5.1-")
    outcomes = [(r["action"], r["status"]) for r in cli.records() if r["kind"] == "outcome"]
    assert outcomes[-2:] == [("deploy", "aborted"), ("rollback", "ok")]


def test_rollback_during_a_deploy_at_real_rollout_speed(tmp_path: Path) -> None:
    # Set up fast, then act at real speed (time_scale 1, 12 s rollouts) on the same world.
    fast = Cli(drill_config(tmp_path, time_scale=1000, always_open=True), tmp_path / "state")
    cut_over_qa(fast)
    cli = Cli(slow_config(tmp_path / "slow", rollout_seconds=12), fast.state)
    deploy = start_in_background(cli, "deploy", "qa", "1.5.0", "--yes", "--force", "--reason", "next")
    wait_for_intent(cli, "deploy", "1.5.0", deploy)
    rollback = cli("rollback", "qa", "--yes", "--reason", "green is failing")
    code, _, err = finish(deploy)
    assert code == 1 and "aborted" in err
    assert "another relui action is running" not in rollback.stderr
    ok(rollback)
    assert cli.live("qa") == ("blue", LIVE)


def test_abort_stops_a_running_deploy_and_puts_the_idle_color_back(tmp_path: Path) -> None:
    cli = Cli(slow_config(tmp_path, rollout_seconds=0), tmp_path / "state")
    assert ok(cli("abort", "qa", "--reason", "nothing")).stdout.strip() == "nothing is running on qa"
    ok(cli("status"))
    revisions = cli.revisions("qa")
    deploy = start_in_background(cli, "deploy", "qa", "1.5.0", "--yes")
    intent = wait_for_intent(cli, "deploy", "1.5.0", deploy)

    refused(cli("abort", "qa", "--reason", "y", user="qa"), "may not abort")
    refused(cli("abort", "qa", "--read-only", "--reason", "y"), "read-only")
    aborted = ok(cli("abort", "qa", "--reason", "wrong version"))
    assert "aborted" in aborted.stdout
    code, _, err = finish(deploy)
    assert code == 1 and "deploy on qa aborted" in err and "wrong version" in err, err

    outcome = cli.outcome_of(intent["id"])
    assert outcome is not None and outcome["status"] == "aborted"
    [note] = [r for r in cli.records() if r["kind"] == "note" and r["action"] == "abort"]
    assert (note["operator"], note["reason"], note["target"]) == ("ops", "wrong version", intent["id"])
    qa = cli.env("qa")
    assert qa["active_color"] == "blue" and qa["colors"]["blue"]["version"] == LIVE
    assert (qa["colors"]["green"]["enabled"], qa["colors"]["green"]["version"]) == (False, None)
    last = cli.revisions("qa")[-1]
    assert last["description"].startswith("relui restore revision 1") and last["values"] == revisions[-1]["values"]
    assert qa["interrupted"] == [] and qa["lock"] is None


# 6. Input.
def files_outside(root: Path, state: Path) -> set[Path]:
    return {p for p in root.rglob("*") if state not in p.parents and p != state}


def test_versions_that_are_not_image_tags_are_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    ok(cli("status"))
    outside = files_outside(tmp_path, cli.state)
    escape = f"../../../../tmp/relui-escape-{tmp_path.name}"
    for args in (
        ("deploy", "dev", escape, "--yes", "--force", "--reason", "x"),
        ("deploy", "dev", "../escape", "--yes"),
        ("deploy", "qa", "", "--yes"),
        ("deploy", "qa", "a" * 300, "--yes"),
        ("deploy", "qa", "1.0/../x", "--yes"),
        ("deploy", "qa", "1.0 beta", "--yes"),
        ("deploy", "qa", ".hidden", "--yes"),
    ):
        done = cli(*args)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done
        first = done.stderr.splitlines()[0]
        assert "is not a valid image tag" in first and "at most 128 characters" in first, done.stderr
        assert len(first) < 300, first
    ok(cli("checklist", "dev", "tick", "tests-passing", "--note", "after the bad deploys"))
    assert files_outside(tmp_path, cli.state) == outside
    assert not list(Path("/tmp").glob(f"relui-escape-{tmp_path.name}*"))
    assert [r for r in cli.records() if r["kind"] == "intent"] == []  # refused before anything was decided
    assert cli.env("dev")["colors"]["green"]["version"] is None


def test_newlines_in_a_reason_forge_nothing(cli: Cli) -> None:
    forged = "errors\n# Forged heading\n- [x] Root cause found\n\n## Timeline"
    ok(cli("deploy", "qa", "1.5.1", "--yes", "--reason", forged))
    ok(cli("cutover", "qa", "--yes", "--reason", forged))
    ok(cli("rollback", "qa", "--yes", "--reason", forged))
    lines = (cli.state / "journal.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # every record one whole line
    reasons = {r["reason"] for r in cli.records() if r["kind"] == "intent"}
    assert reasons == {"errors # Forged heading - [x] Root cause found ## Timeline"}
    [incident] = (cli.state / "incidents").glob("*-qa.md")
    text = incident.read_text()
    assert not [line for line in text.splitlines() if line.startswith(("# Forged", "- [x]"))]
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert [h for h in headings if h.startswith("## Timeline")] == ["## Timeline (journal)"]
    assert not [h for h in headings if "Forged" in h or "Root cause" in h]
    assert not [line for line in text.splitlines() if line.lstrip().startswith("- [x]")]


# 7. Locks: unlock by a non-holder, and in read-only mode.
def test_unlock_by_a_non_holder_or_read_only_changes_nothing(cli: Cli) -> None:
    def holder() -> str | None:
        lock = cli.env("qa")["lock"]
        return lock["holder"] if lock else None

    ok(cli("lock", "qa"))
    held = holder()
    assert held is not None and held.startswith("ops@")

    refused(cli("unlock", "qa", user="qa"), "held by ops@", "--force --reason")
    assert holder() == held
    refused(cli("--read-only", "unlock", "qa"), "read-only")
    refused(cli("unlock", "qa", "--read-only", "--force", "--reason", "x", user="qa"), "read-only")
    assert holder() == held
    refused(cli("unlock", "qa", "--force", user="qa"), "needs --reason")
    assert holder() == held
    notes = [r for r in cli.records() if r["kind"] == "note" and r["action"] == "unlock"]
    assert notes == []  # a refused unlock journals no "unlock ok"

    taken = ok(cli("unlock", "qa", "--force", "--reason", "ops went home", user="qa"))
    assert "took over the lock of qa from ops@" in taken.stdout
    assert holder() != held
    [note] = [r for r in cli.records() if r["kind"] == "note" and r["action"] == "unlock"]
    assert (note["operator"], note["status"], note["holder"], note["reason"]) == ("qa", "forced", held, "ops went home")
