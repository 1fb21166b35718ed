"""The ``Cluster`` and ``Releases`` ports for a DEV environment on Docker Compose.

A compose environment runs one service (``[environments.compose]`` file,
service, project) in a single color: relui reports it as blue, with green
disabled, and deploys in place with ``docker compose up -d --wait`` and the
version in ``RELUI_TAG`` (the compose file names its image as
``shop:${RELUI_TAG}``). Health comes from ``docker compose ps --format json``.
Compose keeps no release history and has no lock, so relui keeps both in the
state dir (``compose/<env>.json``), shared by every relui run on this machine.

Every docker call has a timeout, and a missing docker CLI, a missing compose
plugin or a daemon that is not running each become one line saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relui.config import EnvironmentConfig
from relui.domain import Color, ColorState, Finding, LockInfo, PodHealth, ReleaseValues, Revision
from relui.ports import LockHeld, NotFound, PortError, SourceUnavailable
from relui.statedir import atomic_write, exclusive, read_file, resolve_state_dir

READ_TIMEOUT_SECONDS = 30.0
LEASE_SECONDS = 300
_DAEMON_DOWN = ("cannot connect to the docker daemon", "is the docker daemon running", "error during connect")


def _clip(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def parse_ps(output: str, service: str) -> list[dict[str, Any]]:
    """Containers of ``service`` from ``docker compose ps --format json`` (an array, or one object per line)."""
    text = output.strip()
    if not text:
        return []
    try:
        rows = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
    except ValueError as exc:
        raise PortError(f"docker compose ps did not print JSON ({exc}); update docker compose") from None
    return sorted((r for r in rows if r.get("Service") == service), key=lambda r: str(r.get("Name")))


def image_tag(image: str) -> str | None:
    """The tag of ``[registry[:port]/]name:tag``."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def container_health(row: dict[str, Any]) -> PodHealth:
    """One container in the words relui uses for pods (ready, reason)."""
    state, health = str(row.get("State") or "").lower(), str(row.get("Health") or "").lower()
    reason = None
    if state == "restarting":
        reason = "CrashLoopBackOff"
    elif state in ("exited", "dead"):
        reason = "Error" if row.get("ExitCode") not in (0, None) else "Completed"
    elif state == "created" or health == "starting":
        reason = "ContainerCreating"
    elif health == "unhealthy":
        reason = "Unhealthy"
    return PodHealth(
        name=str(row.get("Name")),
        color=Color.BLUE,
        phase=state.capitalize() or "Unknown",
        ready=state == "running" and health in ("", "healthy"),
        reason=reason,
        version=image_tag(str(row.get("Image") or "")),
    )


