"""The service layer and the sandbox run without Textual (pipelines, headless CLI)."""

from __future__ import annotations

import subprocess
import sys


def test_services_and_sandbox_load_no_textual() -> None:
    code = (
        "import sys, relui.services.release, relui.services.monitor, relui.services.checklist, "
        "relui.adapters.sandbox, relui.backends, relui.cli\n"
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
