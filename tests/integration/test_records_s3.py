"""Records on S3 (moto's server on loopback): machines that share a bucket, races, tampering, a dark store.

A "machine" is a state dir of its own (and, for subprocesses, credentials of
its own). The simulated cluster is the sandbox world; on release day every
machine sees the one cluster, so the machines' ``sandbox`` dirs are one
directory (a symlink), while journal, checklists and mutex come from S3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.s3 import responses as s3_responses
from moto.server import ThreadedMotoServer

from relui.clock import ManualClock
from relui.remedy_commands import guard_text
from relui.services.checklist import ChecklistError, Checklists
from relui.services.context import Context
from relui.services.journal import Journal
from relui.services.release import ReleaseService
from relui.statedir import READ_LIMIT
from tests.conftest import IN_WINDOW, drill_config, make_context

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "relui-team"
REGION = "eu-west-1"
RECORDS = f'\n[environments.records]\nurl = "s3://{BUCKET}/records"\n'

# Real S3 checks a condition and writes in one step; moto checks, then writes. Serialising its
# PutObject handler gives the emulator S3's semantics, so a lost race is S3's 412, not luck.
_PUT_LOCK = threading.Lock()
_original_put = s3_responses.S3Response.put_object


def _atomic_put(self: Any) -> Any:
    with _PUT_LOCK:
        return _original_put(self)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[ThreadedMotoServer]:
    """moto on 127.0.0.1, its PutObject conditions made atomic as on S3."""
    s3_responses.S3Response.put_object = _atomic_put  # type: ignore[method-assign]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except OSError as exc:
        pytest.fail(f"moto server could not start on 127.0.0.1: {exc}", pytrace=False)
    yield server
    server.stop()
    s3_responses.S3Response.put_object = _original_put  # type: ignore[method-assign]


@pytest.fixture
def s3(moto_server: ThreadedMotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A reset moto with an empty bucket; this process talks to it as machine A would."""
    host, port = moto_server.get_host_and_port()
    url = f"http://{host}:{port}"
    with urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10) as r:
        assert r.status == 200
    for name, value in _aws_env(url, "AKIAMACHINEAAAAAAAAA", tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    boto3.client("s3", region_name=REGION, endpoint_url=url).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return url


def _aws_env(url: str, key: str, home: Path) -> dict[str, str]:
    # ``url`` is not here: relui takes its endpoint from config alone (team_config writes it).
    return {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": "secret-of-" + key,
        # Temporary keys, as SSO or OIDC hand a bastion: PROD's credentials guard refuses long-lived ones.
        "AWS_SESSION_TOKEN": "session-of-" + key,
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def team_config(directory: Path, url: str) -> Path:
    """The shipped config, window always open, QA's and PROD's records in the bucket that ``url`` serves."""
    directory.mkdir(parents=True, exist_ok=True)
    path = drill_config(directory, time_scale=50, always_open=True)
    text = path.read_text()
    for name in ("qa", "prod"):
        start = text.index(f'\nname = "{name}"\n')
        end = text.find("\n[[environments]]", start + 1)
        end = len(text) if end < 0 else end
        aws = f'\n[environments.aws]\nregion = "{REGION}"\nendpoint_url = "{url}"\n'
        text = text[:end] + RECORDS + aws + text[end:]
    path.write_text(text)
    return path


def machines(tmp_path: Path, count: int) -> list[Path]:
    """State dirs, one per machine, sharing one simulated cluster."""
    world = tmp_path / "cluster"
    world.mkdir()
    dirs = []
    for n in range(count):
        state = tmp_path / f"machine-{n}"
        state.mkdir()
        (state / "sandbox").symlink_to(world)
        dirs.append(state)
    return dirs


class Machine:
    """relui run as a separate process, with its own state dir and its own credentials."""

    def __init__(self, config: Path, state: Path, url: str, key: str) -> None:
        self.config, self.state = config, state
        self.env = {**os.environ, **_aws_env(url, key, state)}

    def __call__(self, *args: str, user: str = "ops") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "relui", *args, "--config", str(self.config), "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={**self.env, "RELUI_USER": user},
            check=False,
        )


def test_ticks_and_a_sign_off_on_one_machine_are_seen_by_a_cutover_on_another(s3: str, tmp_path: Path) -> None:
    config = team_config(tmp_path, s3)
    laptop_dir, bastion_dir = machines(tmp_path, 2)
    laptop = Machine(config, laptop_dir, s3, "AKIALAPTOPAAAAAAAAAA")
    bastion = Machine(config, bastion_dir, s3, "AKIABASTIONAAAAAAAAA")
    assert bastion("deploy", "prod", "1.5.1", "--yes").returncode == 0
    assert bastion("smoke", "prod", "--yes").returncode == 0
    before = bastion("cutover", "prod", "--yes")
    assert before.returncode == 3 and "BLOCK signoff" in before.stderr and "BLOCK checklist" in before.stderr

    signed = laptop("signoff", "prod", "--role", "product_owner", user="owner")
    assert signed.returncode == 0, signed.stderr
    items = json.loads(laptop("checklist", "prod", "--json").stdout)["items"]
    for item in items:
        if not item["auto"] and item["phase"] != "post-deployment":
            ticked = laptop("checklist", "prod", "tick", item["id"], "--note", "from the laptop")
            assert ticked.returncode == 0, ticked.stderr

    after = bastion("cutover", "prod", "--yes")
    assert "BLOCK signoff" not in after.stderr and "BLOCK checklist" not in after.stderr, after.stderr
    assert after.returncode == 3 and "BLOCK readiness" in after.stderr, after.stderr  # evidence not attested yet
    assert not list(laptop_dir.glob("checklists/**/*.toml")) and not (laptop_dir / "journal.jsonl").exists()
    verify = bastion("journal", "verify", "prod")
    assert verify.returncode == 0 and "chain intact" in verify.stdout, verify.stdout + verify.stderr


def team(tmp_path: Path, count: int, clock: ManualClock, url: str) -> list[Context]:
    config = team_config(tmp_path, url)
    return [make_context(config, state, clock) for state in machines(tmp_path, count)]


def test_twenty_concurrent_ticks_from_two_machines_lose_none(s3: str, tmp_path: Path) -> None:
    a, b = team(tmp_path, 2, ManualClock(IN_WINDOW), s3)
    manual = [item.id for item in a.config.checklist if not item.auto]
    ticks = [(a if n % 2 else b, manual[n % len(manual)], f"tick {n}") for n in range(20)]
    start = threading.Barrier(len(ticks))
    failures: list[BaseException] = []

    def tick(ctx: Context, item: str, note: str) -> None:
        start.wait()
        try:
            Checklists(ctx).tick("qa", item, note=note)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=tick, args=t) for t in ticks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    state = Checklists(b).view("qa", evaluate=False)
    assert {s.item.id for s in state.items if s.done} == set(manual)
    notes = [e.detail["note"] for e in Journal(a.state_dir, a.clock).entries("qa") if e.action == "tick"]
    assert sorted(notes) == sorted(note for _, _, note in ticks)
    report = Journal(b.state_dir, b.clock).verify("qa")
    assert report.intact and report.records == 20, report


