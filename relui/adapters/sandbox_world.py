"""The sandbox world's persistent state: one JSON file in the state dir.

Several CLI runs and TUIs share one world, so every change is a transaction:
an flock, a fresh read, the change, an atomic replace. The file holds only
facts (revisions, locks, tags, snapshots); pods and error rates are derived
from them and the clock in ``sandbox_sim``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from relui.config import Config
from relui.ports import Clock, PortError
from relui.statedir import atomic_write, exclusive, read_file

World = dict[str, Any]
SCHEMA = 1
DEFAULT_VERSION = "1.0.0"


def iso(when: datetime) -> str:
    """A timestamp as stored in the world file."""
    return when.isoformat()


def parse(text: str) -> datetime:
    """A stored timestamp back as a datetime."""
    return datetime.fromisoformat(text)


class SandboxWorld:
    """Load, seed and change the simulated world of every sandbox environment."""

    def __init__(self, state_dir: Path, config: Config, clock: Clock) -> None:
        self.path = state_dir / "sandbox" / "world.json"
        self.config = config
        self.clock = clock
        self._cache: tuple[int, int, World] | None = None

    def read(self) -> World:
        """The current world (seeded on first use). Do not mutate the result."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            with self.transaction() as world:
                return world
        key = (stat.st_mtime_ns, stat.st_size)
        if self._cache and self._cache[:2] == key:
            world = self._cache[2]
        else:
            world = self._load()
            self._cache = (*key, world)
        if self._missing_envs(world):
            with self.transaction() as fresh:
                return fresh
        return world

    @contextmanager
    def transaction(self) -> Iterator[World]:
        """Change the world under the lock; written back atomically on success."""
        with exclusive(self.path):
            world = self._load() if self.path.exists() else self._new()
            for name in self._missing_envs(world):
                world["envs"][name] = self._seed_env(name)
            yield world
            atomic_write(self.path, json.dumps(world, indent=1, sort_keys=True).encode())
            self._cache = None

    def env(self, world: World, name: str) -> dict[str, Any]:
        """One environment's part of the world."""
        return world["envs"][name]  # type: ignore[no-any-return]

    def _load(self) -> World:
        try:
            world: World = json.loads(read_file(self.path))
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            unreadable = f"sandbox world {self.path} is unreadable ({why})"
            raise PortError(f"{unreadable}; delete it to start a fresh world") from None
        if not isinstance(world, dict):
            damaged = f"sandbox world {self.path} is not what relui writes (not a JSON object)"
            raise PortError(f"{damaged}; delete it to start a fresh world")
        if world.get("schema") != SCHEMA:
            raise PortError(f"sandbox world {self.path} is from another relui version; delete it to start afresh")
        damage = _damage(world)
        if damage:
            raise PortError(
                f"sandbox world {self.path} is not what relui writes ({damage}); delete it to start a fresh world"
            )
        return world

    def _missing_envs(self, world: World) -> list[str]:
        return [e.name for e in self.config.environments if e.kind == "sandbox" and e.name not in world["envs"]]

    def _new(self) -> World:
        now = self.clock.now()
        tags = list(self.config.sandbox.registry_tags)
        for version in self.config.sandbox.live.values():
            if version not in tags:
                tags.insert(0, version)
        # Oldest first, a day apart, so "recent tags" has a believable order.
        registry = [
            {
                "tag": tag,
                "digest": f"sha256:{abs(hash_text(tag)):064x}"[:71],
                "pushed": iso(now - timedelta(days=len(tags) - i)),
            }
            for i, tag in enumerate(tags)
        ]
        return {"schema": SCHEMA, "created": iso(now), "envs": {}, "registry": registry}

    def _seed_env(self, name: str) -> dict[str, Any]:
        """A fresh environment: its live version on blue, ready for two hours."""
        now = self.clock.now()
        version = self.config.sandbox.live.get(name, DEFAULT_VERSION)
        since = now - timedelta(hours=2)
        values = {"active": "blue", "blue": version, "green": None, "blue_enabled": True, "green_enabled": False}
        return {
            "revisions": [
                {
                    "number": 1,
                    "status": "deployed",
                    "description": f"relui install {version} on blue",
                    "updated": iso(since),
                    "values": values,
                }
            ],
            "lock": None,
            "snapshots": [{"id": f"{name}-nightly", "created": iso(now - timedelta(hours=3)), "status": "available"}],
        }


def _damage(world: World) -> str | None:
    """Where a parsed world is not the shape relui writes (a hand edit), or None.

    The simulator reads these fields at every refresh: checked here, a damaged
    file is one line naming the field, not an AttributeError from deep inside.
    """
    envs, registry = world.get("envs"), world.get("registry")
    if not isinstance(envs, dict):
        return "'envs' is not a table"
    tagged = isinstance(registry, list) and all(isinstance(e, dict) and isinstance(e.get("tag"), str) for e in registry)
    if not tagged:
        return "'registry' is not a list of tagged images"
    for name, env in envs.items():
        if not isinstance(env, dict) or not isinstance(env.get("revisions"), list):
            return f"environment {name!r} has no list of revisions"
        for rev in env["revisions"]:
            if not (
                isinstance(rev, dict)
                and isinstance(rev.get("number"), int)
                and isinstance(rev.get("updated"), str)
                and isinstance(rev.get("values"), dict)
                and isinstance(rev.get("description", ""), str)
            ):
                return f"a revision of {name!r} is not a numbered, timed revision with values"
            try:
                parse(rev["updated"])
            except ValueError:
                return f"revision {rev['number']} of {name!r} has no ISO time"
        if "lock" not in env or not (env["lock"] is None or isinstance(env["lock"], dict)):
            return f"the lock of {name!r} is not a table"
        if not isinstance(env.get("snapshots", []), list):
            return f"the snapshots of {name!r} are not a list"
    return None


def hash_text(text: str) -> int:
    """A stable hash (Python's own is salted per process)."""
    value = 2166136261
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value
