"""A class built from the compiled-once dataclass code is the class Python would build, and a bad cache is no cache.

``relui.startup_code`` keeps the methods ``dataclasses`` generates,
compiled, beside ``__pycache__``. What an operator would notice if it went
wrong: a class that behaves differently (a frozen record that can be
changed, an equality that lies), a start that crashes on a torn or hostile
cache file, a cache written half. Each is tried here, and a fresh
interpreter shows that a start with the cache compiles nothing.
"""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, InitVar, dataclass, field
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any, ClassVar

import pytest

from relui import startup_code
from tests.conftest import ROOT

GENERATED = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


@pytest.fixture(autouse=True)
def builtin_exec_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Bytecode written, as a user's Python does (this suite may run with PYTHONDONTWRITEBYTECODE)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield
    startup_code.uninstall()


def make_classes() -> dict[str, type]:
    """The shapes relui's records take: frozen, defaults, factories, keyword-only, slots, post-init, init-vars."""

    @dataclass(frozen=True)
    class Pod:
        """A frozen record with a default."""

        name: str
        ready: bool
        restarts: int = 0

    @dataclass(frozen=True, kw_only=True, slots=True)
    class Intent:
        """Keyword-only, slotted, a factory, a field kept out of equality."""

        env: str
        version: str
        notes: tuple[str, ...] = ()
        tags: list[str] = field(default_factory=list)
        at: float = field(default=0.0, compare=False)
        KIND: ClassVar[str] = "intent"

    @dataclass
    class Tally:
        """Mutable, with an init-only value and a post-init."""

        start: InitVar[int]
        count: int = 0

        def __post_init__(self, start: int) -> None:
            self.count += start

    @dataclass(frozen=True, eq=False)
    class Handle:
        """Frozen, identity equality."""

        path: str

    return {"Pod": Pod, "Intent": Intent, "Tally": Tally, "Handle": Handle}


def code_of(cls: type, name: str) -> tuple[Any, ...] | None:
    """What a generated method is made of, to compare one build with another."""
    method = vars(cls).get(name)
    if method is None or not hasattr(method, "__code__"):
        return None
    code = method.__code__
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_freevars, code.co_flags)


def behaviour(classes: dict[str, type]) -> list[object]:
    """What a caller sees of the classes: values, equality, hashes, reprs, and what they refuse."""
    pod, intent, tally, handle = (classes[n] for n in ("Pod", "Intent", "Tally", "Handle"))
    seen: list[object] = []
    a, b = pod("shop-1", True), pod("shop-1", True)
    seen += [repr(a), a == b, hash(a) == hash(b), a == pod("shop-1", False), dataclasses.replace(a, restarts=2)]
    try:
        a.ready = False  # type: ignore[misc]
    except FrozenInstanceError as exc:
        seen.append(type(exc).__name__)
    one = intent(env="prod", version="1.5.1", at=1.0)
    seen += [repr(one), one == intent(env="prod", version="1.5.1", at=2.0), one.tags, dataclasses.fields(one)]
    with pytest.raises(TypeError):
        intent("prod", "1.5.1")  # keyword-only
    seen += [tally(start=3).count, repr(tally(2, 5))]
    h = handle("/tmp/x")
    seen += [h == handle("/tmp/x"), h == h]
    return [repr(s) for s in seen]


def test_a_class_built_from_the_cache_is_the_class_python_builds(tmp_path: Path) -> None:
    """Same method code, same behaviour; the second build compiles nothing."""
    plain = make_classes()
    cache = tmp_path / "dataclass-code.marshal"
    startup_code.install(cache)
    learned = make_classes()
    assert startup_code.compiled() > 0
    startup_code.flush()
    assert cache.exists()
    startup_code.uninstall()

    startup_code.install(cache)
    cached = make_classes()
    assert startup_code.compiled() == 0, "every text the second build needed was in the cache"
    for name, cls in plain.items():
        for method in GENERATED:
            assert code_of(learned[name], method) == code_of(cls, method), (name, method)
            assert code_of(cached[name], method) == code_of(cls, method), (name, method)
    assert behaviour(cached) == behaviour(plain)
    assert behaviour(learned) == behaviour(plain)


def test_a_text_compiles_with_the_future_flags_of_the_code_that_runs_it(tmp_path: Path) -> None:
    """This module has ``from __future__ import annotations``: the builtin would make annotations strings."""
    startup_code.install(tmp_path / "cache")
    text = "def f(x: int) -> list[int]:\n    return [x]\n"
    by_builtin: dict[str, Any] = {}
    builtins.exec(text, by_builtin)
    for _ in range(2):  # compiled, then looked up
        by_shadow: dict[str, Any] = {}
        startup_code._exec(text, by_shadow)
        assert by_shadow["f"].__annotations__ == by_builtin["f"].__annotations__ == {"x": "int", "return": "list[int]"}
    assert startup_code.compiled() == 1


