"""What a source says in words reaches no terminal as escapes: a Lease holder or a Helm description can carry any bytes.

Whoever can write a Kubernetes Lease, run ``helm upgrade --description``, or
print from a smoke command chose those words; relui shows them to operators
in the TUI and the CLI. As raw bytes they retitled the terminal, blinked,
painted a red background and broke the columns' borders.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from relui.domain import Color, LockInfo, PodHealth, Revision, SmokeResult
from relui.services.context import Context
from tests.conftest import SHIPPED_CONFIG

HOSTILE = "evil\x1b[5mBLINK\x1b[0m \x1b]0;PWNED\x07 \x1b[41mRED\x1b[0m\nline2\rcr\u202e"
AT = datetime(2026, 12, 1, tzinfo=UTC)


def no_escapes(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x07\r\n\u202e")


def test_the_domain_keeps_a_sources_words_as_one_printable_line() -> None:
    assert LockInfo(HOSTILE, AT).holder == "evil [5mBLINK [0m ]0;PWNED [41mRED [0m line2 cr"
    assert no_escapes(Revision(3, "deployed", HOSTILE, AT).description)
    assert no_escapes(SmokeResult("checkout", False, HOSTILE).detail)
    assert no_escapes(PodHealth("shop-green-0", Color.GREEN, "Running", False, 1, HOSTILE).reason or "")
    # Words that are already one printable line are kept as they are, the same object.
    holder = "ops@bastion-2:4711"
    assert LockInfo(holder, AT).holder is holder


def test_relui_status_prints_a_hostile_lock_holder_and_description_without_escapes(ctx: Context) -> None:
    ctx.env_ports("qa").cluster.lock()  # the sandbox world exists from the first read
    world_file = ctx.state_dir / "sandbox" / "world.json"
    world = json.loads(world_file.read_text())
    now = datetime.now(UTC).isoformat()  # the CLI reads on the system clock: a lock renewed now is held
    world["envs"]["qa"]["lock"] = {"holder": HOSTILE, "since": now, "renewed": now}
    world["envs"]["qa"]["revisions"][-1]["description"] = HOSTILE
    world_file.write_text(json.dumps(world))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "relui",
            "status",
            "qa",
            "--config",
            str(SHIPPED_CONFIG),
            "--state-dir",
            str(ctx.state_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"RELUI_USER": "ops", "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "evil [5mBLINK" in done.stdout  # the holder is shown, as printable text
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout


def test_a_table_cell_is_printable_whatever_a_hand_edited_record_holds() -> None:
    from relui.widgets.plain_cells import plain

    assert no_escapes(plain(HOSTILE).plain)
    assert plain("[/] as typed").plain == "[/] as typed"


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string, control characters escaped as TOML allows them (``\\u001b``)."""
    return json.dumps(text)  # JSON's escapes are TOML's for these characters


def test_checklist_and_readiness_records_written_by_hand_print_without_escapes(ctx: Context) -> None:
    """A checklist or readiness file in a shared store is written by whoever may write the store.

    Its words were printed raw: a note holding OSC 52 set the reader's clipboard,
    ``ESC [2J`` cleared their screen, in ``relui checklist`` and ``relui readiness``.
    """
    from relui.services.checklist import Checklists
    from relui.services.readiness import read_records, record

    Checklists(ctx).tick("qa", "tests-passing", note="CI 1")
    record(ctx, "prod", "restore-test", "https://wiki.example/restore-1", note="drill 1")
    (checklist,) = (ctx.state_dir / "checklists" / "qa").glob("*.toml")
    checklist.write_text(checklist.read_text().replace('"CI 1"', _toml_string(HOSTILE)))
    readiness = ctx.state_dir / "readiness" / "prod.toml"
    readiness.write_text(readiness.read_text().replace('"drill 1"', _toml_string(HOSTILE)))
    assert "\x1b" in tomllib.loads(checklist.read_text())["items"]["tests-passing"]["note"]  # really in the file

    view = Checklists(ctx).view("qa")
    ticked = next(s for s in view.items if s.item.id == "tests-passing")
    assert no_escapes(ticked.note or "") and "PWNED" in (ticked.note or "")
    assert no_escapes(read_records(ctx, "prod")["restore-test"].note)
    for args in (("checklist", "qa"), ("readiness", "prod")):
        done = subprocess.run(
            [sys.executable, "-m", "relui", *args, "--config", str(SHIPPED_CONFIG), "--state-dir", str(ctx.state_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"RELUI_USER": "ops", "PATH": "/usr/bin:/bin"},
            cwd=Path(__file__).resolve().parents[2],
        )
        assert "PWNED" in done.stdout, (args, done.stdout, done.stderr)  # shown, as printable text
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout, args


def test_a_sign_off_read_back_keeps_its_signature_as_written() -> None:
    """Only the words are made printable: a signature is checked byte for byte (a tampered one fails its check)."""
    from relui.services.signoff import SignOff

    signature = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
    signoff = SignOff("product_owner", HOSTILE, "2026-12-01T10:00:00+00:00", payload='{"a":1}', signature=signature)
    assert no_escapes(signoff.user) and signoff.signature == signature and signoff.payload == '{"a":1}'


def test_a_break_glass_approval_read_back_says_its_words_printably_and_keeps_its_id() -> None:
    """Guards print who approved and why; the id, action and release stay as written, as the journal spends them."""
    from relui.services.approvals import Approval

    approval = Approval("id\x1b1", "prod", HOSTILE, HOSTILE, AT, AT, "cutover", "1.6.0")
    assert no_escapes(approval.approver) and no_escapes(approval.reason) and "PWNED" in approval.reason
    assert (approval.id, approval.action, approval.version) == ("id\x1b1", "cutover", "1.6.0")