def test_two_machines_racing_a_cutover_twenty_rounds_one_acts_each_time(s3: str, tmp_path: Path) -> None:
    a, b = team(tmp_path, 2, ManualClock(IN_WINDOW), s3)
    versions = ["1.5.0", "1.5.1", "1.4.0", "1.3.0"]
    for round_ in range(20):
        # Each round replaces the warm previous color: forced, as QA allows with a reason.
        deployed = ReleaseService(a).deploy("qa", versions[round_ % len(versions)], force=True, reason="next round")
        assert deployed.ok, deployed.message
        assert ReleaseService(b).smoke("qa").ok
        results: list[Any] = []
        start = threading.Barrier(2)
        racers = [threading.Thread(target=_cut_over, args=(ctx, start, results)) for ctx in (a, b)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)
        acted = [r for r in results if r.status == "ok"]
        assert len(results) == 2 and len(acted) == 1, [(r.status, r.message) for r in results]
        loser = next(r for r in results if r is not acted[0])
        assert loser.status == "blocked", loser.message
    cutovers = [e for e in Journal(a.state_dir, a.clock).entries("qa") if e.action == "cutover" and e.kind == "outcome"]
    assert sum(e.status == "ok" for e in cutovers) == 20
    assert Journal(a.state_dir, a.clock).verify("qa").intact


