"""The methods ``dataclasses`` writes at import, compiled once per install instead of at every start.

Every ``@dataclass`` class makes Python write the source of its
``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and
``__delattr__`` and compile it, at every start: for relui's 74 classes
(and Textual's) that compile was about a third of relui's import time and
a quarter of what relui added to a bare Textual app's first frame. Python
keeps a module's compiled code in ``__pycache__``; this keeps the compiled
code of those generated methods beside it, in
``relui/__pycache__/dataclass-code.<cache tag>.marshal``.

How, and why it cannot change what a class does:

- ``install`` puts ``exec`` into the ``dataclasses`` module's namespace,
  where it shadows the builtin. ``dataclasses`` calls ``exec`` with the
  source text it wrote (Python 3.11 to 3.14). For a text, the shadow looks
  up the code compiled from exactly that text, with exactly the flags the
  builtin would have used (the ``__future__`` flags of the calling code and
  the interpreter's optimisation level), and runs it with the builtin
  ``exec``. A text it has not seen is compiled as the builtin would compile
  it. Anything that is not a text goes straight to the builtin.
- The file is keyed by the interpreter's magic number and cache tag, as a
  ``.pyc`` is; it is read only when its owner is this user or root and no
  one else may write it and it is no symlink, and anything wrong with it (torn, garbage,
  another Python) makes it count as absent. A start without it is only
  slower.
- ``flush`` writes what this process compiled, beside what was there,
  through a temporary file and a rename, so a kill or a full disk never
  leaves a torn cache. It never raises, and writes nothing when Python
  writes no bytecode (``PYTHONDONTWRITEBYTECODE``, ``-B``) or the directory
  is not writable.
"""

from __future__ import annotations
import __future__

import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
import threading
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

FORMAT = b"relui-dataclass-code-1\n"
# A cache that only ever grows (classes change as relui does) is cut back to what this process used.
MAX_ENTRIES = 4096
FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

Key = tuple[str, int, int]  # source text, __future__ flags, optimisation level

_lock = threading.Lock()
_known: dict[Key, CodeType] = {}
_used: set[Key] = set()
_compiled = 0  # texts this process compiled itself: none, once the cache holds what a start needs
_unsaved = False
_path: Path | None = None


def cache_path() -> Path | None:
    """Where this interpreter's cache lives, or None when it keeps no compiled code (no cache tag)."""
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    return Path(__file__).resolve().parent / "__pycache__" / f"dataclass-code.{tag}.marshal"


def install(path: Path | None = None) -> None:
    """Read the cache and let ``dataclasses`` use it, for the rest of this process."""
    global _path, _compiled, _unsaved
    with _lock:
        _path = cache_path() if path is None else path
        _known.clear()
        _known.update(_read(_path))
        _used.clear()
        _compiled, _unsaved = 0, False
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def uninstall() -> None:
    """``dataclasses`` back on the builtin ``exec``, and the cache let go (unwritten texts with it)."""
    global _path, _unsaved
    vars(dataclasses).pop("exec", None)
    with _lock:
        _known.clear()
        _used.clear()
        _path, _unsaved = None, False


def compiled() -> int:
    """How many texts this process had to compile since ``install``."""
    return _compiled


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> None:
    """The builtin ``exec``, with a text's compile looked up instead of done again."""
    global _compiled, _unsaved
    if isinstance(source, str):
        caller = sys._getframe(1).f_code.co_flags & FUTURE_FLAGS
        key = (source, caller, sys.flags.optimize)
        code = _known.get(key)
        if code is None:
            code = compile(source, "<string>", "exec", flags=caller, dont_inherit=True)
            with _lock:
                _known[key] = code
                _compiled += 1
                _unsaved = True
        _used.add(key)
        source = code
    builtins.exec(source, globals, locals, **kwargs)


def _read(path: Path | None) -> dict[Key, CodeType]:
    """The cache at ``path``; empty when it is absent, not ours, or not exactly what this writes."""
    if path is None:
        return {}
    try:
        # Not through a symlink: one planted in a shared __pycache__ could point at any file the user owns.
        with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as file:
            stat = os.fstat(file.fileno())
            if stat.st_uid not in (0, os.getuid()) or stat.st_mode & 0o022:
                return {}
            data = file.read()
        head = MAGIC_NUMBER + FORMAT
        if not data.startswith(head):
            return {}
        loaded = marshal.loads(data[len(head) :])
    except Exception:  # noqa: BLE001 - any unreadable cache is no cache: the start is only slower
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {key: code for key, code in loaded.items() if _well_formed(key, code)}


def _well_formed(key: object, code: object) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(key[0], str)
        and isinstance(key[1], int)
        and isinstance(key[2], int)
        and isinstance(code, CodeType)
    )


def flush() -> None:
    """Write what this process compiled, if anything; never raises."""
    global _unsaved
    with _lock:
        if not _unsaved or _path is None or sys.dont_write_bytecode:
            return
        entries = dict(_known)
        if len(entries) > MAX_ENTRIES:
            entries = {key: code for key, code in entries.items() if key in _used}
        _unsaved = False
    tmp = _path.with_name(f"{_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        _path.parent.mkdir(exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as file:
            file.write(MAGIC_NUMBER + FORMAT + marshal.dumps(entries))
        os.replace(tmp, _path)
    except Exception:  # noqa: BLE001 - a cache that cannot be written costs the next start its compile, nothing more
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def prime(path: Path | None = None, packages: tuple[str, ...] = ("relui", "relui.screens", "relui.widgets")) -> int:
    """Import every module of relui with the cache installed and write it, bytecode setting or not.

    What ``compileall`` is to ``__pycache__``: for an install made with
    ``PYTHONDONTWRITEBYTECODE`` (``make bench`` primes it so). Returns how
    many compiled texts the cache holds.
    """
    global _unsaved
    import importlib
    import pkgutil

    install(path)
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__, f"{name}."):
            if not info.name.endswith(".__main__"):
                importlib.import_module(info.name)
    with _lock:
        _unsaved = True
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        flush()
    finally:
        sys.dont_write_bytecode = saved
    return len(_read(_path))


if __name__ == "__main__":
    print(f"relui: {prime()} compiled dataclass methods in {cache_path()}")
