"""Running helm from blocking code, and reading what it prints.

Helpers under ``relui.adapters.helm``: where the helm binary is, how a pyhelm3
coroutine runs from a worker thread, how helm's values, times and stderr
become relui's types and one-line messages.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pyhelm3 import errors as helm_errors
from pyhelm3.command import Command

from relui.config import EnvironmentConfig
from relui.domain import Color, Finding, ReleaseValues
from relui.ports import PortError

T = TypeVar("T")
# stderr lines helm prints on success too; never the line that explains a failure.
_NOISE = ("warning:", "walk.go", "coalesce.go")


def find_helm() -> str | None:
    """The helm binary: ``$RELUI_HELM``, else ``helm`` on PATH, else the venv's test tools."""
    explicit = os.environ.get("RELUI_HELM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    tools = Path(sys.prefix) / "tools" / "bin" / "helm"
    return str(tools) if os.access(tools, os.X_OK) else None


def run_sync(make: Callable[[], Coroutine[Any, Any, T]], timeout: float) -> T:
    """Run a coroutine to completion from blocking code, bounded by ``timeout`` seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(make(), timeout)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(bounded())
    # Called on an event loop's thread: asyncio.run cannot nest, so use a helper thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()


def parse_values(raw: dict[str, Any], release: str) -> ReleaseValues:
    """The blue/green keys of a release's (computed) values."""
    active = raw.get("activeColor", "blue")
    if active not in ("blue", "green"):
        raise PortError(
            f"release {release} has activeColor={active!r}; expected blue or green: is it on the bluegreen chart?"
        )
    blue, green = raw.get("blue") or {}, raw.get("green") or {}
    return ReleaseValues(
        active_color=Color(active),
        blue_tag=_tag(blue.get("tag")),
        green_tag=_tag(green.get("tag")),
        blue_enabled=bool(blue.get("enabled", True)),
        green_enabled=bool(green.get("enabled", False)),
    )


def _tag(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's value merge: nested dicts merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_time(text: str | None) -> datetime:
    """helm's RFC 3339 times (nanoseconds, offsets) as aware UTC datetimes."""
    if not text:
        return datetime.fromtimestamp(0, UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stderr_line(exc: helm_errors.Error) -> str:
    """The one line of helm's stderr that says what went wrong."""
    stderr: bytes = exc.stderr
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    useful = [line for line in lines if not line.lower().startswith(_NOISE)]
    line = (errors or useful or lines or [f"exit status {exc.returncode}"])[0]
    line = line[len("Error:") :].strip() if line.lower().startswith("error:") else line
    return line if len(line) <= 300 else line[:297] + "..."


def diagnose_helm(env: EnvironmentConfig, executable: str | None, timeout: float) -> list[Finding]:
    """``relui doctor``: the helm binary is there, its version is 3 or 4, the chart is found."""
    path = executable or find_helm()
    if path is None:
        return [
            Finding(
                "helm",
                False,
                "helm binary not found (checked $RELUI_HELM, PATH, .venv/tools/bin)",
                "install helm v3 or v4 on PATH, or set RELUI_HELM to its path",
            )
        ]
    try:
        version = run_sync(lambda: Command(executable=path).version(), timeout).strip()
    except (helm_errors.Error, TimeoutError, OSError) as exc:
        return [Finding("helm", False, f"{path} did not report a version: {exc}".strip(), "reinstall helm")]
    major = version.lstrip("v").split(".")[0]
    if major not in ("3", "4"):
        return [Finding("helm", False, f"{path} is helm {version}; relui needs v3 or v4", "install helm v3 or v4")]
    findings = [Finding("helm", True, f"helm {version} at {path}")]
    chart = env.chart
    if "://" not in chart and not chart.startswith("oci:") and "/" in chart and not Path(chart).exists():
        findings.append(
            Finding(
                "helm chart",
                False,
                f"chart {chart} not found relative to {Path.cwd()}",
                f"run relui from the repository root or set chart = an absolute path for {env.name}",
            )
        )
    return findings
