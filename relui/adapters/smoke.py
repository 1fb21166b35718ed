"""The ``SmokeRunner`` port: an environment's smoke checks against one color's preview.

Each ``[[environments.smoke]]`` check is either an HTTP GET of a path on the
color's preview endpoint (``preview_url`` with ``{color}``, ``{namespace}``
and ``{release}`` filled in), passing when the status is ``expect_status``, or
a command run with ``RELUI_COLOR``, ``RELUI_PREVIEW_URL`` and ``RELUI_ENV`` in
its environment, passing on exit 0. A failure is a result with a one-line
detail, never an exception: the guard needs every check's outcome.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from relui.config import EnvironmentConfig, SmokeCheck
from relui.domain import Color, SmokeResult
from relui.ports import PortError

# With no checks configured, ask the preview what the chart probes anyway.
DEFAULT_CHECK = SmokeCheck(name="health", path="/healthz")
_DETAIL_LIMIT = 200


def preview_url(env: EnvironmentConfig, color: Color) -> str | None:
    """The color's preview endpoint, or None when the environment configures none.

    A template naming another placeholder than {color}, {namespace} or {release}
    is a PortError naming it.
    """
    if not env.preview_url:
        return None
    try:
        return env.preview_url.format(color=color, namespace=env.namespace, release=env.release).rstrip("/")
    except (KeyError, IndexError, ValueError) as exc:
        raise PortError(
            f"preview_url {env.preview_url!r} of {env.name} cannot be filled ({exc!r}); "
            "use only {color}, {namespace} and {release}"
        ) from None


def _clip(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _DETAIL_LIMIT else line[: _DETAIL_LIMIT - 3] + "..."


class PreviewSmoke:
    """Runs an environment's smoke checks; the constructor does no IO."""

    def __init__(self, env: EnvironmentConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.env = env
        self._clock = clock

    def run(self, color: Color) -> list[SmokeResult]:
        """Run every configured check (or the default /healthz) against ``color``."""
        try:
            base = preview_url(self.env, color)
        except PortError as exc:
            return [SmokeResult(check.name, False, str(exc)) for check in self.env.smoke or (DEFAULT_CHECK,)]
        results = []
        for check in self.env.smoke or (DEFAULT_CHECK,):
            if check.command:
                results.append(self._command(check, color, base))
            else:
                results.append(self._http(check, base))
        return results

    def _http(self, check: SmokeCheck, base: str | None) -> SmokeResult:
        if base is None:
            return SmokeResult(
                check.name,
                False,
                f"no preview_url for {self.env.name}; set preview_url, e.g. http://{{release}}-{{color}}-preview.{{namespace}}",
            )
        url = base + (check.path or "/")
        started = self._clock()
        request = urllib.request.Request(url, headers={"User-Agent": "relui-smoke"})
        try:
            with urllib.request.urlopen(request, timeout=check.timeout_seconds) as response:
                code = response.status
        except urllib.error.HTTPError as exc:
            code = exc.code
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                return SmokeResult(check.name, False, f"GET {url}: no answer within {check.timeout_seconds:g}s")
            return SmokeResult(check.name, False, _clip(f"GET {url}: {reason}"))
        elapsed_ms = (self._clock() - started) * 1000
        if code == check.expect_status:
            return SmokeResult(check.name, True, f"GET {url} -> {code} in {elapsed_ms:.0f} ms")
        return SmokeResult(check.name, False, f"GET {url} -> {code}, expected {check.expect_status}")

    def _command(self, check: SmokeCheck, color: Color, base: str | None) -> SmokeResult:
        assert check.command is not None
        env = dict(os.environ, RELUI_COLOR=str(color), RELUI_PREVIEW_URL=base or "", RELUI_ENV=self.env.name)
        shown = " ".join(check.command)
        try:
            done = subprocess.run(
                list(check.command),
                env=env,
                capture_output=True,
                text=True,
                timeout=check.timeout_seconds,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            return SmokeResult(check.name, False, f"command not found: {check.command[0]}")
        except PermissionError:
            return SmokeResult(check.name, False, f"command not executable: {check.command[0]}")
        except subprocess.TimeoutExpired:
            return SmokeResult(check.name, False, f"{shown}: no result within {check.timeout_seconds:g}s (killed)")
        if done.returncode == 0:
            last = _last_line(done.stdout)
            return SmokeResult(check.name, True, _clip(f"{shown}: ok" + (f" ({last})" if last else "")))
        # A failing check usually says why on stderr; fall back to stdout.
        last = _last_line(done.stderr) or _last_line(done.stdout)
        return SmokeResult(check.name, False, _clip(f"{shown}: exit {done.returncode}" + (f": {last}" if last else "")))


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
