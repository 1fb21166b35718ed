"""The GitHub workflows: actionlint (with shellcheck) clean, OIDC-only AWS access, real relui calls.

A broken pipeline is found on release day otherwise, so this runs the real
actionlint binary (installed by scripts/tools.d/actionlint.sh) and fails,
never skips, when it is missing. The structural checks read the YAML itself.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# The docs test owns the parsing of relui command lines; the pipeline must pass the same check.
from tests.unit.test_docs_commands import call_problems, command_of, relui_calls, shell_lines

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
CI = WORKFLOWS / "ci.yml"
INSTALL_HINT = "install it with: bash scripts/tools.d/actionlint.sh .venv (or: make tools)"
LONG_LIVED_KEYS = re.compile(r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY", re.I)
AWS_LOGIN = "aws-actions/configure-aws-credentials@"
PINNED_MAJOR = re.compile(r"^[\w.-]+/[\w./-]+@v\d+$")


def find_tool(name: str) -> str | None:
    """A test tool on PATH, else in the venv's tools/bin where the install scripts put it."""
    found = shutil.which(name)
    if found:
        return found
    local = Path(sys.prefix) / "tools" / "bin" / name
    return str(local) if os.access(local, os.X_OK) else None


def load(path: Path) -> dict[str, Any]:
    """A workflow as data; PyYAML reads the key ``on`` as True, so put it back."""
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step of every job."""
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def job_commands(job: dict[str, Any]) -> list[list[str]]:
    """The arguments of each relui call in a job's run scripts, in order."""
    calls = []
    for step in job.get("steps", []):
        for _number, line in shell_lines(list(enumerate(step.get("run", "").splitlines(), start=1))):
            calls.extend(relui_calls(line))
    return calls


# -- actionlint ---------------------------------------------------------------------


