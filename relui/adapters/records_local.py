"""Records in the state dir: ``journal.jsonl``, TOML documents, an flock as the action mutex.

This is what relui always did, behind the ``Records`` port. The journal is
one file for every environment: a record is one complete line written with
one ``write`` under the file's flock and fsynced; a write that fails is cut
back off so no partial line stays, and a tail torn by a crash is ended
before the next record so the two never merge. Documents are files under
the state dir, replaced atomically; their version token is the SHA-256 of
the content. The action mutex of an environment is an flock on
``actions/<env>.lock``, so a holder that dies lets go at once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from relui.ports import ABSENT, WATCH_SECONDS, Document, Lease, RecordConflict, RecordsError, StoredRecord
from relui.statedir import atomic_write, exclusive, read_file

JOURNAL = "journal.jsonl"
# How long an action waits for a reader's probe of the action mutex to let go (acquire_lease).
PROBE_GRACE_SECONDS = 0.25


class LocalRecords:
    """The state dir as a records store (shared by every local environment of it)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.journal_path = state_dir / JOURNAL
        self.where = str(state_dir)
        self._held: dict[str, int] = {}
        self._held_guard = threading.Lock()
        self._seen = SeenLines()

    # -- journal ----------------------------------------------------------

    def append(self, env: str, build: Callable[[StoredRecord | None], tuple[int, bytes]]) -> StoredRecord:
        """Append one line under the journal's flock: the tail read and the write are one step."""
        with self._failing(self.journal_path, "write"):
            self.state_dir.mkdir(parents=True, exist_ok=True)
            with exclusive(self.journal_path):
                created = not self.journal_path.exists()
                fd = os.open(self.journal_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    lines = _lines(_read_fd(fd))
                    tail = _newest_of(lines, env, self.journal_path)
                    _, data = build(tail)
                    line = _write_line(fd, data)
                finally:
                    os.close(fd)
                if created:
                    _fsync_dir(self.state_dir)
        return StoredRecord(f"{self.journal_path} line {line}", data, line)

    def records(self, env: str | None, whole: bool = True) -> tuple[StoredRecord, ...]:
        """Every line of the journal file (all environments: the caller filters), with its number.

        Watching (``whole`` False), the last whole read is served for up to
        ``WATCH_SECONDS`` while the file's stat is unchanged
        (``SeenLines`` says why that is sound); any write reads it whole.
        """
        with self._failing(self.journal_path, "read"):
            try:
                fd = os.open(self.journal_path, os.O_RDONLY)
            except FileNotFoundError:
                return ()
            try:
                reuse = SeenLines.REUSE_SECONDS if whole else WATCH_SECONDS
                return self._seen.records(fd, self.journal_path, reuse)
            finally:
                os.close(fd)

    # -- documents --------------------------------------------------------

    def _path(self, name: str) -> Path:
        path = self.state_dir / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise RecordsError(self.where, f"document name {name!r} leaves the state dir")
        return path

    def read_document(self, name: str) -> Document | None:
        """The file's bytes and their hash, or None when there is no file."""
        path = self._path(name)
        with self._failing(path, "read"):
            try:
                data = read_file(path)
            except FileNotFoundError:
                return None
        return Document(data, _digest(data))

    def write_document(self, name: str, data: bytes, expect: str | None = None) -> Document:
        """Replace the file atomically; with ``expect``, under its flock and only over that version."""
        path = self._path(name)
        with self._failing(path, "write"):
            if expect is None:
                atomic_write(path, data)
                return Document(data, _digest(data))
            with exclusive(path):
                try:
                    current: str | None = _digest(read_file(path))
                except FileNotFoundError:
                    current = None
                if (expect == ABSENT and current is not None) or (expect != ABSENT and current != expect):
                    raise RecordConflict(self.where, f"{name} changed since it was read")
                if expect == ABSENT:
                    _create(path, data)
                else:
                    atomic_write(path, data)
        return Document(data, _digest(data))

    def delete_document(self, name: str) -> None:
        """Remove the file, if there is one."""
        path = self._path(name)
        with self._failing(path, "write"):
            path.unlink(missing_ok=True)

    def documents(self, prefix: str) -> list[str]:
        """Files under ``prefix`` (a directory of the state dir), as names relative to it."""
        directory = self._path(prefix)
        with self._failing(directory, "read"):
            if not directory.is_dir():
                return []
            return sorted(
                str(path.relative_to(self.state_dir))
                for path in directory.rglob("*")
                if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".lock")
            )

    # -- the action mutex -------------------------------------------------

    def acquire_lease(self, env: str, holder: str, host: str, pid: int) -> Lease | None:
        """An flock on ``actions/<env>.lock``, held until released or the process ends.

        Taken again for up to ``PROBE_GRACE_SECONDS`` when busy: a reader asking
        whether an action runs (status, the dashboard) holds the same flock for
        a moment, and an action starting then was refused as "busy", naming
        whatever dead action the marker still held. A running action holds it
        for its whole run, so the grace only delays that refusal.
        """
        path = self.state_dir / "actions" / f"{env}.lock"
        with self._failing(path, "lock"):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            deadline = time.monotonic() + PROBE_GRACE_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        return None
                    time.sleep(0.01)
                except OSError:
                    os.close(fd)
                    raise
        token = f"{env}:{fd}"
        with self._held_guard:
            self._held[token] = fd
        return Lease(env, holder, host, pid, float("inf"), token)

    def renew_lease(self, lease: Lease) -> Lease:
        """An flock needs no renewal while its process lives."""
        return lease

    def release_lease(self, lease: Lease) -> None:
        """Unlock and close the lock file."""
        with self._held_guard:
            fd = self._held.pop(lease.token, None)
        if fd is not None:
            os.close(fd)

    def lease(self, env: str) -> Lease | None:
        """A Lease (holder unknown here) while some process holds the flock; the marker says who."""
        mutex = self.state_dir / "actions" / env
        with self._failing(mutex, "lock"), exclusive(mutex, blocking=False) as free:
            return None if free else Lease(env, "", "", 0, float("inf"))

    def probe(self) -> str:
        """The state dir is always there to ask; say which one."""
        return f"local state dir {self.state_dir}"

    @contextmanager
    def _failing(self, path: Path, what: str) -> Iterator[None]:
        """Any OSError of the block as one RecordsError line naming the path."""
        try:
            yield
        except OSError as exc:
            raise RecordsError(str(path), exc.strerror or str(exc)) from None

    def __repr__(self) -> str:
        return f"LocalRecords({self.state_dir})"