def _cut_over(ctx: Context, start: threading.Barrier, results: list[Any]) -> None:
    start.wait()
    results.append(ReleaseService(ctx).cutover("qa", reason="race"))


def _record_keys(env: str, url: str) -> list[str]:
    client = boto3.client("s3", region_name=REGION, endpoint_url=url)
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"records/journal/{env}/")
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize("tamper", ["edited", "deleted"])
def test_a_record_changed_behind_relui_fails_verify_and_blocks_the_cutover(
    s3: str, tmp_path: Path, tamper: str
) -> None:
    (ctx,) = team(tmp_path, 1, ManualClock(IN_WINDOW), s3)
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.5.1").ok and service.smoke("qa").ok
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    keys = _record_keys("qa", s3)
    victim = keys[1]
    if tamper == "edited":
        raw = json.loads(client.get_object(Bucket=BUCKET, Key=victim)["Body"].read())
        raw["operator"] = "mallory"
        client.put_object(Bucket=BUCKET, Key=victim, Body=json.dumps(raw).encode())
    else:
        client.delete_object(Bucket=BUCKET, Key=victim)

    machine = Machine(ctx.config.path, ctx.state_dir, s3, "AKIAVERIFIERAAAAAAAA")
    verify = machine("journal", "verify", "qa")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    named = f"{victim.rsplit('/', 1)[-1]} was edited" if tamper == "edited" else "record seq 2 of qa was removed"
    assert "chain broken" in verify.stdout and named in verify.stdout, verify.stdout

    blocked = service.cutover("qa", force=True, reason="try anyway")
    assert blocked.status == "blocked"
    records = next(g for g in blocked.guards if g.name == "records")
    assert "does not verify" in records.reason and "relui journal verify qa" in guard_text(records)


