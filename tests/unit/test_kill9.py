"""kill -9 at random points of deploy, cutover and rollback on qa, and what the next operator finds.

Each round starts a fresh sandbox world in the state that action needs
(set up through the service with a clock an hour back, so the bake period
is over and every pod is ready), runs the action as ``python -m relui`` and
SIGKILLs it after a random delay. Half the delays are drawn over the
action's whole measured duration; the other half start once its intent is
in the journal, so kills also land between intent and outcome. After each
kill:

- the journal reads whole (``relui journal --json``: exit 0, nothing unreadable);
- ``relui status --json`` lists under ``"interrupted"`` exactly the intents
  the dead process left without an outcome;
- the dead action's own lock (``ops@host#pid``) and mutex block nobody: the
  qa lead's smoke passes the lock guard and can take and give back the lock;
- the next rollback, by another devops operator, does the right thing: live
  ends on blue 1.4.2, never on a version rolled back from or never live,
  and a second rollback moves nothing.

The seed is in every assertion message; ``RELUI_KILL9_SEED=N`` replays one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from relui.clock import ManualClock
from relui.services.release import ReleaseService
from tests.conftest import drill_config, make_context

KILLS = 20
KINDS = ("deploy", "cutover", "rollback")
COMMANDS = {
    "deploy": ("deploy", "qa", "1.5.1", "--yes"),
    "cutover": ("cutover", "qa", "--yes"),
    "rollback": ("rollback", "qa", "--yes", "--reason", "killed mid-way"),
}
LIVE, NEW = "1.4.2", "1.5.1"
BUDGET_SECONDS = 90


@dataclass
class Round:
    """One world, one killed action."""

    root: Path
    config: Path
    state: Path
    seed: int
    number: int
    kind: str

    def where(self) -> str:
        return f"seed {self.seed}, kill {self.number} ({self.kind}); replay with RELUI_KILL9_SEED={self.seed}"

    def run(self, *args: str, user: str = "ops") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "relui", *args, "--config", str(self.config), "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "RELUI_USER": user},
        )
        assert "Traceback" not in done.stdout + done.stderr, f"{self.where()}: relui {' '.join(args)}\n{done.stderr}"
        return done

    def json(self, *args: str, user: str = "ops") -> Any:
        done = self.run(*args, "--json", user=user)
        assert done.returncode == 0, f"{self.where()}: relui {' '.join(args)} exit {done.returncode}: {done.stderr}"
        return json.loads(done.stdout)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "relui", *args, "--config", str(self.config), "--state-dir", str(self.state)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RELUI_USER": "ops"},
        )

    def records(self) -> list[dict[str, Any]]:
        path = self.state / "journal.jsonl"
        if not path.exists():
            return []
        # Only whole lines: a relui process may be appending one right now.
        whole = path.read_text().split("\n")[:-1]
        return [json.loads(line) for line in whole if line.strip()]

    def world(self) -> dict[str, Any]:
        world: dict[str, Any] = json.loads((self.state / "sandbox" / "world.json").read_text())
        return world

    def qa(self) -> dict[str, Any]:
        row: dict[str, Any] = self.json("status", "qa")["environments"][0]
        return row


def new_round(base: Path, seed: int, number: int, kind: str) -> Round:
    """A fresh world where ``kind`` has something to do: nothing yet, a smoked candidate, or a cutover."""
    root = base / f"kill-{number:02d}-{kind}"
    root.mkdir()
    config = drill_config(root, time_scale=1000, always_open=True)
    config.write_text(config.read_text().replace('ops = ["devops"]\n', 'ops = ["devops"]\nops2 = ["devops"]\n', 1))
    state = root / "state"
    state.mkdir()
    service = ReleaseService(make_context(config, state, ManualClock(datetime.now(UTC) - timedelta(hours=1))))
    if kind in ("cutover", "rollback"):
        assert service.deploy("qa", NEW).ok
    if kind == "rollback":
        assert service.cutover("qa").ok
    return Round(root, config, state, seed, number, kind)


@dataclass(frozen=True)
class Timing:
    """How long an unkilled action takes here: start to exit, and its intent to its outcome."""

    total: float
    acting: float


def measure(base: Path, seed: int) -> dict[str, Timing]:
    """Run each action once, unkilled, and time it."""
    took = {}
    for kind in KINDS:
        one = new_round(base, seed, 0, kind)
        before = len(one.records())
        started = time.monotonic()
        done = one.run(*COMMANDS[kind])
        total = time.monotonic() - started
        assert done.returncode == 0, f"{one.where()}: the unkilled {kind} failed: {done.stderr}"
        records = one.records()[before:]
        [intent] = [r for r in records if r["kind"] == "intent"]
        [outcome] = [r for r in records if r["kind"] == "outcome" and r["id"] == intent["id"]]
        acting = (datetime.fromisoformat(outcome["at"]) - datetime.fromisoformat(intent["at"])).total_seconds()
        took[kind] = Timing(total, acting)
    return took


def kill_at_random(one: Round, rng: random.Random, timing: Timing) -> tuple[str, float, int]:
    """Start the action and SIGKILL it; returns how the delay was drawn, how long it ran and its pid.

    ``timer``: after a delay drawn over the action's whole duration. ``after-intent``: once its intent
    is journaled, after a delay drawn over the time it usually takes from intent to outcome.
    """
    before = len(one.records())
    proc = one.start(*COMMANDS[one.kind])
    started = time.monotonic()
    if rng.random() < 0.5:
        mode = "timer"
        time.sleep(rng.uniform(0, timing.total))
    else:
        mode = "after-intent"
        while proc.poll() is None and time.monotonic() - started < timing.total * 3:
            if any(r["kind"] == "intent" for r in one.records()[before:]):
                break
            time.sleep(0.001)
        time.sleep(rng.uniform(0, timing.acting))
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return mode, time.monotonic() - started, proc.pid


def check_after_kill(one: Round, pid: int, setup_records: int) -> bool:
    """Everything the next operator relies on; True when the kill landed between intent and outcome."""
    where = one.where()

    # The journal reads whole.
    journal = one.run("journal", "--json")
    assert journal.returncode == 0, f"{where}: journal exit {journal.returncode}: {journal.stderr}"
    assert "unreadable" not in journal.stderr, f"{where}: {journal.stderr}"
    read = json.loads(journal.stdout)
    assert read["unreadable"] == [], f"{where}: {read['unreadable']}"

    # Status lists exactly the intents the dead process left open.
    records = one.records()[setup_records:]
    ended = {r["id"] for r in records if r["kind"] == "outcome"}
    open_intents = [r["id"] for r in records if r["kind"] == "intent" and r["id"] not in ended]
    assert len(open_intents) <= 1, f"{where}: one action left {len(open_intents)} open intents"
    qa = one.qa()
    listed = [i["id"] for i in qa["interrupted"]]
    assert listed == open_intents, f"{where}: status lists {qa['interrupted']}, the journal has open {open_intents}"
    assert [i["id"] for i in read["interrupted"]] == open_intents, f"{where}: journal lists {read['interrupted']}"
    for item in qa["interrupted"]:
        assert item["action"] == one.kind and item["operator"] == "ops" and item["check"], f"{where}: {item}"

    # The dead action's lock and mutex block nobody: another user's action passes the lock guard.
    lock = qa["lock"]
    if lock is not None:
        assert lock["holder"].endswith(f"#{pid}"), f"{where}: a lock nobody took: {lock}"
    smoke = one.run("smoke", "qa", "--yes", "--json", user="qa")
    assert smoke.returncode in (0, 1, 3), f"{where}: smoke exit {smoke.returncode}: {smoke.stderr}"
    guards = {g["name"]: g for g in json.loads(smoke.stdout)["guards"]}
    assert "busy" not in guards, f"{where}: {guards['busy']}"
    assert guards["lock"]["verdict"] == "pass", f"{where}: the dead action's lock blocks the qa lead: {guards['lock']}"
    taken = one.run("lock", "qa", user="qa")
    assert taken.returncode == 0, f"{where}: the qa lead cannot take the lock: {taken.stderr}"
    assert one.run("unlock", "qa", user="qa").returncode == 0, where
    return bool(open_intents)


def check_next_rollback(one: Round) -> str:
    """Another devops operator rolls back: live ends on blue 1.4.2 and a second rollback moves nothing."""
    where = one.where()
    qa = one.qa()
    live = (qa["active_color"], qa["colors"][qa["active_color"]]["version"])
    expected_live_before = {("blue", LIVE)} if one.kind == "deploy" else {("blue", LIVE), ("green", NEW)}
    assert live in expected_live_before, f"{where}: after the kill live is {live}"

    rollback = one.run("rollback", "qa", "--yes", "--reason", "after the kill", user="ops2")
    if live == ("green", NEW):
        assert rollback.returncode == 0, f"{where}: rollback from green {NEW} refused: {rollback.stderr}"
    elif rollback.returncode == 0:
        # A rollback killed after its switch is finished (tag, incident) by the next one; traffic stays.
        assert one.kind == "rollback" and "finished the rollback" in rollback.stdout, f"{where}: {rollback.stdout}"
    else:
        assert rollback.returncode == 3, f"{where}: rollback with blue {LIVE} live exit {rollback.returncode}"
        why = "already rolled back" if one.kind == "rollback" else "nothing to roll back to"
        assert why in rollback.stderr, f"{where}: {rollback.stderr}"
    revisions = len(one.world()["envs"]["qa"]["revisions"])

    again = one.run("rollback", "qa", "--yes", "--reason", "once more", user="ops2")
    assert again.returncode == 3, f"{where}: a second rollback exit {again.returncode}: {again.stdout}{again.stderr}"
    world = one.world()
    assert len(world["envs"]["qa"]["revisions"]) == revisions, f"{where}: the second rollback changed the release"
    qa = one.qa()
    blue = qa["colors"]["blue"]
    assert (qa["active_color"], blue["version"]) == ("blue", LIVE), f"{where}: live ended on {qa['active_color']}"
    assert blue["ready"] == blue["desired"] == 3, f"{where}: live blue is not all ready: {blue}"
    failed = [e["tag"] for e in world["registry"] if e["tag"].startswith("failed-")]
    assert all(tag.startswith(f"failed-{NEW}-") for tag in failed), f"{where}: tagged {failed}"
    assert len(failed) <= 1, f"{where}: {NEW} tagged failed twice: {failed}"
    finished = live == ("blue", LIVE) and rollback.returncode == 0
    return f"{live[0]}->{'finished' if finished else 'moved' if rollback.returncode == 0 else 'refused'}"


def test_kill_9_at_random_points_leaves_a_state_the_next_operator_can_act_on(tmp_path: Path) -> None:
    seed = int(os.environ.get("RELUI_KILL9_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    started = time.monotonic()
    (tmp_path / "measure").mkdir()
    typical = measure(tmp_path / "measure", seed)

    landed: dict[str, int] = {kind: 0 for kind in KINDS}
    log = []
    for number in range(1, KILLS + 1):
        kind = KINDS[(number - 1) % len(KINDS)] if number <= len(KINDS) else rng.choice(KINDS)
        one = new_round(tmp_path, seed, number, kind)
        setup_records = len(one.records())
        proc_pid = kill_and_pid(one, rng, typical[kind], log)
        if check_after_kill(one, proc_pid, setup_records):
            landed[kind] += 1
        log[-1] += f"/{check_next_rollback(one)}"

    took = time.monotonic() - started
    timings = {k: f"{t.total:.2f}s ({t.acting:.3f}s acting)" for k, t in typical.items()}
    summary = f"seed {seed}; typical {timings}; kills {log}; mid-action {landed}; {took:.1f}s"
    print(summary)
    assert sum(landed.values()) >= 1, f"no kill landed between intent and outcome: {summary}"
    assert took < BUDGET_SECONDS * 1.5, f"the kill test took {took:.0f}s: {summary}"


def kill_and_pid(one: Round, rng: random.Random, timing: Timing, log: list[str]) -> int:
    """Kill one action at random and log how; the pid it ran as (its action lock names it)."""
    before = len(one.records())
    mode, ran, pid = kill_at_random(one, rng, timing)
    ended = any(r["kind"] == "outcome" for r in one.records()[before:])
    log.append(f"{one.number}:{one.kind}/{mode}/{ran:.2f}s{'/ended' if ended else ''}")
    return pid


# The same kill, landed deterministically just after traffic moved: the case a random delay hits least.
DIE_AFTER_SWITCH = """
import os, signal, sys
from relui.services import aftermath, rollout

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "rollback":
    aftermath.Aftermath.record = die  # switched and verified; not yet tagged, recorded or journaled