def _read_fd(fd: int) -> bytes:
    """The file's bytes as far as its size says (a device such as /dev/full has none to read)."""
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


class SeenLines:
    """The journal's complete lines as last read: a file that still starts with them is split only past them.

    The dashboard reads the journal of every environment each refresh; a
    year's file is tens of thousands of lines, and splitting it again each
    time cost more than everything else a refresh does. When the file is
    read, what was split before is reused only while the file still starts
    with exactly those bytes (compared byte for byte, whatever its size or
    times say), so a line edited, removed or reordered anywhere is split
    again from the start, as the chain check must see it. The price is a
    copy of the bytes read, held between reads. Whether to read at all is
    the one thing the file's stat decides, as below.

    The columns of one refresh read the same file, their polls spread over
    the refresh (at the shipped 2 s and three environments, 0.67 s apart): a
    read less than ``REUSE_SECONDS`` after a whole read is served that read's
    records when the file's size, times, inode and device are all unchanged
    and the file had been quiet for ``QUIET_SECONDS`` when it was read. The
    kernel sets ctime on every write and nobody can set it back, so any write
    after a read of a quiet file leaves a ctime newer than the one read, even
    on a file system whose clock ticks coarsely; a file written moments
    before is read whole every time. The window spans one refresh's columns
    and is shorter than the refresh, so each refresh reads the file whole
    once. Unchanged, the records are the same tuple each time (callers
    compare it by identity before anything else).

    A dashboard watching (``Records.records`` with ``whole`` False) is
    served the same way for up to ``ports.WATCH_SECONDS``: an idle TUI over a
    year's journal no longer reads megabytes every refresh to find nothing
    new. A guard, ``verify`` and every command read with ``REUSE_SECONDS``.
    """

    # Over the last column's offset at the shipped refresh (2 s x 2/3), under the refresh itself.
    REUSE_SECONDS = 1.75
    QUIET_SECONDS = 1.0

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._prefix = b""  # the file's bytes up to and including the last newline read
        self._newlines = 0
        self._records: tuple[StoredRecord, ...] = ()
        self._stat: tuple[int, ...] | None = None  # the file's stat at the last whole read, if it was quiet
        self._read_at = 0.0

    def records(self, fd: int, path: Path, reuse_seconds: float = REUSE_SECONDS) -> tuple[StoredRecord, ...]:
        """Every complete, non-blank line of the file as a record, numbered as ``_lines`` numbers them.

        ``reuse_seconds``: how long after a whole read of the unchanged file its records may be served.
        """
        st, now = os.fstat(fd), time.time_ns()
        stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
        with self._guard:
            if stat == self._stat and time.monotonic() - self._read_at < reuse_seconds:
                return self._records
        raw = _read_fd(fd)
        end = raw.rfind(b"\n") + 1
        with self._guard:
            # The stat taken before the read: a write during it leaves the next read a whole one.
            quiet = now - st.st_ctime_ns >= self.QUIET_SECONDS * 1e9
            self._stat, self._read_at = (stat if quiet else None), time.monotonic()
            if len(self._prefix) > end or not raw.startswith(self._prefix):
                self._prefix, self._newlines, self._records = b"", 0, ()
            start = len(self._prefix)
            if end > start:
                pieces = raw[start:end].split(b"\n")[:-1]
                first = self._newlines + 1
                self._records = self._records + tuple(
                    StoredRecord(f"{path} line {n}", data, n) for n, data in enumerate(pieces, first) if data.strip()
                )
                self._prefix, self._newlines = raw[:end], self._newlines + len(pieces)
            return self._records


