"""The TUI's first frame waits only for what draws the dashboard; what an action needs is warmed after it.

Each check runs in a fresh interpreter: this test session has imported
everything already. Nothing here times anything; it says which modules
are loaded at which moment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SHIPPED_CONFIG

# Loaded on first use (an action key, its modal, a bake breach), not before the first frame.
DEFERRED = (
    # The one decision path and its parts: only an action runs them.
    "relui.services.release",
    "relui.services.actions",
    "relui.services.guards",
    "relui.services.guard_facts",
    "relui.services.release_day_guards",
    "relui.services.facts",
    "relui.services.plans",
    "relui.services.requests",
    "relui.services.outcomes",
    "relui.services.moves",
    "relui.services.turns",
    "relui.services.inflight",
    "relui.services.service_locks",
    "relui.services.rollout",
    "relui.services.aftermath",
    # What the guards read when an action is decided; the columns never do.
    "relui.services.approvals",
    "relui.services.incidents",
    "relui.services.drill_records",
    "relui.services.attestations",
    "relui.services.readiness",
    # Signing a sign-off or checking a signed one; writing a checklist or an attestation.
    "relui.services.signing",
    "tomli_w",
    # Acting on a bake breach; the abort key.
    "relui.services.bake_watch",
    "relui.services.intervene",
    # The modals an action opens, and the rollback picker's revision labels (DataTable).
    "relui.screens.choice",
    "relui.screens.confirm",
    "relui.widgets.guard_list",
    "relui.widgets.revision_table",
    "textual.widgets._data_table",
    # The : and / lines and the : command words: only those keys open them.
    "relui.screens.command_mode",
    "relui.widgets.command_line",
    # The sparkline widgets of the detail screen; the columns draw an error rate as text (widgets/error_rate.py).
    "relui.widgets.error_sparkline",
    # The SHA-256 that chains what an action journals (OpenSSL); a reading of the journal hashes nothing.
    "hashlib",
)

# What the TUI does before its first frame (relui.cli main, relui.app run_tui), short of running the app.
BUILD_THE_APP = f"""
import json, sys
from relui.cli import parse
from relui.commands.base import build_context
import relui.app
args = parse(["--config", {str(SHIPPED_CONFIG)!r}, "--state-dir", sys.argv[1]])
app = relui.app.ReluiApp(build_context(args))
"""

REPORT = "print(json.dumps(sorted(m for m in {deferred!r} if m in sys.modules)))\n"


def loaded_of_deferred(code: str, state_dir: Path) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of DEFERRED it has loaded at its end."""
    script = code + REPORT.format(deferred=DEFERRED)
    done = subprocess.run(
        [sys.executable, "-c", script, str(state_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_building_the_tui_loads_none_of_the_action_modules(tmp_path: Path) -> None:
    assert loaded_of_deferred(BUILD_THE_APP, tmp_path / "state") == []


def test_the_warm_up_loads_every_action_module(tmp_path: Path) -> None:
    code = BUILD_THE_APP + (
        "from relui.screens.warm_up import ACTION_MODULES, SCREEN_MODULES, warm\n"
        "warm(ACTION_MODULES + SCREEN_MODULES)\n"
    )
    assert loaded_of_deferred(code, tmp_path / "state") == sorted(DEFERRED)


def test_the_running_dashboard_warms_them_by_itself(tmp_path: Path) -> None:
    """The warm-up is on a timer after mount: wait (generously) for it, never for a fixed time."""
    code = BUILD_THE_APP + (
        "import asyncio\n"
        f"wanted = {DEFERRED!r}\n"
        "async def run():\n"
        "    async with app.run_test(size=(120, 36)) as pilot:\n"
        "        for _ in range(600):\n"
        "            if all(m in sys.modules for m in wanted):\n"
        "                break\n"
        "            await pilot.pause(0.05)\n"
        "asyncio.run(run())\n"
    )
    assert loaded_of_deferred(code, tmp_path / "state") == sorted(DEFERRED)


def test_the_first_colon_before_the_warm_up_loads_the_line_and_keeps_every_key(tmp_path: Path) -> None:
    """``:`` and text in one burst, in a fresh process before the warm-up: the line's module loads inside the key."""
    code = BUILD_THE_APP + (
        "import asyncio\n"
        "seen = {}\n"
        "async def run():\n"
        "    async with app.run_test(size=(120, 36)) as pilot:\n"
        "        from relui.widgets.env_column import EnvColumn\n"
        "        for _ in range(200):\n"
        "            if app.screen.query(EnvColumn):\n"
        "                break\n"
        "            await pilot.pause(0.01)\n"
        "        seen['loaded_before'] = 'relui.widgets.command_line' in sys.modules\n"
        "        from textual.events import Key\n"
        "        for key, char in [('colon', ':'), *((c, c) for c in 'jour')]:\n"
        "            app.post_message(Key(key, char))  # one burst: all queued before the first is handled\n"
        "        for _ in range(200):\n"
        "            if app.screen.query('#command-line') and app.screen.query_one('#command-line').value:\n"
        "                break\n"
        "            await pilot.pause(0.01)\n"
        "        await pilot.pause(0.1)\n"
        "        seen['value'] = app.screen.query_one('#command-line').value\n"
        "asyncio.run(run())\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "state")], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"loaded_before": False, "value": "jour"}
