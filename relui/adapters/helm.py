"""The ``Releases`` port on Helm, through pyhelm3's command layer.

One Helm release per environment on the blue/green chart (``charts/bluegreen``).
Every write is ``helm upgrade`` with the values of the last *deployed*
revision plus the one or two keys the action changes, sent whole with
``--reset-values``: a failed revision is never the base of the next upgrade,
and ``values()`` reads the same revision, so every plan shows what the next
upgrade builds on. Each write carries a ``--description`` so helm history
doubles as the cluster-side audit trail. pyhelm3 is async; callers are worker
threads, so each method runs its coroutine with ``asyncio.run``.

No write passes helm's ``--wait``: helm would block for the whole timeout on a
crash-looping pod, while relui polls the pods itself (``RolloutWatch``) and
stops at the first hopeless one. Without a wait flag every command line is the
same for helm v3 and v4 (v3's bare ``--wait`` and v4's ``--wait=STRATEGY``
differ; ``rollback --description`` exists in neither).
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import os
import shutil
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pyhelm3 import errors as helm_errors
from pyhelm3.command import Command

from relui.adapters.helm_cli import (
    diagnose_helm,
    find_helm,
    merge_values,
    parse_time,
    parse_values,
    run_sync,
    stderr_line,
)
from relui.config import EnvironmentConfig
from relui.domain import Color, Finding, ReleaseValues, Revision
from relui.ports import NotFound, PortError, SourceUnavailable

T = TypeVar("T")
PENDING_STATUSES = ("pending-install", "pending-upgrade", "pending-rollback")
# Reads that take longer than this mean the API server is not answering.
READ_TIMEOUT_SECONDS = 60.0
# helm keeps 10 revisions by default; 20 covers releases that keep more.
HISTORY_MAX = 20
# Values per revision are fetched concurrently, a few helm processes at a time.
VALUES_CONCURRENCY = 4


class HelmReleases:
    """The environment's Helm release: values, deploy, cutover, rollback, history.

    The constructor does no IO; the helm binary is found and its version read
    on the first call. ``executable`` and ``kubeconfig`` override the defaults
    (``find_helm()`` and helm's own ``$KUBECONFIG`` handling).
    """

    def __init__(self, env: EnvironmentConfig, *, executable: str | None = None, kubeconfig: str | None = None) -> None:
        self.env = env
        self._executable = executable
        self._kubeconfig = kubeconfig
        self._command: Command | None = None
        self._guard = threading.Lock()

    # -- the port ---------------------------------------------------------------

    def values(self) -> ReleaseValues:
        """The blue/green values of the last deployed revision: the base of the next upgrade."""

        async def read() -> ReleaseValues:
            deployed = self._deployed(await self._history_raw())
            raw = await self._cmd().get_values(
                self.env.release, computed=True, namespace=self.env.namespace, revision=deployed["revision"]
            )
            return parse_values(raw, self.env.release)

        return self._call("read values", read, READ_TIMEOUT_SECONDS)

    def install(self, color: Color, version: str, description: str) -> Revision:
        """First install: ``helm upgrade --install`` with ``color`` enabled on ``version`` and live.

        Refused when the release already has a deployed revision: an install would
        replace every value the release carries; deploy and cutover change only theirs.
        """
        other = Color.GREEN if color is Color.BLUE else Color.BLUE
        values = {
            str(color): {"enabled": True, "tag": version},
            str(other): {"enabled": False},
            "activeColor": str(color),
        }

        async def install() -> Revision:
            try:
                history = await self._history_raw()
            except NotFound:
                history = []
            self._refuse_pending(history)
            if any(r.get("status") in ("deployed", "superseded") for r in history):
                raise PortError(
                    f"release {self.env.release} already exists in namespace {self.env.namespace}; "
                    f"deploy to it with: relui deploy {self.env.name} VERSION"
                )
            argv: list[Any] = [
                "upgrade",
                self.env.release,
                self._chart(),
                "--install",
                "--namespace",
                self.env.namespace,
            ]
            argv += ["--values", "-", "--description", description, "--timeout", self._timeout(), "--output", "json"]
            return self._released(await self._cmd().run(argv, json.dumps(values).encode()), description)

        return self._call(f"install {version} on {color}", install, self._write_timeout())

    def deploy(self, color: Color, version: str, description: str) -> Revision:
        """Upgrade so ``color`` runs ``version`` (enabled); returns once helm applied it.

        The rollout is not awaited here: the caller polls the color's pods and,
        when they cannot become ready, rolls back to the revision before this one.
        """

        def change(values: dict[str, Any]) -> dict[str, Any]:
            section = dict(values.get(str(color)) or {})
            section.update(tag=version, enabled=True)
            values[str(color)] = section
            return values

        return self._upgrade(f"deploy {version} to {color}", change, description)

    def set_active(self, color: Color, description: str) -> Revision:
        """Upgrade with ``activeColor`` = color; both colors stay up.

        Only the live Service's selector changes; the caller reads it back.
        """
        current = self.values()
        if not current.enabled(color):
            raise PortError(
                f"cannot route traffic to {color}: it has no deployment in release {self.env.release}; "
                f"deploy a version to {color} first"
            )

        def change(values: dict[str, Any]) -> dict[str, Any]:
            values["activeColor"] = str(color)
            return values

        return self._upgrade(f"switch live traffic to {color}", change, description)

    def rollback(self, revision: int, description: str) -> Revision:
        """``helm rollback <release> <revision>``; returns once helm applied it.

        No helm wait, as for upgrades: waiting on every resource would stall an
        emergency rollback behind pods of the other color that may be failing;
        the caller reads the live selector back. helm rollback takes no
        ``--description`` (v3 nor v4): helm records "Rollback to N" itself, and
        relui's journal keeps ``description``.
        """

        async def roll() -> Revision:
            history = await self._history_raw()
            self._refuse_pending(history)
            if not any(r.get("revision") == revision for r in history):
                known = ", ".join(str(r.get("revision")) for r in history) or "none"
                raise NotFound(f"release {self.env.release} has no revision {revision}; known revisions: {known}")
            argv: list[Any] = ["rollback", self.env.release, revision, "--namespace", self.env.namespace]
            argv += ["--timeout", self._timeout()]
            await self._cmd().run(argv)
            newest = (await self._history_raw())[-1]
            return self._revision(newest, None)

        return self._call(f"roll back to revision {revision}", roll, self._write_timeout())

    def history(self) -> list[Revision]:
        """Revisions newest first, each with its computed values where helm still has them."""

        async def read() -> list[Revision]:
            history = list(reversed(await self._history_raw()))
            gate = asyncio.Semaphore(VALUES_CONCURRENCY)

            async def values_of(number: int) -> ReleaseValues | None:
                async with gate:
                    try:
                        raw = await self._cmd().get_values(
                            self.env.release, computed=True, namespace=self.env.namespace, revision=number
                        )
                    except helm_errors.Error:
                        return None  # pruned or unreadable: the entry still shows, without values
                try:
                    return parse_values(raw, self.env.release)
                except PortError:
                    return None

            values = await asyncio.gather(*(values_of(int(r["revision"])) for r in history))
            return [self._revision(r, v) for r, v in zip(history, values, strict=True)]

        return self._call("read history", read, READ_TIMEOUT_SECONDS)

    # -- helpers ----------------------------------------------------------------

    def _upgrade(self, action: str, change: Callable[[dict[str, Any]], dict[str, Any]], description: str) -> Revision:
        async def upgrade() -> Revision:
            history = await self._history_raw()
            self._refuse_pending(history)
            deployed = self._deployed(history)
            # The user-supplied values of the last *deployed* revision (what values()
            # showed), not of the newest one, which may be failed; not the computed
            # ones either, so chart defaults stay defaults. Sent whole with --reset-values.
            current = await self._cmd().get_values(
                self.env.release, namespace=self.env.namespace, revision=deployed["revision"]
            )
            values = change(copy.deepcopy(current or {}))
            argv: list[Any] = ["upgrade", self.env.release, self._chart(), "--namespace", self.env.namespace]
            argv += ["--reset-values", "--values", "-", "--description", description]
            argv += ["--timeout", self._timeout(), "--output", "json"]
            return self._released(await self._cmd().run(argv, json.dumps(values).encode()), description)

        return self._call(action, upgrade, self._write_timeout())

    def _released(self, out: bytes, description: str) -> Revision:
        """The revision ``helm upgrade --output json`` printed, with its computed values."""
        # helm >= 4.2 may print registry lines before the JSON document.
        release = json.loads(out[out.index(b"{") :])
        chart_defaults = (release.get("chart") or {}).get("values") or {}
        computed = merge_values(chart_defaults, release.get("config") or {})
        info = release.get("info") or {}
        entry = {
            "revision": release.get("version"),
            "status": info.get("status", "deployed"),
            "description": info.get("description", description),
            "updated": info.get("last_deployed"),
        }
        return self._revision(entry, parse_values(computed, self.env.release))

    def _deployed(self, history: list[dict[str, Any]]) -> dict[str, Any]:
        """The last deployed revision; PortError when the release is stuck, NotFound when it has none."""
        deployed: dict[str, Any] | None = next((r for r in reversed(history) if r.get("status") == "deployed"), None)
        if deployed is not None:
            return deployed
        self._refuse_pending(history)
        raise NotFound(
            f"release {self.env.release} in namespace {self.env.namespace} has no deployed revision; "
            f"{self._history_hint()}, then helm rollback to a good one or uninstall and relui install {self.env.name}"
        )

    def _cmd(self) -> Command:
        with self._guard:
            if self._command is None:
                executable = self._executable or find_helm()
                if executable is None:
                    raise PortError(
                        "helm not found: install helm v3 or v4 on PATH, or set RELUI_HELM to its path "
                        "(make tools puts one in .venv/tools/bin)"
                    )
                if not (shutil.which(executable) or os.access(executable, os.X_OK)):
                    raise PortError(f"helm not found at {executable}: fix RELUI_HELM or install helm v3 or v4")
                kubeconfig = self._kubeconfig or None
                self._command = Command(executable=executable, kubeconfig=kubeconfig, kubecontext=self.env.kube_context)
            return self._command

    async def _history_raw(self) -> list[dict[str, Any]]:
        """helm history, oldest first (as helm prints it)."""
        try:
            raw = await self._cmd().history(self.env.release, max_revisions=HISTORY_MAX, namespace=self.env.namespace)
        except helm_errors.ReleaseNotFoundError:
            raise NotFound(self._missing_message()) from None
        if not raw:
            raise NotFound(self._missing_message())
        return sorted(raw, key=lambda r: int(r.get("revision", 0)))

    def _refuse_pending(self, history: list[dict[str, Any]]) -> None:
        if history and history[-1].get("status") in PENDING_STATUSES:
            raise PortError(self._pending_message(history))

    def _pending_message(self, history: list[dict[str, Any]]) -> str:
        newest = history[-1]
        status, number = newest.get("status"), newest.get("revision")
        good = next(
            (r["revision"] for r in reversed(history[:-1]) if r.get("status") in ("deployed", "superseded")), None
        )
        where = self._where()
        if good is not None:
            fix = f"helm rollback {self.env.release} {good}{where} (last good revision), then retry"
        else:
            fix = f"no earlier revision to roll back to: helm uninstall {self.env.release}{where} and install again"
        return (
            f"release {self.env.release} in {self.env.namespace} is stuck in {status} (revision {number}): "
            f"an earlier helm run was interrupted; fix: {fix}; see helm history {self.env.release}{where}"
        )

    def _revision(self, raw: dict[str, Any], values: ReleaseValues | None) -> Revision:
        return Revision(
            number=int(raw.get("revision") or 0),
            status=str(raw.get("status") or "unknown"),
            description=str(raw.get("description") or ""),
            updated=parse_time(raw.get("updated")),
            values=values,
        )

    def _chart(self) -> str:
        chart = self.env.chart
        local = "://" not in chart and not chart.startswith("oci:")
        if local and ("/" in chart or chart.startswith(".")) and not Path(chart).exists():
            raise PortError(
                f"chart {chart} not found (relative to {Path.cwd()}); run relui from the repository root "
                f"or set chart = an absolute path in [[environments]] {self.env.name}"
            )
        return chart

    def _timeout(self) -> str:
        return f"{math.ceil(self.env.deploy_timeout_seconds)}s"

    def _write_timeout(self) -> float:
        # Killing helm mid-upgrade is what leaves a release pending-upgrade, so
        # give helm's own --timeout (for hooks) ample room to end first.
        return 2 * self.env.deploy_timeout_seconds + 60

    def _where(self) -> str:
        context = f" --kube-context {self.env.kube_context}" if self.env.kube_context else ""
        return f" -n {self.env.namespace}{context}"

    def _history_hint(self) -> str:
        return f"see helm history {self.env.release}{self._where()}"

    def _missing_message(self) -> str:
        return (
            f"release {self.env.release} not found in namespace {self.env.namespace}; "
            f"start it with: relui install {self.env.name} VERSION"
        )

    def _call(self, action: str, make: Callable[[], Coroutine[Any, Any, T]], timeout: float) -> T:
        try:
            return run_sync(make, timeout)
        except PortError:
            raise
        except TimeoutError:
            raise SourceUnavailable(
                f"helm did not finish '{action}' for {self.env.release} within {timeout:.0f}s; "
                f"check the cluster and {self._history_hint()}"
            ) from None
        except helm_errors.Error as exc:
            raise self._translate(action, exc) from None

    def _translate(self, action: str, exc: helm_errors.Error) -> PortError:
        line = stderr_line(exc)
        low = line.lower()
        context = self.env.kube_context or "the current context"
        if isinstance(exc, helm_errors.ReleaseNotFoundError):
            return NotFound(self._missing_message())
        if "another operation" in low and "in progress" in low:
            return PortError(
                f"helm {action}: another helm operation on {self.env.release} is in progress or was interrupted; "
                f"wait for it, or if it is stuck: {self._history_hint()} and helm rollback to the last good revision"
            )
        if isinstance(exc, helm_errors.ConnectionError) or any(
            word in low for word in ("connection refused", "unreachable", "no such host", "i/o timeout")
        ):
            return SourceUnavailable(
                f"helm cannot reach the cluster ({context}): {line}; check kube_context, VPN and credentials"
            )
        if "forbidden" in low or "unauthorized" in low:
            return PortError(
                f"helm {action}: {line}; grant this user access to the release's secrets and objects "
                f"in {self.env.namespace}"
            )
        if isinstance(exc, helm_errors.FailedToRenderChartError) or "values don't meet" in low:
            return PortError(f"chart {self.env.chart} refused the values for '{action}': {line}")
        if "timed out" in low or "deadline exceeded" in low:
            return PortError(
                f"helm {action}: not ready within {self._timeout()} ({line}); the revision is marked failed; "
                "look at the pods (relui status) and roll back or fix and deploy again"
            )
        return PortError(f"helm {action} failed: {line}")


def diagnose(env: EnvironmentConfig, executable: str | None = None) -> list[Finding]:
    """``relui doctor``: the helm binary is there, its version is 3 or 4, the chart is found."""
    return diagnose_helm(env, executable, READ_TIMEOUT_SECONDS)
