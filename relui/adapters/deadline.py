"""A total wall-clock deadline and one error type around every port call.

Client libraries time out per socket read (requests, urllib3, botocore) or
not at all (a helm subprocess, a kubernetes watch), so a server that trickles
one byte a second keeps a call alive for minutes; and a malformed answer
surfaces as KeyError or TypeError deep inside an adapter. ``guard`` wraps a
port so that neither reaches a caller: each method runs in a daemon thread
(one of ``relui.daemon_pool``'s, used again) and the caller waits at most
the method's deadline (``SourceUnavailable`` on expiry), and every exception
that is not already a ``PortError`` becomes one ``PortError`` line naming
the source, the call and the error.

Deadlines are real time (``time.monotonic`` inside ``Event.wait``), never the
world clock: a ManualClock in tests must not stretch or shrink them. A call
that outlives its deadline is abandoned, not stopped (Python cannot kill a
thread); its daemon thread never keeps the interpreter alive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from relui.daemon_pool import POOL
from relui.ports import PortError, SourceUnavailable

T = TypeVar("T")

# Cluster reads, lock calls, history, values, registry, backups, credentials.
DEFAULT_DEADLINE = 20.0
# Calls that change something or act (and smoke runs): always tried, even while
# a read of the same port is still stuck, so a rollback is never refused unasked.
ACTS = frozenset(
    {
        "deploy",
        "set_active",
        "rollback",
        "install",
        "acquire_lock",
        "release_lock",
        "add_tag",
        "create_snapshot",
        "send",
        "run",
    }
)
MAX_DETAIL = 300


def one_line(text: str) -> str:
    """Whitespace (newlines from tracebacks, HTML bodies) collapsed, cut to a readable length."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_DETAIL else line[: MAX_DETAIL - 3] + "..."


def call_with_deadline(
    call: Callable[[], T],
    deadline: float,
    source: str,
    what: str,
    abandoned: Callable[[threading.Event, SourceUnavailable], None] | None = None,
) -> T:
    """Run ``call`` in a daemon thread; its answer, or a PortError, within ``deadline`` seconds.

    ``what`` names the call (``metrics.current``) in the error lines.
    ``abandoned`` hears of a call left running past its deadline, with the
    event its thread sets when it finally ends.
    """
    done = threading.Event()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - carried to the caller's thread, judged there
            outcome.append((False, exc))
        finally:
            done.set()

    POOL.run(run, f"relui {source} {what}")
    if not done.wait(deadline):
        expired = SourceUnavailable(f"{source} did not answer within {deadline:.1f} s ({what})")
        if abandoned is not None:
            abandoned(done, expired)
        raise expired
    ok, answer = outcome[0]
    if ok:
        return cast(T, answer)
    if isinstance(answer, PortError):
        raise answer
    if isinstance(answer, Exception):
        detail = one_line(f"{type(answer).__name__}: {answer}").removesuffix(":")
        raise PortError(f"{source} failed ({what}): {detail}")
    # KeyboardInterrupt, SystemExit: not a source's failure, so not disguised as one.
    raise answer


class PortGuard:
    """Stands in for one port: every public method is called through ``call_with_deadline``.

    Forwarding goes through ``__getattr__``, so methods a port has beyond its
    Protocol (Prometheus ``rules_loaded``, ``max_sustained``) are guarded too,
    and ``getattr(port, "rules_loaded", None)`` still answers None where the
    adapter has no such method. Plain attributes are handed out unwrapped.

    While a read abandoned at its deadline is still running, further reads of
    the port fail at once with that read's error: the source is evidently
    still not answering, and asking again would pay the deadline again (in a
    status, a checklist and a dashboard refresh alike) and pile up threads.
    Once the stuck call ends, the port is asked again. Acts (``ACTS``) are
    always tried.
    """

    def __init__(
        self,
        target: object,
        source: str,
        port: str,
        deadlines: Mapping[str, float] | None = None,
        default: float = DEFAULT_DEADLINE,
    ) -> None:
        self._target = target
        self._source = source
        self._port = port
        self._deadlines = dict(deadlines or {})
        self._default = default
        self._stuck: tuple[threading.Event, SourceUnavailable] | None = None

    def deadline(self, method: str) -> float:
        """Seconds a call of ``method`` may take in total."""
        return self._deadlines.get(method, self._default)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name.startswith("_") or not callable(attr):
            return attr
        deadline, what = self.deadline(name), f"{self._port}.{name}"
        acts = name in ACTS

        def guarded(*args: Any, **kwargs: Any) -> Any:
            stuck = self._stuck
            if not acts and stuck is not None and not stuck[0].is_set():
                raise SourceUnavailable(f"{stuck[1]}; still waiting on that call")
            return call_with_deadline(
                lambda: attr(*args, **kwargs), deadline, self._source, what, None if acts else self._abandoned
            )

        guarded.__name__ = name
        guarded.__doc__ = getattr(attr, "__doc__", None)
        return guarded

    def _abandoned(self, done: threading.Event, expired: SourceUnavailable) -> None:
        self._stuck = (done, expired)

    def __repr__(self) -> str:
        return f"PortGuard({self._target!r})"


def guard(
    target: T,
    source: str,
    port: str,
    *,
    deadlines: Mapping[str, float] | None = None,
    default: float = DEFAULT_DEADLINE,
) -> T:
    """``target`` behind a PortGuard, typed as the port it stands in for.

    ``source`` is what a person recognises (``prometheus``, ``helm``), ``port``
    the port's field name (``metrics``); ``deadlines`` overrides the default
    per method name.
    """
    return cast(T, PortGuard(target, source, port, deadlines, default))


class NotifierGuard(PortGuard):
    """A guarded Notifier whose ``send`` reports a dark channel as a failure line, as the port promises.

    ``Notifier.send`` answers one line per channel that failed; a webhook that
    hangs is such a failure, and raising instead would fail a rollback that
    already happened.
    """

    def __getattr__(self, name: str) -> Any:
        method = super().__getattr__(name)
        if name != "send" or not callable(method):
            return method

        def send(subject: str, body: str) -> list[str]:
            try:
                return cast(list[str], method(subject, body))
            except PortError as exc:
                return [str(exc)]

        return send
