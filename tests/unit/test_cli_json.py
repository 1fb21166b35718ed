"""--json, --yes and exit codes as a pipeline relies on them (issue 13 point 6).

Every command that reports prints exactly one JSON object whose first key is
``"schema_version": 1`` and whose top-level keys are the ones docs/cli.md
lists for it under "JSON output": the table is parsed here and each row is
run on the sandbox, so the doc and the code cannot drift. A refusal with
--json prints nothing on stdout and one line on stderr, with the exit code
of its kind (0 ok, 1 failed, 2 usage, 3 refused); every command that acts
accepts --yes.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from relui.cli import build_parser, main
from relui.services.record_store import Pushed
from tests.conftest import drill_config

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = ROOT / "docs" / "cli.md"
_ROW = re.compile(r"^\| `(relui [^`]+)` \| (.+) \|\s*$")


def documented_keys() -> dict[str, list[str]]:
    """Each command of docs/cli.md's "JSON output" table and the top-level keys it lists, in order."""
    section = CLI_DOC.read_text(encoding="utf-8").split("\n## JSON output\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match.group(1)] = re.findall(r"`([^`]+)`", match.group(2))
    return rows


DOCUMENTED = documented_keys()


class Cli:
    """``relui.cli.main`` in-process on one config and state dir, stdout and stderr captured."""

    def __init__(self, config: Path, state: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
        self.config, self.state, self.capsys, self.monkeypatch = config, state, capsys, monkeypatch

    def __call__(self, *args: str, user: str = "ops") -> tuple[int, str, str]:
        self.monkeypatch.setenv("RELUI_USER", user)
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--state-dir", str(self.state), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("RELUI_READ_ONLY", raising=False)
    return Cli(drill_config(tmp_path, time_scale=50, always_open=True), tmp_path / "state", capsys, monkeypatch)


def with_records_on_qa(config: Path) -> Path:
    """The config with QA's records in a (never reached) S3 bucket, for ``records push``."""
    text = config.read_text()
    marker = 'name = "qa"\n'
    at = text.index(marker)
    # The table must follow QA's own keys: put it before QA's first sub-table.
    sub = text.index("\n[[environments.", at)
    records = '\n[environments.records]\nurl = "s3://relui-test/qa"\n'
    out = config.with_name("records.toml")
    out.write_text(text[:sub] + records + text[sub:])
    return out


def the_calls(cli: Cli, tmp_path: Path) -> list[tuple[str, list[str], str, tuple[int, ...]]]:
    """(documented command, argv, user, exit codes allowed), in an order that leaves each one something to do."""
    drill = str(tmp_path / "drill")
    return [
        ("relui status [ENV] --json", ["status", "--json"], "ops", (0,)),
        ("relui whoami [ENV] --json", ["whoami", "--json"], "ops", (0,)),
        ("relui deploy ENV VERSION --yes --json", ["deploy", "qa", "1.6.0", "--yes", "--json"], "ops", (0,)),
        ("relui smoke ENV --yes --json", ["smoke", "qa", "--yes", "--json"], "ops", (0,)),
        ("relui cutover ENV --yes --json", ["cutover", "qa", "--yes", "--json"], "ops", (0,)),
        ("relui rollback ENV --yes --json", ["rollback", "qa", "--yes", "--reason", "drill", "--json"], "ops", (0,)),
        # dev's release has started already: refused, and still one document.
        ("relui install ENV VERSION --yes --json", ["install", "dev", "1.6.0", "--yes", "--json"], "ops", (0, 2, 3)),
        ("relui abort ENV --yes --json", ["abort", "qa", "--yes", "--json"], "ops", (0,)),
        (
            "relui approve ENV --break-glass --action A --reason T --yes --json",
            ["approve", "prod", "--break-glass", "--action", "cutover", "--reason", "drill", "--yes", "--json"],
            "ops",
            (0,),
        ),
        ("relui checklist ENV --json", ["checklist", "qa", "--json"], "ops", (0,)),
        (
            "relui checklist ENV tick ITEM --yes --json",
            ["checklist", "qa", "tick", "tests-passing", "--yes", "--json"],
            "ops",
            (0,),
        ),
        (
            "relui checklist ENV untick ITEM --yes --json",
            ["checklist", "qa", "untick", "tests-passing", "--yes", "--json"],
            "ops",
            (0,),
        ),
        (
            "relui signoff ENV --role ROLE --yes --json",
            ["signoff", "qa", "--role", "product_owner", "--yes", "--json"],
            "owner",
            (0,),
        ),
        ("relui journal [ENV] --json", ["journal", "--json"], "ops", (0,)),
        ("relui journal verify [ENV] --json", ["journal", "verify", "--json"], "ops", (0,)),
        ("relui lock ENV --yes --json", ["lock", "qa", "--yes", "--json"], "ops", (0,)),
        ("relui unlock ENV --yes --json", ["unlock", "qa", "--yes", "--json"], "ops", (0,)),
        ("relui calendar --json", ["calendar", "--json"], "ops", (0,)),
        ("relui readiness ENV --json", ["readiness", "qa", "--json"], "ops", (0, 1)),
        (
            "relui readiness ENV signoff ITEM --evidence URL --yes --json",
            ["readiness", "prod", "signoff", "restore-test", "--evidence", "https://wiki.example/r", "--yes", "--json"],
            "ops",
            (0,),
        ),
        ("relui drill --list --json", ["drill", "--list", "--json"], "ops", (0,)),
        (
            "relui drill NAME --no-tui --yes --json",
            ["drill", "missing-tag", "--no-tui", "--state-dir-out", drill, "--yes", "--json"],
            "ops",
            (0,),
        ),
        ("relui drill --score DIR --yes --json", ["drill", "--score", drill, "--yes", "--json"], "ops", (0, 1)),
        ("relui doctor [ENV] --json", ["doctor", "--json"], "ops", (0, 1)),
    ]


RECORDS_PUSH = "relui records push ENV --yes --json"


def one_document(out: str) -> dict[str, Any]:
    """stdout as exactly one JSON object, ``schema_version`` 1 its first key."""
    document = json.loads(out)  # raises on anything but one JSON value
    assert isinstance(document, dict), out
    assert next(iter(document)) == "schema_version" and document["schema_version"] == 1, out[:200]
    return document


def test_the_doc_lists_every_command_with_json_and_no_other() -> None:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    with_json = {name for name, child in sub.choices.items() if "--json" in child._option_string_actions}
    documented = {row.split()[1] for row in DOCUMENTED}
    assert with_json == documented, f"docs/cli.md's JSON output table: missing {with_json - documented}"
    assert all(keys and keys[0] == "schema_version" for keys in DOCUMENTED.values()), DOCUMENTED


def test_every_documented_document_is_what_the_command_prints(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = the_calls(cli, tmp_path)
    assert {row for row, *_ in calls} | {RECORDS_PUSH} == set(DOCUMENTED), "a row of the table is not run here"
    for row, argv, user, codes in calls:
        code, out, err = cli(*argv, user=user)
        assert code in codes, f"{row}: exit {code}\n{err}"
        document = one_document(out)
        assert list(document) == DOCUMENTED[row], f"{row}: prints {list(document)}"

    # records push copies to S3; the copy is replaced, the command around it is not.
    pushed = Pushed("qa", "s3://relui-test/qa", 3, 0, 1, 0)
    monkeypatch.setattr("relui.commands.records.push", lambda state_dir, env: pushed)
    cli.config = with_records_on_qa(cli.config)
    code, out, err = cli("records", "push", "qa", "--yes", "--json")
    assert code == 0, err
    assert list(one_document(out)) == DOCUMENTED[RECORDS_PUSH]


def test_actions_print_a_document_even_when_refused(cli: Cli) -> None:
    code, out, _ = cli("deploy", "qa", "9.9.9", "--yes", "--json")
    assert code == 3
    assert one_document(out)["status"] == "blocked"


# kind of refusal -> (argv, user, exit code)
REFUSALS = {
    "read-only tick": (["--read-only", "checklist", "qa", "tick", "tests-passing", "--json"], "ops", 3),
    "read-only untick": (["checklist", "qa", "untick", "tests-passing", "--read-only", "--json"], "ops", 3),
    "read-only signoff": (["--read-only", "signoff", "qa", "--role", "product_owner", "--json"], "owner", 3),
    "read-only lock": (["--read-only", "lock", "qa", "--json"], "ops", 3),
    "read-only unlock": (["--read-only", "unlock", "qa", "--json"], "ops", 3),
    "read-only abort": (["--read-only", "abort", "qa", "--json"], "ops", 3),
    "read-only approve": (
        ["--read-only", "approve", "prod", "--break-glass", "--action", "cutover", "--reason", "x", "--json"],
        "ops",
        3,
    ),
    "read-only attestation": (
        ["--read-only", "readiness", "prod", "signoff", "restore-test", "--evidence", "https://e.example/1", "--json"],
        "ops",
        3,
    ),
    "role not held": (["signoff", "qa", "--role", "product_owner", "--json"], "ops", 3),
    "no role to sign off in": (["signoff", "qa", "--role", "devops", "--json"], "nobody", 3),
    "no role to attest": (
        ["readiness", "prod", "signoff", "restore-test", "--evidence", "https://e.example/1", "--json"],
        "nobody",
        3,
    ),
    "no role to lock": (["lock", "qa", "--json"], "nobody", 3),
    "unknown checklist item": (["checklist", "qa", "tick", "no-such-item", "--json"], "ops", 2),
    "automatic checklist item": (["checklist", "qa", "tick", "smoke-green", "--json"], "ops", 2),
    "tick without an item": (["checklist", "qa", "tick", "--json"], "ops", 2),
    "unknown readiness item": (
        ["readiness", "prod", "signoff", "no-such", "--evidence", "https://e.example/1", "--json"],
        "ops",
        2,
    ),
    "evidence that is no link": (
        ["readiness", "prod", "signoff", "restore-test", "--evidence", "a chat", "--json"],
        "ops",
        2,
    ),
    "unknown environment": (["status", "staging", "--json"], "ops", 2),
    "unknown environment to lock": (["lock", "staging", "--json"], "ops", 2),
    "unknown drill": (["drill", "no-such-drill", "--no-tui", "--json"], "ops", 2),
    "records without a shared store": (["records", "push", "qa", "--json"], "ops", 2),
    "approval where none is needed": (
        ["approve", "qa", "--break-glass", "--action", "cutover", "--reason", "x", "--json"],
        "ops",
        3,
    ),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_a_refusal_with_json_is_one_line_on_stderr_and_nothing_on_stdout(cli: Cli, kind: str) -> None:
    argv, user, expected = REFUSALS[kind]
    code, out, err = cli(*argv, user=user)
    assert (code, out) == (expected, ""), f"{kind}: exit {code}, stdout {out!r}, stderr {err!r}"
    assert len(err.strip().splitlines()) == 1 and err.startswith("relui: "), err


def test_the_deployer_may_not_sign_off_their_own_release_exit_3(cli: Cli) -> None:
    text = cli.config.read_text()
    cli.config.write_text(text.replace('ops = ["devops"]\n', 'ops = ["devops"]\nlead = ["devops", "product_owner"]\n'))
    assert cli("deploy", "qa", "1.6.0", "--yes", user="lead")[0] == 0
    code, out, err = cli("signoff", "qa", "--role", "product_owner", "--json", user="lead")
    assert (code, out) == (3, "") and "cannot sign it off" in err, err


def test_unlock_force_without_reason_is_refused_like_an_action(cli: Cli) -> None:
    assert cli("lock", "qa")[0] == 0
    code, out, err = cli("unlock", "qa", "--force", "--json", user="qa")
    assert (code, out) == (3, "") and "needs --reason" in err, err


ACTING = {
    "abort": ["abort", "qa"],
    "approve": ["approve", "prod", "--break-glass", "--action", "cutover", "--reason", "x"],
    "lock": ["lock", "qa"],
    "unlock": ["unlock", "qa"],
    "signoff": ["signoff", "qa", "--role", "product_owner"],
    "checklist tick": ["checklist", "qa", "tick", "tests-passing"],
    "readiness signoff": ["readiness", "prod", "signoff", "restore-test", "--evidence", "https://e.example/1"],
    "drill": ["drill", "--list"],
    "records push": ["records", "push", "qa"],
    "init": ["init", "somewhere"],
    "deploy": ["deploy", "qa", "1.6.0"],
    "smoke": ["smoke", "qa"],
    "cutover": ["cutover", "qa"],
    "rollback": ["rollback", "qa"],
    "install": ["install", "qa", "1.6.0"],
}


@pytest.mark.parametrize("command", ACTING)
def test_every_command_that_acts_accepts_yes(command: str) -> None:
    assert build_parser().parse_args([*ACTING[command], "--yes"]).yes is True


def test_a_pipeline_passes_yes_to_steps_that_never_ask(cli: Cli) -> None:
    assert cli("deploy", "qa", "1.6.0", "--yes")[0] == 0
    code, _, err = cli("smoke", "qa", "--yes")
    assert code == 0, err
    for argv in (["lock", "qa", "--yes"], ["checklist", "qa", "tick", "tests-passing", "--yes"], ["unlock", "qa"]):
        code, _, err = cli(*argv)
        assert code == 0, f"{argv}: {err}"


# Every module of relui/commands, read from the directory: a list kept by hand missed actions and completion.
OWN_COMMANDS = sorted(p.stem for p in (ROOT / "relui" / "commands").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", OWN_COMMANDS)
def test_exit_codes_are_named_never_bare_numbers(module: str) -> None:
    """A CommandError's code is an EXIT_* constant (or the default, 2): a bare 1 is how refusals drifted apart."""
    tree = ast.parse((ROOT / "relui" / "commands" / f"{module}.py").read_text(encoding="utf-8"))
    bare = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "CommandError":
            codes = [*node.args[1:], *(k.value for k in node.keywords if k.arg == "code")]
            # A name must be an EXIT_* constant; a call (CommandError.of a service's error) maps a Problem.
            bare += [ast.unparse(c) for c in codes if isinstance(c, ast.Constant | ast.Name) and not _exit(c)]
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
            bare.append(f"return {node.value.value}")
    assert not bare, f"relui/commands/{module}.py: {bare}"


def _exit(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id.startswith("EXIT_")