class _ComposePort:
    """Shared plumbing: running docker compose and the state file."""

    def __init__(self, env: EnvironmentConfig, *, state_dir: Path | None = None) -> None:
        if env.compose is None:
            raise PortError(f"environment {env.name} has no [environments.compose] section")
        self.env = env
        self.compose = env.compose
        self._state_dir = state_dir
        self._daemon_seen = False

    def docker(self, *args: str, timeout: float = READ_TIMEOUT_SECONDS, extra_env: dict[str, str] | None = None) -> str:
        """Run ``docker <args>``; failures become one-line PortErrors."""
        executable = shutil.which("docker")
        if executable is None:
            raise SourceUnavailable(
                "docker not found on PATH: install the Docker CLI with the compose plugin to run this environment"
            )
        env = dict(os.environ, **(extra_env or {}))
        try:
            done = subprocess.run(
                [executable, *args], capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise SourceUnavailable(f"docker {args[0]} did not finish within {timeout:.0f}s; is Docker hung?") from None
        if done.returncode != 0:
            raise self._failure(args, done.stderr or done.stdout)
        return done.stdout

    def _failure(self, args: tuple[str, ...], stderr: str) -> PortError:
        low = stderr.lower()
        line = _clip(next((ln for ln in stderr.splitlines() if ln.strip()), f"exit status of docker {args[0]}"))
        if any(marker in low for marker in _DAEMON_DOWN):
            return SourceUnavailable(
                f"Docker daemon not running ({line}); start Docker (systemctl start docker) or set DOCKER_HOST"
            )
        if "permission denied" in low and "docker" in low:
            return SourceUnavailable(f"no access to the Docker daemon ({line}); add this user to the docker group")
        if ("unknown command" in low and "compose" in low) or "'compose' is not a docker command" in low:
            return PortError("docker compose plugin missing: install docker-compose-plugin (Compose v2)")
        if "no such file" in low or "no configuration file" in low:
            return PortError(f"compose file {self.compose.file} not found ({line}); fix [environments.compose] file")
        return PortError(f"docker {' '.join(args[:4])} failed: {line}")

    def compose_cmd(self, *args: str, timeout: float = READ_TIMEOUT_SECONDS, tag: str | None = None) -> str:
        """``docker compose -f FILE [-p PROJECT] <args>``, after checking the daemon once."""
        self.require_daemon()
        project = ["-p", self.compose.project] if self.compose.project else []
        extra = {"RELUI_TAG": tag} if tag is not None else None
        return self.docker("compose", "-f", self.compose.file, *project, *args, timeout=timeout, extra_env=extra)

    def require_daemon(self) -> None:
        """SourceUnavailable, one line, unless the Docker daemon answers (asked once per port)."""
        if not self._daemon_seen:
            # Ask the daemon first: without it every compose command fails, and
            # the daemon's own error is the one that tells the operator what to do.
            self.docker("version", "--format", "{{.Server.Version}}")
            self._daemon_seen = True

    def containers(self) -> list[dict[str, Any]]:
        """The service's containers, including stopped and restarting ones."""
        return parse_ps(self.compose_cmd("ps", "--all", "--format", "json"), self.compose.service)

    # -- state shared by runs: lock and revisions --------------------------------

    @property
    def state_path(self) -> Path:
        """Where this environment's lock and revisions live."""
        return (self._state_dir or resolve_state_dir()) / "compose" / f"{self.env.name}.json"

    def read_state(self) -> dict[str, Any]:
        """The stored lock and revisions (empty when nothing was ever stored)."""
        try:
            loaded: dict[str, Any] = json.loads(read_file(self.state_path))
        except FileNotFoundError:
            return {"lock": None, "revisions": []}
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise PortError(f"cannot read {self.state_path}: {why}; delete it to start over") from None
        return loaded

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """Read, change and write the state under an exclusive lock."""
        with exclusive(self.state_path):
            state = self.read_state()
            yield state
            atomic_write(self.state_path, json.dumps(state, indent=1).encode())


def _values(tag: str | None, enabled: bool = True) -> ReleaseValues:
    return ReleaseValues(Color.BLUE, tag, None, blue_enabled=enabled, green_enabled=False)


def _revision(raw: dict[str, Any]) -> Revision:
    return Revision(raw["number"], raw["status"], raw["description"], datetime.fromisoformat(raw["updated"]),
                    _values(raw.get("tag")))  # fmt: skip


def _single_color(env: EnvironmentConfig, color: Color, action: str) -> None:
    if color != Color.BLUE:
        raise PortError(
            f"{env.name} runs on Docker Compose with a single color (blue): cannot {action} {color}; "
            "blue/green needs a kubernetes environment"
        )


class ComposeCluster(_ComposePort):
    """The compose service as the blue color; green is always disabled."""

    def color_states(self) -> dict[Color, ColorState]:
        """Blue from ``docker compose ps``; green disabled."""
        pods = tuple(container_health(row) for row in self.containers())
        version = next((p.version for p in pods if p.phase == "Running"), pods[0].version if pods else None)
        blue = ColorState(Color.BLUE, version, bool(pods), len(pods), sum(p.ready for p in pods), pods=pods)
        return {Color.BLUE: blue, Color.GREEN: ColorState(Color.GREEN, None, False, 0, 0)}

    def observed_active_color(self) -> Color | None:
        """Blue while the service has containers: it is the only color there is."""
        return Color.BLUE if self.containers() else None

    def warning_events(self, color: Color) -> list[str]:
        """Containers of the service that are not well, one line each."""
        if color != Color.BLUE:
            return []
        return [
            f"{p.reason}: container {p.name} is {row.get('Status') or p.phase}"
            for row in self.containers()
            for p in [container_health(row)]
            if p.reason and p.reason != "Completed"
        ]

    def lock(self) -> LockInfo | None:
        """The holder of the environment's lock, unless it expired."""
        return self._live(self.read_state().get("lock"))

    def acquire_lock(self, holder: str) -> LockInfo:
        """Take or renew the lock; LockHeld when someone else holds it."""
        now = datetime.now(UTC)
        with self.transaction() as state:
            current = self._live(state.get("lock"))
            if current is not None and current.holder != holder:
                raise LockHeld(current)
            since = current.since if current is not None else now
            state["lock"] = {"holder": holder, "since": since.isoformat(), "renewed": now.isoformat()}
        return LockInfo(holder, since, now)

    def release_lock(self, holder: str) -> None:
        """Give the lock back; a no-op for anyone but the holder."""
        with self.transaction() as state:
            if (state.get("lock") or {}).get("holder") == holder:
                state["lock"] = None

    @staticmethod
    def _live(raw: dict[str, Any] | None) -> LockInfo | None:
        if not raw:
            return None
        renewed = datetime.fromisoformat(raw["renewed"])
        if datetime.now(UTC) - renewed > timedelta(seconds=LEASE_SECONDS):
            return None  # abandoned: the holder stopped renewing
        return LockInfo(raw["holder"], datetime.fromisoformat(raw["since"]), renewed)


class ComposeReleases(_ComposePort):
    """In-place deploys of the one service, with a revision history kept by relui."""

    def values(self) -> ReleaseValues:
        """Blue runs the tag of the running containers (else the last deployed one)."""
        rows = self.containers()
        tags = [image_tag(str(r.get("Image") or "")) for r in rows if str(r.get("State")).lower() == "running"]
        deployed = next((r for r in reversed(self.read_state()["revisions"]) if r["status"] == "deployed"), None)
        return _values(next((t for t in tags if t), None) or (deployed or {}).get("tag"), enabled=bool(rows))

    def deploy(self, color: Color, version: str, description: str) -> Revision:
        """``docker compose up -d --wait SERVICE`` with ``RELUI_TAG=version``."""
        _single_color(self.env, color, "deploy to")
        return self._up(version, description)

    def install(self, color: Color, version: str, description: str) -> Revision:
        """Compose has nothing to install first: the first deploy starts the service."""
        _single_color(self.env, color, "install")
        raise PortError(
            f"{self.env.name} runs on Docker Compose: there is no release to install; "
            f"start it with: relui deploy {self.env.name} {version}"
        )

    def set_active(self, color: Color, description: str) -> Revision:
        """Blue is always live; switching to green is refused."""
        _single_color(self.env, color, "route traffic to")
        return self._record(self.values().blue_tag, "deployed", description)

    def rollback(self, revision: int, description: str) -> Revision:
        """Deploy again the tag that revision ``revision`` ran."""
        target = next((r for r in self.read_state()["revisions"] if r["number"] == revision), None)
        if target is None or not target.get("tag"):
            raise NotFound(f"{self.env.name} has no revision {revision} with a tag; see relui history")
        return self._up(target["tag"], f"Rollback to {revision}: {description}")

    def history(self) -> list[Revision]:
        """What relui deployed here, newest first."""
        return [_revision(r) for r in sorted(self.read_state()["revisions"], key=lambda r: -r["number"])]

    def _up(self, version: str, description: str) -> Revision:
        # A daemon that is down changed nothing: say so, and record no failed revision.
        self.require_daemon()
        try:
            self.compose_cmd(
                "up", "-d", "--wait", self.compose.service, timeout=self.env.deploy_timeout_seconds, tag=version
            )
        except PortError:
            self._record(version, "failed", description)
            raise
        return self._record(version, "deployed", description)

    def _record(self, tag: str | None, status: str, description: str) -> Revision:
        with self.transaction() as state:
            revisions = state["revisions"]
            if status == "deployed":
                for rev in revisions:
                    if rev["status"] == "deployed":
                        rev["status"] = "superseded"
            new = {
                "number": (revisions[-1]["number"] if revisions else 0) + 1,
                "status": status,
                "description": description,
                "updated": datetime.now(UTC).isoformat(),
                "tag": tag,
            }
            revisions.append(new)
        return _revision(new)


def diagnose(env: EnvironmentConfig) -> list[Finding]:
    """``relui doctor``: the docker CLI, its daemon and the compose plugin answer."""
    port = ComposeCluster(env)
    try:
        server = port.docker("version", "--format", "{{.Server.Version}}").strip()
        plugin = port.docker("compose", "version", "--short").strip()
    except PortError as exc:
        detail, _, fix = str(exc).partition("; ")
        return [Finding("docker compose", False, detail, fix or "install Docker with the compose plugin")]
    return [Finding("docker compose", True, f"Docker {server}, Compose {plugin}, file {port.compose.file}")]
