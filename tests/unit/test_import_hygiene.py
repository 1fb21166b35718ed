"""The service layer and the sandbox run without Textual (pipelines, headless CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_services_and_sandbox_load_no_textual() -> None:
    code = (
        "import sys, relui.services.release, relui.services.monitor, relui.services.checklist, "
        "relui.adapters.sandbox, relui.backends, relui.cli, relui.screens.reading\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def test_screens_and_widgets_install_under_relui() -> None:
    code = (
        "import importlib.util as u\n"
        "print(u.find_spec('relui.screens') is not None, u.find_spec('relui.widgets') is not None, "
        "u.find_spec('screens') is None and u.find_spec('widgets') is None)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd="/")
    assert done.stdout.strip() == "True True True"


def test_the_tui_starts_without_the_command_modules_or_the_other_screens() -> None:
    """Everything imported before the first frame delays it: the TUI loads only what the dashboard draws."""
    code = (
        "import sys\n"
        "from relui.cli import parse\n"
        "args = parse(['--config', 'config.toml'])\n"
        "import relui.app\n"
        "late = ['relui.commands.actions', 'relui.commands.doctor', 'relui.commands.drill', 'relui.screens.help', "
        "'relui.screens.checklist', 'relui.screens.environment', 'relui.screens.journal', 'relui.screens.readiness']\n"
        "print(args.command, ','.join(m for m in late if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "None"


def test_a_command_or_help_still_gets_the_full_parser() -> None:
    from relui.cli import parse

    assert parse(["status", "--config", "config.toml"]).command == "status"
    assert parse(["--read-only"]).command is None


def test_the_tui_starts_its_first_readings_before_textual_is_imported(tmp_path: Path) -> None:
    """A cluster's first answers (Kubernetes, helm, Prometheus) come in while the TUI is still loading Textual."""
    code = (
        "import sys, types\n"
        "import relui.cli as cli, relui.screens.reading as reading\n"
        "real = reading.start_readings\n"
        "def spy(ctx):\n"
        "    print('textual loaded:', 'textual.app' in sys.modules)\n"
        "    return real(ctx)\n"
        "reading.start_readings = spy\n"
        "app = types.ModuleType('relui.app')\n"
        "def run_tui(ctx, readings):\n"
        "    got = {env: future.result(30).env for env, future in readings.first.items()}\n"
        "    print('read:', ','.join(f'{k}={v}' for k, v in got.items()))\n"
        "    return 0\n"
        "app.run_tui = run_tui\n"
        "sys.modules['relui.app'] = app\n"
        f"raise SystemExit(cli._run_tui(cli.parse(['--config', 'config.toml', '--state-dir', {str(tmp_path)!r}])))\n"
    )
    env = {**os.environ, "RELUI_USER": "ops"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, env=env)
    assert done.stdout.splitlines() == ["textual loaded: False", "read: dev=dev,qa=qa,prod=prod"]