def _lines(raw: bytes) -> list[tuple[int, bytes]]:
    """(line number, bytes) of every line that is not blank.

    A last piece without its newline is not a line yet: another process's
    append still under way (readers take no lock, and may see half of it),
    or one cut by a crash, which the next append ends with a newline and so
    makes a line, reported as unreadable. Read as a line, a half-written
    record made a dashboard report the journal torn while nothing was wrong.
    """
    return [(n, data) for n, data in enumerate(raw.split(b"\n")[:-1], start=1) if data.strip()]


def _newest_of(lines: list[tuple[int, bytes]], env: str, path: Path) -> StoredRecord | None:
    for number, data in reversed(lines):
        try:
            raw = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(raw, dict) and raw.get("env") == env:
            return StoredRecord(f"{path} line {number}", data, number)
    return None


def _write_line(fd: int, data: bytes) -> int:
    """Append ``data`` as one line with one write and fsync; cut back on failure. Returns its line number."""
    size = os.fstat(fd).st_size
    existing = os.pread(fd, size, 0) if size else b""
    # A crash mid-write leaves a tail without "\n"; end it so the next record is not glued to it.
    torn = bool(size) and not existing.endswith(b"\n")
    payload = (b"\n" if torn else b"") + data + b"\n"
    try:
        written = os.write(fd, payload)
        if written != len(payload):
            raise OSError(errno.EFBIG, f"short write ({written} of {len(payload)} bytes, file size limit?)")
        os.fsync(fd)
    except OSError:
        _truncate_quietly(fd, size)
        raise
    return existing.count(b"\n") + (2 if torn else 1)


def _create(path: Path, data: bytes) -> None:
    """Write a new file under a temporary name, then link it in: fails rather than replaces."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _digest(data: bytes) -> str:
    import hashlib  # here, not at the top: loading OpenSSL is 3.5 ms of start-up, and a dashboard's reading needs none

    return hashlib.sha256(data).hexdigest()


def _truncate_quietly(fd: int, size: int) -> None:
    """Cut a failed append back off; a device such as /dev/full cannot be truncated, and has nothing to cut."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