def test_an_unreachable_store_refuses_the_action_moves_nothing_and_status_says_so(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = team_config(tmp_path, s3)
    (state,) = machines(tmp_path, 1)
    bastion = Machine(config, state, s3, "AKIABASTIONAAAAAAAAA")
    assert bastion("deploy", "qa", "1.5.1", "--yes").returncode == 0
    before = json.loads(bastion("status", "--json").stdout)["environments"]

    # nothing listens on port 9
    dark = Machine(team_config(tmp_path / "dark", "http://127.0.0.1:9"), state, s3, "AKIABASTIONAAAAAAAAA")
    for action in ("smoke", "cutover"):
        refused = dark(action, "qa", "--yes")
        assert refused.returncode == 3 and "Traceback" not in refused.stderr, refused.stderr
        first = refused.stderr.splitlines()[0]
        assert "records of qa" in first and "could not connect" in first.lower(), first

    status = dark("status", "--json")
    assert status.returncode == 1, status.stderr  # docs/cli.md: the records store did not answer
    envs = {e["name"]: e for e in json.loads(status.stdout)["environments"]}
    assert any(p.startswith("records unavailable") for p in envs["qa"]["problems"]), envs["qa"]["problems"]
    assert not any("records" in p for p in envs["dev"]["problems"])
    assert envs["qa"]["active_color"] == before[1]["active_color"], "traffic moved without a journal"
    assert len(_record_keys("qa", s3)) == 2, "something was journaled while the store was dark"


def test_push_copies_local_records_once_keeping_the_chain(s3: str, tmp_path: Path) -> None:
    config = drill_config(tmp_path, time_scale=50, always_open=True)
    (state,) = machines(tmp_path, 1)
    local = Machine(config, state, s3, "AKIABASTIONAAAAAAAAA")
    assert local("deploy", "qa", "1.5.1", "--yes").returncode == 0
    assert local("checklist", "qa", "tick", "tests-passing").returncode == 0
    (tmp_path / "team").mkdir()
    shared = Machine(team_config(tmp_path / "team", s3), state, s3, "AKIABASTIONAAAAAAAAA")
    first = shared("records", "push", "qa", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["records"] == 3
    again = json.loads(shared("records", "push", "qa", "--json").stdout)
    assert again["records"] == 0 and again["records_present"] == 3 and again["documents"] == 0
    verify = shared("journal", "verify", "qa")
    assert verify.returncode == 0 and "chain intact (3 records)" in verify.stdout, verify.stdout
    view = json.loads(shared("checklist", "qa", "--json").stdout)
    assert any(i["id"] == "tests-passing" and i["done"] for i in view["items"])


def test_object_lock_retains_records_and_doctor_says_it_is_on(s3: str, tmp_path: Path) -> None:
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    client.create_bucket(
        Bucket="relui-locked",
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    config = team_config(tmp_path, s3)
    config.write_text(config.read_text().replace(f"s3://{BUCKET}/records", "s3://relui-locked/r") + "")
    text = config.read_text().replace('url = "s3://relui-locked/r"\n', 'url = "s3://relui-locked/r"\nretain_days = 3\n')
    config.write_text(text)
    (state,) = machines(tmp_path, 1)
    machine = Machine(config, state, s3, "AKIABASTIONAAAAAAAAA")
    assert machine("checklist", "qa", "tick", "tests-passing").returncode == 0
    [key] = [o["Key"] for o in client.list_objects_v2(Bucket="relui-locked", Prefix="r/journal/qa/")["Contents"]]
    assert client.head_object(Bucket="relui-locked", Key=key)["ObjectLockMode"] == "COMPLIANCE"
    doctor = machine("doctor", "qa")
    assert "Object Lock is on for relui-locked (records kept 3 days)" in doctor.stdout, doctor.stdout


def test_a_release_drill_split_across_three_machines_and_one_bucket_passes(s3: str, tmp_path: Path) -> None:
    """Operator on a bastion, product owner on a laptop, the pipeline on a runner: one release, one record."""
    config = team_config(tmp_path, s3)
    bastion_dir, laptop_dir, runner_dir = machines(tmp_path, 3)
    bastion = Machine(config, bastion_dir, s3, "AKIABASTIONAAAAAAAAA")
    laptop = Machine(config, laptop_dir, s3, "AKIALAPTOPAAAAAAAAAA")
    runner = Machine(config, runner_dir, s3, "AKIARUNNERAAAAAAAAAA")

    def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        return done

    ok(runner("deploy", "prod", "1.5.1", "--yes", "--reason", "pipeline run 42"))
    ok(runner("smoke", "prod", "--yes"))
    ok(laptop("signoff", "prod", "--role", "product_owner", user="owner"))
    for item in json.loads(ok(bastion("checklist", "prod", "--json")).stdout)["items"]:
        if not item["auto"] and item["phase"] != "post-deployment":
            ok(bastion("checklist", "prod", "tick", item["id"], "--note", "bastion"))
    for item in ("oauth2-flows", "secrets-rotated", "restore-test"):
        ok(bastion("readiness", "prod", "signoff", item, "--evidence", f"https://evidence.example/{item}"))
    # The operator who releases practised a failure on a throw-away sandbox; the score is shared.
    drill = tmp_path / "drill"
    ok(bastion("drill", "missing-tag", "--no-tui", "--state-dir-out", str(drill)))
    drill_env = {**bastion.env, "RELUI_USER": "ops"}
    relui = [sys.executable, "-m", "relui", "--config", str(drill / "config.toml"), "--state-dir", str(drill)]
    held = subprocess.run([*relui, "deploy", "prod", "2.4.0", "--yes"], env=drill_env, capture_output=True, text=True)
    assert held.returncode == 3, held.stdout + held.stderr
    ok(bastion("drill", "--score", str(drill)))
    # The drill journals in its own dir: the team's PROD journal holds no trace of the rehearsal.
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    bodies = [client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in _record_keys("prod", s3)]
    assert bodies and not any(b"2.4.0" in body for body in bodies)

    cut = ok(runner("cutover", "prod", "--yes", "--reason", "pipeline run 42", "--json"))
    assert json.loads(cut.stdout)["status"] == "ok"
    prod = json.loads(ok(laptop("status", "prod", "--json")).stdout)["environments"][0]
    assert prod["active_color"] == "green" and prod["colors"]["green"]["version"] == "1.5.1"
    verify = ok(laptop("journal", "verify", "prod"))
    assert "chain intact" in verify.stdout
    journal = json.loads(ok(bastion("journal", "prod", "--json")).stdout)["entries"]
    actors = {(e["action"], e["operator"]) for e in journal if e["kind"] in ("outcome", "note")}
    assert {("deploy", "ops"), ("signoff", "owner"), ("cutover", "ops")} <= actors


def test_an_object_larger_than_any_record_is_refused_not_read_into_memory(s3: str, tmp_path: Path) -> None:
    """Whoever may write the bucket may put a huge object at a checklist's key: every reader read it whole."""
    (ctx,) = team(tmp_path, 1, ManualClock(IN_WINDOW), s3)
    checklists = Checklists(ctx)
    checklists.tick("qa", "tests-passing", note="CI 1")
    name = checklists._name("qa", checklists.version_of("qa"))
    key = f"records/{name}"
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    assert client.head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0  # the checklist is at that key
    client.put_object(Bucket=BUCKET, Key=key, Body=b" " * (READ_LIMIT + 1))
    with pytest.raises(ChecklistError, match=f"{key} is larger than 16 MiB"):
        checklists.view("qa")


def test_a_watching_dashboard_lists_only_new_records_yet_every_guard_sees_an_edit_at_once(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh lists what sorts after the last record, not the whole journal; a guard always lists whole.

    Machine B deploys and smokes while A's dashboard watches QA. A sees each
    new record at its next refresh, by listing only past its last key. Then
    a record is edited behind relui's back: A's cutover is blocked at once
    (its guard lists whole), and A's dashboard reads the edit at its next
    whole listing.
    """
    from relui.adapters import records_s3
    from relui.screens.reading import EnvReader

    listings: list[tuple[str, str | None]] = []
    original = records_s3.S3Records._list

    def counted(self: records_s3.S3Records, prefix: str, start_after: str | None = None) -> list[tuple[str, str]]:
        listings.append((prefix, start_after))
        return original(self, prefix, start_after)

    monkeypatch.setattr(records_s3.S3Records, "_list", counted)
    clock = ManualClock(IN_WINDOW)
    a, b = team(tmp_path, 2, clock, s3)
    journal_qa = "records/journal/qa/"
    watch = EnvReader(a, "qa")
    assert ReleaseService(b).deploy("qa", "1.5.1").ok
    watch()
    assert ReleaseService(b).smoke("qa").ok
    listings.clear()  # only what A's refresh lists: B's smoke listed whole, as every guard does
    seen = watch()
    assert seen.last_action is not None and seen.last_action.action == "smoke"
    journal_listings = [start for prefix, start in listings if prefix == journal_qa]
    assert journal_listings and None not in journal_listings, listings  # no whole listing of the journal
    assert all(start.startswith(journal_qa) for start in journal_listings if start)

    listings.clear()
    again = watch()  # nothing new: the records handed out are the very same
    assert again.last_action == seen.last_action
    assert [start for prefix, start in listings if prefix == journal_qa and start is None] == []

    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    victim = _record_keys("qa", s3)[1]
    raw = json.loads(client.get_object(Bucket=BUCKET, Key=victim)["Body"].read())
    raw["operator"] = "mallory"
    client.put_object(Bucket=BUCKET, Key=victim, Body=json.dumps(raw).encode())

    blocked = ReleaseService(a).cutover("qa", force=True, reason="the dashboard looked fine")
    assert blocked.status == "blocked"
    records = next(g for g in blocked.guards if g.name == "records")
    assert "does not verify" in records.reason

    journal = Journal(a.state_dir, a.clock, watching=True)
    monkeypatch.setattr(records_s3, "WATCH_SECONDS", 0.0)  # the minute has passed
    listings.clear()
    edited = [e for e in journal.entries("qa") if e.operator == "mallory"]
    assert edited, "the whole listing reads the edited record"
    assert (journal_qa, None) in listings


def test_a_stray_object_sorting_after_every_record_does_not_hide_new_ones(s3: str, tmp_path: Path) -> None:
    """An object relui never writes, named to sort last, is not taken as the place to list on from."""
    clock = ManualClock(IN_WINDOW)
    a, b = team(tmp_path, 2, clock, s3)
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    assert ReleaseService(b).deploy("qa", "1.5.1").ok
    client.put_object(Bucket=BUCKET, Key="records/journal/qa/~zzz.json", Body=b"{}")
    journal = Journal(a.state_dir, a.clock, watching=True)
    before = len(journal.entries("qa"))
    assert ReleaseService(b).smoke("qa").ok
    after = journal.entries("qa")
    assert len(after) > before and after[-1].action == "smoke"


def test_a_watching_listing_never_overwrites_a_whole_listing_made_while_it_ran(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dashboard and guard share one store: a guard's whole listing lands mid-refresh, after an edit.

    Had the refresh put back what it had added to, the dashboard would have
    shown the record as it was before the edit for another minute.
    """
    from relui.adapters import records_s3

    clock = ManualClock(IN_WINDOW)
    a, b = team(tmp_path, 2, clock, s3)
    assert ReleaseService(b).deploy("qa", "1.5.1").ok
    watching = Journal(a.state_dir, a.clock, watching=True)
    watching.entries("qa")  # the whole listing the dashboard keeps
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3)
    victim = _record_keys("qa", s3)[0]
    raw = json.loads(client.get_object(Bucket=BUCKET, Key=victim)["Body"].read())
    raw["operator"] = "mallory"
    client.put_object(Bucket=BUCKET, Key=victim, Body=json.dumps(raw).encode())
    before = len(_record_keys("qa", s3))
    ReleaseService(b).smoke("qa")  # B goes on: records appended after the edited one
    assert len(_record_keys("qa", s3)) > before

    original = records_s3.S3Records._list
    guard_ran: list[bool] = []

    def guard_lists_whole_meanwhile(
        self: records_s3.S3Records, prefix: str, start_after: str | None = None
    ) -> list[tuple[str, str]]:
        if start_after and not guard_ran:
            guard_ran.append(True)
            Journal(a.state_dir, a.clock).verify("qa")  # a guard's read, in the middle of the refresh
        return original(self, prefix, start_after)

    monkeypatch.setattr(records_s3.S3Records, "_list", guard_lists_whole_meanwhile)
    watching.entries("qa")  # the refresh during which the guard listed whole
    assert guard_ran
    monkeypatch.setattr(records_s3.S3Records, "_list", original)
    assert watching.entries("qa")[0].operator == "mallory", "the next refresh shows the edit"
