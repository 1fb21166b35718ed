"""One look at the world per decision: each read port call answered once.

Deciding an action reads the release history, the pods, the metrics and the
snapshots from several places (guards, checklist, readiness). On a real
environment each read is a helm subprocess or an API call, and a source that
is down would time out once per place. ``read_once`` gives a Context whose
ports answer every read, or raise its error, once; writes are not offered.

A source that did not answer (``SourceUnavailable``) is dark for the rest of
the decision: every further read of that port, whatever its method or
arguments, raises the same error at once, so a hung source costs its
deadline once per decision rather than once per query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, TypeVar, cast

from relui.lazy import LazyEnvs
from relui.ports import EnvPorts, Ports, SourceUnavailable
from relui.services.context import Context

# The read methods of every port; nothing else passes through a ReadOnce.
READS = frozenset(
    {
        "color_states",
        "observed_active_color",
        "warning_events",
        "lock",
        "values",
        "history",
        "kinds",
        "current",
        "series",
        "rules_loaded",
        "max_sustained",
        "image_exists",
        "recent_tags",
        "latest_snapshot",
        "check",
        "run",
    }
)
# Answered from config, without asking the source, so a dark source still answers them.
LOCAL_READS = frozenset({"kinds"})
T = TypeVar("T")


class ReadOnce:
    """Wraps a port: each read (by method and arguments) is done once, its answer or error kept.

    After one read found the source dark, every read of it raises that error.
    """

    def __init__(self, target: object) -> None:
        self._target = target
        self._answers: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        self._dark: SourceUnavailable | None = None

    def __getattr__(self, name: str) -> Any:
        if name not in READS:
            raise AttributeError(f"{name} is not a read; a decision's context cannot act")
        method = getattr(self._target, name)
        return self._once(name, method)

    def _once(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def read(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._answers:
                if self._dark is not None and name not in LOCAL_READS:
                    raise self._dark
                try:
                    self._answers[key] = (True, method(*args, **kwargs))
                except SourceUnavailable as exc:
                    self._answers[key] = (False, exc)
                    self._dark = exc
                except Exception as exc:  # noqa: BLE001 - kept and raised again to every asker
                    self._answers[key] = (False, exc)
            ok, answer = self._answers[key]
            if not ok:
                raise answer
            return answer

        return read


def once(port: T) -> T:
    """``port`` behind a ReadOnce, typed as the port (its writes are not offered)."""
    return cast(T, ReadOnce(port))


def read_once(ctx: Context) -> Context:
    """The same Context, its ports answering each read once (for deciding, never for acting)."""
    source = ctx.ports.envs

    def builder(name: str) -> Callable[[], EnvPorts]:
        return lambda: EnvPorts(**_wrapped(source[name]))

    # Only the environments the decision reads are built (and wrapped).
    envs = LazyEnvs({name: builder(name) for name in source})
    return replace(ctx, ports=Ports(clock=ctx.ports.clock, notifier=ctx.ports.notifier, envs=envs))


def _wrapped(env: EnvPorts) -> dict[str, Any]:
    # A ReadOnce stands in for each port: it offers the port's reads, typed as the port.
    ports = {f.name: getattr(env, f.name) for f in fields(env)}
    return {name: None if port is None else cast(Any, ReadOnce(port)) for name, port in ports.items()}