else:
    rollout.RolloutWatch.verify_live = die  # switched; not yet verified or journaled
from relui.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def die_after_switch(one: Round) -> subprocess.CompletedProcess[str]:
    args = [*COMMANDS[one.kind], "--config", str(one.config), "--state-dir", str(one.state)]
    return subprocess.run(
        [sys.executable, "-c", DIE_AFTER_SWITCH, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RELUI_USER": "ops"},
    )


@pytest.mark.parametrize("kind", ["cutover", "rollback"])
def test_kill_9_right_after_the_switch(tmp_path: Path, kind: str) -> None:
    one = new_round(tmp_path, 0, 1, kind)
    setup_records = len(one.records())
    died = die_after_switch(one)
    assert died.returncode == -signal.SIGKILL, died.stderr
    qa = one.qa()
    assert qa["active_color"] == ("green" if kind == "cutover" else "blue")
    [item] = qa["interrupted"]
    assert item["action"] == kind and "relui status qa" in item["check"]
    assert qa["lock"] is not None and qa["lock"]["holder"].startswith("ops@")
    pid = int(qa["lock"]["holder"].rpartition("#")[2])
    assert check_after_kill(one, pid, setup_records)
    assert check_next_rollback(one) == ("green->moved" if kind == "cutover" else "blue->finished")


def test_a_rollback_killed_after_the_switch_is_finished_by_the_next_one(tmp_path: Path) -> None:
    one = new_round(tmp_path, 0, 1, "rollback")
    assert die_after_switch(one).returncode == -signal.SIGKILL
    again = one.run("rollback", "qa", "--yes", "--reason", "finish it", user="ops2")
    assert "already rolled back" in again.stderr or again.returncode == 0
    tags = [e["tag"] for e in one.world()["registry"]]
    assert [t for t in tags if t.startswith(f"failed-{NEW}-")], tags
    assert list((one.state / "incidents").glob("*-qa.md"))
