"""The state directory: where the journal, checklists, incidents and sandbox world live.

Writers that share a file across processes use ``exclusive`` (an flock on a
sibling ``.lock`` file) and ``atomic_write`` (write, fsync, rename), so a
reader never sees half a file and two writers never lose each other's work.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The most relui reads of one file it keeps or is pointed at (a config, a record, the sandbox world):
# each is kilobytes, the sandbox world at 500 pods a color under a megabyte.
READ_LIMIT = 16 * 1024 * 1024
_KINDS = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFIFO: "a FIFO"}
_KINDS[stat.S_IFSOCK] = "a socket"
# How long a config read from a pipe may take to arrive whole: generating one (envsubst, sops) takes moments.
PIPE_SECONDS = 10.0


class UnreadableFile(OSError):
    """A file relui will not read: no regular file, or larger than ``READ_LIMIT``."""


def read_file(path: Path, limit: int = READ_LIMIT, pipes: bool = False) -> bytes:
    """The bytes of the regular file at ``path``; ``UnreadableFile`` for a device, a FIFO or one over ``limit``.

    ``Path.read_bytes`` reads what it is given until it ends: ``--config
    /dev/zero`` filled memory until the kernel killed relui, and a state file
    that was a FIFO or ``/dev/full`` held the state dir for its whole deadline,
    then blamed the journal. Opened non-blocking, so a FIFO with no writer is
    refused rather than waited on; a directory is ``IsADirectoryError`` as before.
    ``pipes``: a FIFO or pipe is read to its end after all (``--config <(envsubst < relui.toml)``),
    if it ends within ``PIPE_SECONDS``: a writer that keeps it open and says nothing is refused.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        pipe = pipes and stat.S_ISFIFO(info.st_mode)
        if not pipe and not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "no regular file")
            raise UnreadableFile(errno.EINVAL, f"{kind}, not a regular file", str(path))
        return _read_all(fd, limit, time.monotonic() + PIPE_SECONDS if pipe else None)
    finally:
        os.close(fd)


def _read_all(fd: int, limit: int, deadline: float | None) -> bytes:
    """The bytes to the end (or ``limit``); with a ``deadline`` (a pipe), waiting for them until then at most."""
    chunks: list[bytes] = []
    size = 0
    poller = select.poll()
    if deadline is not None:
        poller.register(fd, select.POLLIN)
    while size <= limit:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise UnreadableFile(
                    errno.ETIMEDOUT,
                    f"a pipe that did not end within {PIPE_SECONDS:.0f} s; write the config to a file, "
                    "or let the command writing it finish",
                )
        try:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        except BlockingIOError:  # a pipe polled readable with nothing yet to read: wait again
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise UnreadableFile(errno.EFBIG, f"larger than {limit // (1 << 20)} MiB, the most relui reads of one file")


def resolve_state_dir(explicit: str | None = None) -> Path:
    """--state-dir, else $RELUI_STATE_DIR, else the XDG state dir."""
    if explicit:
        return Path(explicit)
    if os.environ.get("RELUI_STATE_DIR"):
        return Path(os.environ["RELUI_STATE_DIR"])
    xdg = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return xdg / "relui"


def operator_name() -> str:
    """Who is acting: $RELUI_USER, else $SUDO_USER, else $USER."""
    for var in ("RELUI_USER", "SUDO_USER", "USER"):
        value = os.environ.get(var)
        if value:
            return value
    return "unknown"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name relui records (a line break, an escape, a space), or None.

    Every record and screen shows it: a newline in it forged checklist lines
    for the next reader, an escape sequence reached their terminal raw.
    """
    if not name.isprintable() or any(ch.isspace() for ch in name):
        return f"{name!r} holds spaces or control characters"
    if len(name) > 64:
        return f"{name[:20]!r}... is longer than 64 characters"
    return None


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def exclusive(path: Path, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive flock on ``path.lock`` for the block.

    With ``blocking=False`` it yields False at once when another process
    holds the lock, instead of waiting.
    """
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        flags = fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