def test_actionlint_passes_with_shellcheck() -> None:
    actionlint = find_tool("actionlint")
    if actionlint is None:
        pytest.fail(f"actionlint is not installed; {INSTALL_HINT}")
    shellcheck = find_tool("shellcheck")
    if shellcheck is None:
        # Without it actionlint silently skips every run: script, where most mistakes live.
        pytest.fail("shellcheck is not installed; apt-get install shellcheck (or: make tools as root)")
    files = sorted(str(p.relative_to(ROOT)) for p in WORKFLOWS.glob("*.y*ml"))
    assert files, "no workflows found"
    done = subprocess.run(
        [actionlint, "-shellcheck", shellcheck, "-no-color", *files],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, f"actionlint found problems:\n{done.stdout}{done.stderr}"


def test_actionlint_really_checks(tmp_path: Path) -> None:
    # A linter that accepts anything would make the test above worthless.
    actionlint = find_tool("actionlint")
    if actionlint is None:
        pytest.fail(f"actionlint is not installed; {INSTALL_HINT}")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: 'true'\n"
    )
    done = subprocess.run([actionlint, "-no-color", str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "nope" in done.stdout


# -- AWS only through OIDC ------------------------------------------------------------


def test_release_may_mint_oidc_tokens_and_only_read_the_repo() -> None:
    release = load(RELEASE)
    assert release["permissions"] == {"id-token": "write", "contents": "read"}
    for job_id, job in release["jobs"].items():
        for scope, level in job.get("permissions", {}).items():
            assert level != "write" or scope == "id-token", f"job {job_id} grants {scope}: write"


@pytest.mark.parametrize("path", [RELEASE, CI], ids=lambda p: p.name)
def test_no_long_lived_aws_keys_anywhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not LONG_LIVED_KEYS.search(text), f"{path.name} mentions a long-lived AWS key"


def test_every_aws_login_assumes_a_role() -> None:
    release = load(RELEASE)
    logins = [(j, s) for j, s in steps(release) if s.get("uses", "").startswith(AWS_LOGIN)]
    assert logins, "release.yml never logs in to AWS"
    for job_id, step in logins:
        inputs = step.get("with", {})
        assert inputs.get("role-to-assume"), f"{job_id}: configure-aws-credentials without role-to-assume"
        assert inputs.get("aws-region"), f"{job_id}: configure-aws-credentials without aws-region"
        assert not any("key" in name for name in inputs), f"{job_id}: passes a key to configure-aws-credentials"


def test_aws_cli_only_after_an_oidc_login_in_the_same_job() -> None:
    for job_id, job in load(RELEASE)["jobs"].items():
        logged_in = False
        for step in job.get("steps", []):
            logged_in = logged_in or step.get("uses", "").startswith(AWS_LOGIN)
            if re.search(r"(^|\s)aws\s", step.get("run", "")):
                assert logged_in, f"{job_id}: step {step.get('name')!r} calls aws before the OIDC login"


@pytest.mark.parametrize("path", [RELEASE, CI], ids=lambda p: p.name)
def test_actions_are_pinned_to_a_major_version(path: Path) -> None:
    for job_id, step in steps(load(path)):
        if "uses" in step:
            assert PINNED_MAJOR.match(step["uses"]), f"{path.name} {job_id}: {step['uses']} is not pinned to @vN"


# -- the release plan's stages, through relui ---------------------------------------------


def test_every_relui_call_is_a_real_command_with_real_flags() -> None:
    calls = [args for job in load(RELEASE)["jobs"].values() for args in job_commands(job)]
    assert len(calls) >= 8
    problems = [f"relui {' '.join(a)}: {p}" for a in calls for p in call_problems(a)]
    assert not problems, "\n".join(problems)


def test_release_runs_the_plan_in_order() -> None:
    jobs = load(RELEASE)["jobs"]
    wanted = [
        ("deploy-qa", ["deploy", "qa", "$VERSION", "--yes", "--reason"]),
        ("integration-qa", ["smoke", "qa"]),
        ("deploy-prod", ["deploy", "prod", "$VERSION", "--yes", "--reason"]),
        ("deploy-prod", ["smoke", "prod"]),
        ("cutover-prod", ["signoff", "prod", "--github-approval", "--run-url", "$RUN_URL", "--approver", "$APPROVER"]),
        ("cutover-prod", ["cutover", "prod", "--yes", "--reason"]),
        ("verify", ["status", "prod", "--json"]),
        ("notify", ["rollback", "prod", "--yes", "--reason", "pipeline verification failed"]),
    ]
    for job_id, prefix in wanted:
        calls = job_commands(jobs[job_id])
        # Quoted "$VERSION" reaches us unexpanded; compare the words that matter.
        assert any(call[: len(prefix)] == prefix for call in calls), f"{job_id} lacks relui {' '.join(prefix)}: {calls}"
    order = ["build", "image", "deploy-qa", "integration-qa", "approval", "deploy-prod", "cutover-prod", "verify"]
    for earlier, later in itertools.pairwise(order):
        needs = jobs[later]["needs"]
        assert earlier in (needs if isinstance(needs, list) else [needs]), f"{later} must wait for {earlier}"
    assert jobs["approval"]["environment"] == "production"
    assert jobs["notify"]["if"] == "always()"


def test_relui_is_installed_from_the_checkout_where_it_runs() -> None:
    for job_id, job in load(RELEASE)["jobs"].items():
        if job_commands(job):
            runs = " ".join(step.get("run", "") for step in job["steps"])
            assert re.search(r"pip install (--quiet )?'?\.(\[dev\])?'?", runs), (
                f"{job_id} calls relui without installing it"
            )


def test_blocked_cutover_fails_with_a_clear_message() -> None:
    cutover = next(s for s in load(RELEASE)["jobs"]["cutover-prod"]["steps"] if s.get("id") == "cutover")
    script = cutover["run"]
    assert "|| rc=$?" in script and 'exit "$rc"' in script  # relui's own code ends the job
    assert re.search(r"3\)\s*echo \"::error title=Cutover blocked::", script)


def test_slack_is_told_through_the_webhook_secret() -> None:
    notify = load(RELEASE)["jobs"]["notify"]
    assert notify["env"]["SLACK_WEBHOOK_URL"] == "${{ secrets.SLACK_WEBHOOK_URL }}"
    rollback = next(s for s in notify["steps"] if s.get("id") == "rollback")
    assert "needs.verify.result == 'failure'" in notify["env"]["ROLL_BACK"]
    assert rollback["if"] == "env.ROLL_BACK == 'true'"
    assert [command_of(a)[0] for a in job_commands(notify)] == ["rollback"]


def test_ci_runs_make_test_and_the_lowest_versions_on_python_311() -> None:
    ci = load(CI)
    assert {"push", "pull_request"} <= set(ci["on"])
    runs = {}
    for job in ci["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
        assert str(python["with"]["python-version"]) == "3.11"
        runs.update({s["run"].split()[1]: job for s in job["steps"] if s.get("run", "").startswith("make ")})
    # make test-lowest: the lower bounds in pyproject.toml are versions that really work.
    assert {"test", "test-lowest"} <= set(runs)


def test_no_step_acts_as_the_approver() -> None:
    """Identity is verified, not claimed: setting RELUI_USER to the approver's login made any
    GitHub login an unsigned product-owner sign-off where identities are unverified."""
    for job_id, job in load(RELEASE)["jobs"].items():
        for step in job.get("steps", []):
            claimed = {k: v for k, v in (step.get("env") or {}).items() if k == "RELUI_USER"}
            assert not any("approver" in str(v) for v in claimed.values()), f"{job_id}: {step.get('name')}"