def test_what_is_not_a_text_goes_to_the_builtin_unchanged(tmp_path: Path) -> None:
    startup_code.install(tmp_path / "cache")
    ns: dict[str, Any] = {}
    startup_code._exec(compile("y = 41 + 1", "<test>", "exec"), ns)
    assert ns["y"] == 42
    assert startup_code.compiled() == 0


def write_cache(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.write_bytes(data)
    path.chmod(mode)


def a_good_cache(path: Path) -> bytes:
    startup_code.install(path)
    make_classes()
    startup_code.flush()
    startup_code.uninstall()
    return path.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        "torn",
        "garbage",
        "another-python",
        "not-a-dict",
        "wrong-entries",
        "empty",
        "group-writable",
        "someone-else's",
        "a-symlink",
    ],
)
def test_a_damaged_or_foreign_cache_is_no_cache(tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed mid-write, overwritten with garbage, left by another Python or user: the start only compiles again."""
    cache = tmp_path / "dataclass-code.marshal"
    good = a_good_cache(cache)
    head = MAGIC_NUMBER + startup_code.FORMAT
    if damage == "torn":
        write_cache(cache, good[: len(good) // 2])
    elif damage == "garbage":
        write_cache(cache, head + os.urandom(4096))
    elif damage == "another-python":
        write_cache(cache, bytes([MAGIC_NUMBER[0] ^ 1]) + good[1:])
    elif damage == "not-a-dict":
        write_cache(cache, head + marshal.dumps([1, 2, 3]))
    elif damage == "wrong-entries":
        # The right keys, each with a text where its code should be, and a key of the wrong shape.
        entries: dict[object, object] = {key: "pass" for key in marshal.loads(good[len(head) :])}
        entries[7] = compile("", "", "exec")
        write_cache(cache, head + marshal.dumps(entries))
    elif damage == "empty":
        write_cache(cache, b"")
    elif damage == "group-writable":
        cache.chmod(0o664)
    elif damage == "a-symlink":
        real = tmp_path / "elsewhere.marshal"
        cache.rename(real)
        cache.symlink_to(real)
    elif damage == "someone-else's":
        if os.geteuid() == 0:
            os.chown(cache, 65534, 65534)
        else:
            monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
    startup_code.install(cache)
    built = make_classes()
    assert startup_code.compiled() > 0, "nothing may come from a cache that is damaged or not ours"
    assert behaviour(built) == behaviour(make_classes())


def test_a_write_that_fails_leaves_the_old_cache_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk at the rename: flush says nothing, the last good cache stays, nothing half-written is left."""
    cache = tmp_path / "dataclass-code.marshal"
    good = a_good_cache(cache)
    startup_code.install(cache)

    @dataclass(frozen=True)
    class New:
        """A class the cache has not seen."""

        field_no_one_had: int

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    startup_code.flush()
    assert cache.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache.name]


def test_a_cache_that_cannot_be_written_costs_nothing_but_the_next_compile(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    startup_code.install(blocker / "__pycache__" / "dataclass-code.marshal")  # its parent cannot be made
    make_classes()
    startup_code.flush()
    assert blocker.read_text() == ""


def test_nothing_is_written_when_python_writes_no_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "dataclass-code.marshal"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    startup_code.install(cache)
    make_classes()
    startup_code.flush()
    assert not cache.exists()


def test_uninstall_puts_dataclasses_back_on_the_builtin(tmp_path: Path) -> None:
    startup_code.install(tmp_path / "cache")
    assert vars(dataclasses)["exec"] is startup_code._exec
    startup_code.uninstall()
    assert "exec" not in vars(dataclasses)
    make_classes()
    assert startup_code.compiled() == 0


def test_a_primed_start_compiles_no_dataclass_method(tmp_path: Path) -> None:
    """In fresh interpreters: prime writes the cache; a TUI start's imports then compile nothing.

    The imports are those before relui's first frame (relui.cli, relui.app,
    the readings), with Textual's among them.
    """
    cache = tmp_path / "dataclass-code.marshal"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def python(script: str) -> subprocess.CompletedProcess[str]:
        head = f"from pathlib import Path\nfrom relui import startup_code\nCACHE = Path({str(cache)!r})\n"
        argv = [sys.executable, "-c", head + script]
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    primed = python("print(startup_code.prime(CACHE))")
    assert primed.returncode == 0, primed.stderr
    assert int(primed.stdout) > 400
    started = python(
        "startup_code.install(CACHE)\n"
        "import relui.cli, relui.app, relui.screens.reading\n"
        "print(startup_code.compiled())"
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "0"
