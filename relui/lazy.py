"""Adapters built on first use, so a command pays only for the environments it touches.

Building an environment's ports imports its client libraries (kubernetes,
boto3, the Prometheus client) and makes their sessions: ``relui calendar``
touches no environment and ``relui status qa`` one, yet both used to build
every environment's adapters first. ``LazyEnvs`` holds a builder per
environment and builds an environment the first time it is asked for;
``LazyPort`` does the same for one port (a records store on S3). Building
does no IO (adapters connect on their first call), so it cannot hang.
Both build once, whichever thread asks first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class LazyEnvs(MutableMapping[str, T], Generic[T]):
    """Environment name to its ports, each built by its builder when first looked up.

    The names are known from the start, so iterating, ``len`` and ``in``
    build nothing; ``items()`` and ``values()`` build every environment,
    as a command over all of them needs.
    """

    def __init__(self, builders: dict[str, Callable[[], T]]) -> None:
        self._builders = dict(builders)
        self._built: dict[str, T] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> T:
        built = self._built.get(name)
        if built is not None:
            return built
        with self._lock:
            if name not in self._built:
                self._built[name] = self._builders[name]()
            return self._built[name]

    def __setitem__(self, name: str, ports: T) -> None:
        with self._lock:
            self._built[name] = ports
            self._builders.setdefault(name, lambda: ports)

    def __delitem__(self, name: str) -> None:
        with self._lock:
            del self._builders[name]
            self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._builders))

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def __len__(self) -> int:
        return len(self._builders)

    def built(self) -> list[str]:
        """The environments built so far, in config order (what a test checks was left unbuilt)."""
        return [name for name in self._builders if name in self._built]


class LazyPort:
    """Stands in for one adapter; the adapter is built on the first attribute asked of it."""

    def __init__(self, build: Callable[[], object], name: str) -> None:
        self._build = build
        self._name = name
        self._target: object | None = None
        self._lock = threading.Lock()

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._adapter(), attr)

    def _adapter(self) -> object:
        with self._lock:
            if self._target is None:
                self._target = self._build()
            return self._target

    def __repr__(self) -> str:
        return f"LazyPort({self._name}, built={self._target is not None})"
