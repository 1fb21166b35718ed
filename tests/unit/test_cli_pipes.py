"""The CLI in a pipeline: a reader that leaves, no terminal, a bad state dir, completion, init.

Each runs ``python -m relui`` for real: what matters is the exit code and
what reaches the terminal, which only a separate process shows.
"""

from __future__ import annotations

import os
import pty
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relui.cli import EXAMPLES, build_parser
from relui.commands.base import NO_TERMINAL, NO_TERMINAL_STDERR
from relui.config import load_config
from tests.conftest import SHIPPED_CONFIG


def relui_env(tmp_path: Path) -> dict[str, str]:
    """No config to be found by accident: an empty XDG config dir, no RELUI_CONFIG."""
    env = {k: v for k, v in os.environ.items() if k not in ("RELUI_CONFIG", "RELUI_STATE_DIR")}
    return {**env, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "RELUI_USER": "ops"}


def run(tmp_path: Path, *args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=relui_env(tmp_path),
        stdin=stdin,
    )


def run_into_closed_pipe(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run with stdout and stderr on a pipe whose reader has already gone (``2>&1 | head -0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "relui", *args],
            stdout=write_end,
            stderr=write_end,
            stdin=subprocess.DEVNULL,
            timeout=60,
            cwd=tmp_path,
            env=relui_env(tmp_path),
        )
    finally:
        os.close(write_end)
    return done.returncode, ""


def test_a_blocked_cutover_keeps_exit_3_when_the_reader_leaves(tmp_path: Path) -> None:
    common = ("--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path / "s"))
    assert run(tmp_path, *common, "cutover", "prod", "--yes").returncode == 3
    code, _ = run_into_closed_pipe(tmp_path, *common, "cutover", "prod", "--yes")
    assert code == 3


def test_a_successful_command_keeps_exit_0_and_prints_no_traceback(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "relui", "--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path), "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=relui_env(tmp_path),
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0 and done.stderr == ""


def test_the_tui_without_a_terminal_exits_2_with_one_line(tmp_path: Path) -> None:
    done = run(tmp_path, "--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path / "s"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"relui: {NO_TERMINAL}"
    assert done.stdout == ""


@pytest.mark.parametrize(
    "argv", [[], ["drill", "error-spike", "--json"]], ids=["the TUI", "a drill's TUI, its score piped"]
)
def test_a_tui_whose_stderr_is_a_file_exits_2_and_says_why(tmp_path: Path, argv: list[str]) -> None:
    """Textual draws on stderr: with ``2>log`` the screen went into the log, blank to the operator, keys taken."""
    controller, terminal = pty.openpty()
    log = tmp_path / "err.log"
    command = [sys.executable, "-m", "relui", "--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path / "s")]
    try:
        with log.open("w") as stderr:
            done = subprocess.run(
                [*command, *argv],
                stdin=terminal,
                stdout=terminal if not argv else subprocess.PIPE,
                stderr=stderr,
                timeout=60,
                cwd=tmp_path,
                env=relui_env(tmp_path),
            )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert log.read_text().strip().startswith(f"relui: {NO_TERMINAL_STDERR}")
    assert not (tmp_path / "s" / "drills").exists() and not (tmp_path / "s" / "drill").exists()


def test_a_file_as_state_dir_is_one_line_exit_2(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("not a directory")
    done = run(tmp_path, "--config", str(SHIPPED_CONFIG), "--state-dir", str(state), "status")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"relui: state dir {state} is not a directory; pass --state-dir DIR or set RELUI_STATE_DIR"
    ]


def test_a_first_run_without_config_says_relui_init(tmp_path: Path) -> None:
    done = run(tmp_path, "status")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "config file not found; run 'relui init'" in lines[0]


def test_init_writes_the_sandbox_sample_then_refuses_to_overwrite(tmp_path: Path) -> None:
    done = run(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "config.toml"
    assert written.read_text() == SHIPPED_CONFIG.read_text()
    assert run(tmp_path, "status").returncode == 0
    again = run(tmp_path, "init")
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "relui: config.toml exists already; relui init never overwrites a config (move it away first)"
    ]


def test_init_kubernetes_writes_a_skeleton_that_loads(tmp_path: Path) -> None:
    done = run(tmp_path, "init", "--kubernetes", "prod-cfg")
    assert done.returncode == 0, done.stderr
    config = load_config(tmp_path / "prod-cfg" / "config.toml")
    env = config.env("prod")
    assert env.kind == "kubernetes" and env.protected
    assert (Path(env.chart) / "Chart.yaml").is_file() or Path("charts/bluegreen").is_dir()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_every_command(tmp_path: Path, shell: str) -> None:
    done = run(tmp_path, "completion", shell)
    assert done.returncode == 0, done.stderr
    for command in ("status", "deploy", "cutover", "rollback", "init", "completion"):
        assert command in done.stdout
    binary = shutil.which(shell)
    if binary and shell != "fish":
        checked = subprocess.run([binary, "-n"], input=done.stdout, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr


def test_help_examples_are_commands_the_parser_accepts() -> None:
    parser = build_parser()
    examples = [line.strip() for line in EXAMPLES.splitlines() if line.startswith("  relui")]
    assert len(examples) >= 6
    for example in examples:
        command = example.split("  ")[0].split(" > ")[0]
        argv = shlex.split(command)[1:]
        if argv:
            parser.parse_args(argv)


@pytest.mark.parametrize(
    "args",
    [("status", "", "--json"), ("whoami", " "), ("journal", ""), ("journal", "verify", ""), ("deploy", "", "1.5.1")],
)
def test_an_empty_environment_name_is_a_usage_error_not_every_environment(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # `relui status "$ENV" --json` with ENV unset reported every environment and exited 0: DEV passed for PROD.
    done = run(tmp_path, "--config", str(SHIPPED_CONFIG), "--state-dir", str(tmp_path / "s"), *args)
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr
        == "relui: the environment named is empty (an unset shell variable?); name one, as in: relui status prod\n"
    )
