"""relui beside a bare Textual app, in a real pty, against the budgets of issue 13.

Run with ``make bench`` (about three minutes). relui's sources are
byte-compiled first (``compileall`` over relui/, screens/, widgets/), as a
wheel install has them and as the bare app's Textual in site-packages has:
without it, with PYTHONDONTWRITEBYTECODE=1 and an editable install, every
start recompiles relui from source and the first frame compares unlike things.
The code its dataclasses generate is compiled once the same way
(``python -m relui.startup_code``), as an install's first start leaves it. Each figure is taken
from relui and from the bare app (``relui.bench_bare.BareApp``: three bordered
columns) in the same run, pairs interleaved or run side by side so both see
the same machine, and printed with its ratio, its budget and ``ok``/``OVER``.
The terminal is a pseudo-terminal with the window size set by TIOCSWINSZ, so
what is counted is what an SSH session would carry. The first full frame is
read off a terminal emulator (pyte) fed those bytes: the moment the screen
first showed what it settled on, not the last byte of start-up, which is
Textual's repaint of the same cells a tick later. Beside it, the CPU the
start took (every thread, until its output went quiet): the work, without
the time spent waiting for a core another tenant held.

It never fails a build: machines here are shared and noisy. Read the figures
and compare runs.
"""

from __future__ import annotations

import compileall
import fcntl
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relui.backends import build_ports  # noqa: E402
from relui.bench_bare import COMMAND_PLACEHOLDER  # noqa: E402
from relui.clock import ManualClock  # noqa: E402
from relui.config import load_config  # noqa: E402
from relui.domain import Color  # noqa: E402
from relui.services.journal_chain import digest, encode  # noqa: E402

CONFIG = ROOT / "config.toml"
PROBE = "from relui.bench_probe import main; raise SystemExit(main())"
IDLE_SECONDS = 20.0
# A year of a team's releases: about 33 actions a day over three environments, an intent and an outcome each.
YEAR_RECORDS = 24_000
WARMUP_SECONDS = 4.0
STALL_SECONDS = 20.0
KEY_PRESSES = 8
QUIET_SECONDS = 0.5
RIGHT = b"\x1b[C"
# Both apps draw the focused column with a heavy border: its line is the sign that a focus move reached the screen.
HEAVY = "━".encode()
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Where [tool.setuptools.package-dir] maps relui, relui.screens and relui.widgets from.
PACKAGE_DIRS = ("relui", "screens", "widgets")
# Typed into the ``:`` line one key at a time, a key every TYPE_INTERVAL: over 4 s of keys,
# so with the shipped 2 s refresh (the columns offset from each other) readings land mid-typing.
# It starts with "~", which neither screen draws, so even the first keys' echoes are told apart from other output.
TYPED = "~hotfix INC-4711 checkout 5xx after 1.5.1, rolling"
ECHO_TAIL = 12
TYPE_INTERVAL = 0.1
ECHO_TIMEOUT = 2.0
OPENED = COMMAND_PLACEHOLDER.split("(")[1].split(",")[0].encode()  # "Tab completes"


@dataclass
class Session:
    """One app in its own pty: every chunk it wrote, with the time it arrived."""

    name: str
    argv: list[str]
    size: tuple[int, int]
    env: dict[str, str]
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    started: float = 0.0

    def start(self) -> None:
        """Open a pty of the given size and run the app on it."""
        master, slave = os.openpty()
        cols, rows = self.size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.master = master
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env, cwd=ROOT, start_new_session=True
        )
        os.close(slave)
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.monotonic(), data))

    def since(self, start: float, end: float | None = None) -> list[tuple[float, bytes]]:
        """The chunks written from ``start`` (to ``end``)."""
        with self.lock:
            return [(t, d) for t, d in self.chunks if t >= start and (end is None or t < end)]

    def bytes_between(self, start: float, end: float) -> int:
        """How many bytes the app wrote in a window."""
        return sum(len(d) for _, d in self.since(start, end))

    def last_output(self) -> float:
        """When the app last wrote anything."""
        with self.lock:
            return self.chunks[-1][0] if self.chunks else self.started

    def peak_rss_mib(self) -> float:
        """The most memory the process has held resident so far (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"{self.name}: no VmHWM in /proc/{self.proc.pid}/status")

    def cpu_seconds(self) -> float:
        """User plus system CPU of the process so far, from /proc/<pid>/stat."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def settle(self, marker: bytes, count: int, timeout: float = 90.0) -> float:
        """Seconds from start to the first full frame: ``marker`` seen ``count`` times, then quiet."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if self.proc.poll() is not None:
                tail = b"".join(d for _, d in self.since(self.started))[-600:].decode(errors="replace")
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            seen = b"".join(d for _, d in self.since(self.started)).count(marker)
            quiet = time.monotonic() - self.last_output()
            if seen >= count and quiet >= QUIET_SECONDS:
                return self.last_output() - self.started
        raise RuntimeError(f"{self.name}: no settled frame within {timeout:.0f} s")

    def key_latency(self, key: bytes) -> float | None:
        """Seconds from a key to the first output that shows its effect; waits for quiet first."""
        waited = time.monotonic()
        while time.monotonic() - self.last_output() < 0.25 and time.monotonic() - waited < 3:
            time.sleep(0.02)
        with self.lock:
            seen = len(self.chunks)
        sent = time.monotonic()
        os.write(self.master, key)
        # Poll gently and look only at new chunks: the harness shares the cores with the app it times.
        while time.monotonic() - sent < 3:
            time.sleep(0.005)
            with self.lock:
                new, seen = self.chunks[seen:], len(self.chunks)
            for at, data in new:
                if HEAVY in data:
                    return at - sent
        return None

    def open_line(self) -> bool:
        """Press ``:`` and wait until the line shows its placeholder; then let it take focus."""
        with self.lock:
            seen = len(self.chunks)
        sent = time.monotonic()
        os.write(self.master, b":")
        buffer = b""
        while time.monotonic() - sent < 3:
            time.sleep(0.005)
            with self.lock:
                new, seen = self.chunks[seen:], len(self.chunks)
            buffer += b"".join(d for _, d in new)
            if OPENED in buffer:
                time.sleep(0.2)
                return True
        return False

    def typed_latencies(self, text: str) -> list[float | None]:
        """Type ``text`` a key every TYPE_INTERVAL; per key, seconds to the first output that echoes it.

        A key's echo is the typed text up to and including that key (its last
        ECHO_TAIL characters), which nothing else on screen shows; None if it
        never came (a lost key: every later tail then misses too). Keys are not
        held back for quiet, so refreshes land while typing.
        """
        latencies: list[float | None] = []
        with self.lock:
            seen = len(self.chunks)
        for i, char in enumerate(text):
            tail = text[max(0, i + 1 - ECHO_TAIL) : i + 1].encode()
            sent = time.monotonic()
            os.write(self.master, char.encode())
            buffer, found = b"", None
            while found is None and time.monotonic() - sent < ECHO_TIMEOUT:
                time.sleep(0.002)
                with self.lock:
                    new, seen = self.chunks[seen:], len(self.chunks)
                for at, data in new:
                    buffer += data
                    if tail in buffer:
                        found = at - sent
                        break
            latencies.append(found)
            time.sleep(max(0.0, sent + TYPE_INTERVAL - time.monotonic()))
        os.write(self.master, b"\x1b")  # Escape closes the line
        return latencies

    def stop(self) -> None:
        """End the app (it was started here, so it is ended by its own pid)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


@dataclass(frozen=True)
class World:
    """A config and a state dir for relui, with the pods it should show."""

    config: Path
    state: Path


def make_world(tmp: Path, name: str, replicas: int, both_colors: Sequence[str]) -> World:
    """The shipped config with ``replicas`` pods a color; ``both_colors`` envs run a candidate too.

    The candidate is deployed through the ports on a clock set ten minutes back,
    so its rollout is long over when relui first reads the world.
    """
    text = CONFIG.read_text().replace("replicas = 3", f"replicas = {replicas}")
    config = tmp / f"{name}.toml"
    config.write_text(text)
    state = tmp / f"state-{name}"
    loaded = load_config(config)
    ports = build_ports(loaded, state, ManualClock(datetime.now(UTC) - timedelta(minutes=10)))
    for env in both_colors:
        ports.envs[env].releases.deploy(Color.GREEN, "1.5.1", "bench: both colors up")
    return World(config, state)


def age_journal(world: World, records: int) -> None:
    """A year of releases in the world's journal: ``records`` records over 365 days, a valid chain per environment.

    Written as relui writes them (canonical JSON, ``seq`` and ``prev``), an
    action's intent then its outcome, round the three environments.
    """
    path = world.state / "journal.jsonl"
    if path.exists():
        raise RuntimeError(f"{path} exists: a year's journal goes into a state dir with none")
    start, step = datetime.now(UTC) - timedelta(days=365), timedelta(days=365) / records
    links: dict[str, tuple[int, str]] = {}
    lines: list[bytes] = []
    for n in range(records // 2):
        env, action = ("dev", "qa", "prod")[n % 3], ("deploy", "smoke", "cutover")[n // 3 % 3]
        version = f"1.{n // 9 % 40}.{n % 7}"
        for kind, status in (("intent", "started"), ("outcome", "ok")):
            seq, prev = links.get(env, (0, ""))
            record = {
                "id": f"{n:012x}", "kind": kind, "at": (start + step * len(lines)).isoformat(), "operator": "ops",
                "env": env, "action": action, "status": status, "version": version, "seq": seq + 1, "prev": prev,
            }  # fmt: skip
            lines.append(encode(record))
            links[env] = (seq + 1, digest(record))
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def relui_session(world: World, size: tuple[int, int], stall_log: Path | None = None) -> Session:
    """relui's TUI on a world, as the demo operator."""
    argv = [sys.executable, "-c", PROBE, "relui", "--config", str(world.config), "--state-dir", str(world.state)]
    return Session(f"relui {size[0]}x{size[1]}", argv, size, _env(stall_log))


def bare_session(size: tuple[int, int], stall_log: Path | None = None) -> Session:
    """The reference app."""
    return Session(f"bare {size[0]}x{size[1]}", [sys.executable, "-c", PROBE, "bare"], size, _env(stall_log))


def _env(stall_log: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "RELUI_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", RELUI_USER="ops")
    if stall_log is not None:
        env["RELUI_BENCH_STALL_LOG"] = str(stall_log)
    return env


@dataclass(frozen=True)
class Figure:
    """One measured figure of relui beside the bare app, with its budget."""

    label: str
    relui: float
    bare: float
    unit: str
    budget: float
    by_ratio: bool  # the budget is a ratio to the bare app, not an absolute value

    def line(self) -> str:
        """``label  relui  bare  ratio  budget  ok``."""
        ratio = self.relui / self.bare if self.bare > 0 else float("inf") if self.relui > 0 else 1.0
        measured = ratio if self.by_ratio else self.relui
        budget = f"<= {self.budget:g}x bare" if self.by_ratio else f"<= {self.budget:g} {self.unit}"
        verdict = "ok" if measured <= self.budget else "OVER"
        ratio_text = "-" if ratio == float("inf") else f"{ratio:.2f}x"
        figures = f"{self.relui:9.1f} {self.bare:9.1f} {self.unit:<5} {ratio_text:>8}"
        return f"{self.label:<40} {figures}   {budget:<16} {verdict}"


def median_figure(label: str, runs: dict[str, list[float]], unit: str, budget: float) -> Figure:
    """A figure whose budget is a ratio to the bare app: the median of each app's runs."""
    return Figure(label, statistics.median(runs["relui"]), statistics.median(runs["bare"]), unit, budget, True)


def idle_figures(world: World, aged: World) -> list[Figure]:
    """Idle output and CPU at 80x24 and 120x36, and CPU with a year's journal; the apps run side by side."""
    sizes = ((80, 24), (120, 36))
    sessions = [s for size in sizes for s in (relui_session(world, size), bare_session(size))]
    sessions.append(relui_session(aged, (120, 36)))
    for session in sessions:
        session.start()
    try:
        for session in sessions:
            session.settle(b"ready", 3)
        time.sleep(WARMUP_SECONDS)
        start, cpu = time.monotonic(), [s.cpu_seconds() for s in sessions]
        time.sleep(IDLE_SECONDS)
        end = time.monotonic()
        rates = [s.bytes_between(start, end) / (end - start) for s in sessions]
        loads = [(s.cpu_seconds() - c) / (end - start) * 100 for s, c in zip(sessions, cpu, strict=True)]
    finally:
        for session in sessions:
            session.stop()
    figures = []
    for i, (cols, rows) in enumerate(sizes):
        r, b = 2 * i, 2 * i + 1
        figures.append(Figure(f"idle output {cols}x{rows}", rates[r], rates[b], "B/s", 1024, False))
        figures.append(Figure(f"idle CPU {cols}x{rows}", loads[r], loads[b], "%", 1.0, False))
    figures.append(Figure(f"idle CPU 120x36, {YEAR_RECORDS:,} records", loads[4], loads[3], "%", 1.0, False))
    return figures


# One start of either app varies by about +-15% here from process to process (wall time and CPU alike: the
# work itself, not waiting for a core); 9 pairs put medians of 1.04x to 1.39x on the same code, 25 narrow that.
FRAME_PAIRS = 25


def first_full_frame(session: Session) -> float:
    """Seconds from start to the moment the screen first showed what it settled on.

    The pty's bytes are replayed through a terminal emulator (pyte), chunk by
    chunk as they arrived. Textual paints the whole screen again a tick after
    its first paint, cell for cell the same; the last byte written is that
    repaint, not the frame the operator first saw complete.
    """
    import pyte  # the dev extras have it; only this figure needs it

    cols, rows = session.size
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    states: list[tuple[float, tuple[object, ...]]] = []
    for at, data in session.since(session.started):
        stream.feed(data)
        states.append((at, tuple(tuple(screen.buffer[y][x] for x in range(cols)) for y in range(rows))))
    final = states[-1][1]
    first = states[-1][0]
    for at, state in reversed(states):
        if state != final:
            break
        first = at
    return first - session.started


def first_frame_figures(world: World, pairs: int = FRAME_PAIRS) -> list[Figure]:
    """At 120x36, medians of interleaved pairs: the first full frame, when start-up output went quiet, and its CPU.

    The CPU a start took (user plus system, every thread, until its output
    went quiet) counts the work, not time spent waiting for a core that
    another tenant holds. It has the same budget: a wall-time OVER that the
    CPU figure does not share was waiting; one both share is relui's start.
    """
    full: dict[str, list[float]] = {"relui": [], "bare": []}
    quiet: dict[str, list[float]] = {"relui": [], "bare": []}
    cpu: dict[str, list[float]] = {"relui": [], "bare": []}
    for _ in range(pairs):
        for kind, make in (
            ("relui", lambda: relui_session(world, (120, 36))),
            ("bare", lambda: bare_session((120, 36))),
        ):
            session = make()
            session.start()
            try:
                quiet[kind].append(session.settle(b"ready", 3) * 1000)
                cpu[kind].append(session.cpu_seconds() * 1000)
                full[kind].append(first_full_frame(session) * 1000)
            finally:
                session.stop()
    return [
        median_figure("first full frame 120x36", full, "ms", 1.2),
        median_figure("start-up output ends 120x36", quiet, "ms", 1.2),
        median_figure("start-up CPU 120x36", cpu, "ms", 1.2),
    ]


@dataclass(frozen=True)
class LoadedRun:
    """What one loaded run of one app measured."""

    worst_stall: float  # ms
    key_median: float  # ms
    typed: list[float | None]  # seconds per typed key; None: never echoed
    peak_rss: float  # MiB, the most the process ever held resident


# Several operators share a bastion host: one relui over 3 envs x 2 colors x 500 pods stays under this.
MEMORY_BUDGET_MIB = 150.0


def loaded_run(make: Callable[[Path], Session], tmp: Path, tag: str) -> LoadedRun:
    """Worst loop stall over the steady window, key-to-screen latencies and typed-text echoes, of one app."""
    log = tmp / f"stall-{tag}.log"
    log.unlink(missing_ok=True)
    session = make(log)
    session.start()
    try:
        session.settle(b"ready", 3)
        time.sleep(WARMUP_SECONDS)
        start = time.monotonic()
        latencies = []
        for _ in range(KEY_PRESSES):
            latency = session.key_latency(RIGHT)
            latencies.append(3.0 if latency is None else latency)
            time.sleep(0.4)
        typed: list[float | None] = session.typed_latencies(TYPED) if session.open_line() else [None] * len(TYPED)
        remaining = STALL_SECONDS - (time.monotonic() - start)
        if remaining > 0:
            time.sleep(remaining)
        peak = session.peak_rss_mib()
    finally:
        session.stop()
    stalls = [float(ms) for at, ms in (line.split() for line in log.read_text().splitlines()) if float(at) >= start]
    return LoadedRun(max(stalls, default=float("nan")), statistics.median(latencies) * 1000, typed, peak)


def loaded_figures(world: World, tmp: Path, pairs: int = 2) -> list[Figure]:
    """Stall, key latency and typed text with 3 envs x 2 colors x 500 pods a color at 120x36, interleaved pairs."""
    stall: dict[str, list[float]] = {"relui": [], "bare": []}
    keys: dict[str, list[float]] = {"relui": [], "bare": []}
    typed: dict[str, list[float | None]] = {"relui": [], "bare": []}
    rss: dict[str, list[float]] = {"relui": [], "bare": []}
    for i in range(pairs):
        for kind in ("relui", "bare"):

            def make(log: Path, kind: str = kind) -> Session:
                return relui_session(world, (120, 36), log) if kind == "relui" else bare_session((120, 36), log)

            run = loaded_run(make, tmp, f"{kind}{i}")
            stall[kind].append(run.worst_stall)
            keys[kind].append(run.key_median)
            typed[kind].extend(run.typed)
            rss[kind].append(run.peak_rss)
    # A key never echoed counts as the whole timeout: the worst is then OVER, as it should be.
    echoes = {k: [ECHO_TIMEOUT * 1000 if t is None else t * 1000 for t in v] for k, v in typed.items()}
    lost = sum(t is None for t in typed["relui"])
    lost_note = f" ({lost} never shown)" if lost else ""
    return [
        Figure("worst loop stall, 500 pods a color", max(stall["relui"]), max(stall["bare"]), "ms", 50, False),
        median_figure("key to screen, 500 pods a color", keys, "ms", 1.5),
        median_figure("typed text to screen, median", echoes, "ms", 1.5),
        Figure(f"typed text to screen, worst{lost_note}", max(echoes["relui"]), max(echoes["bare"]), "ms", 100, False),
        Figure("peak memory, 500 pods a color", max(rss["relui"]), max(rss["bare"]), "MiB", MEMORY_BUDGET_MIB, False),
    ]


def compile_sources() -> None:
    """Byte-compile relui's package dirs, as installing a wheel does; quiet, and a no-op when current.

    Then the methods its dataclasses generate (``relui.startup_code``), which
    an install's first start writes beside ``__pycache__`` and this
    environment's PYTHONDONTWRITEBYTECODE would never let it.
    """
    for name in PACKAGE_DIRS:
        compileall.compile_dir(str(ROOT / name), quiet=1)
    subprocess.run([sys.executable, "-m", "relui.startup_code"], cwd=ROOT, check=True, capture_output=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the worlds, measure, print one table; ``idle``, ``frame`` or ``loaded`` runs only that part."""
    parts = set(sys.argv[1:] if argv is None else argv) or {"idle", "frame", "loaded"}
    began = time.monotonic()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="relui-bench-") as name:
        tmp = Path(name)
        shipped = make_world(tmp, "shipped", 3, ["qa"])
        aged = make_world(tmp, "aged", 3, ["qa"])
        age_journal(aged, YEAR_RECORDS)
        crowded = make_world(tmp, "crowded", 500, ["dev", "qa", "prod"])
        print(
            "relui vs a bare Textual app (three bordered columns), real pty; QA runs both colors; "
            f"relui byte-compiled first ({', '.join(f'{d}/' for d in PACKAGE_DIRS)}, dataclass methods), "
            "as a wheel install is after its first start"
        )
        print(f"{'figure':<40} {'relui':>9} {'bare':>9} {'':<5} {'ratio':>8}   {'budget':<16} verdict")
        figures: list[Callable[[], list[Figure]]] = []
        if "idle" in parts:
            figures.append(lambda: idle_figures(shipped, aged))
        if "frame" in parts:
            figures.append(lambda: first_frame_figures(shipped))
        if "loaded" in parts:
            figures.append(lambda: loaded_figures(crowded, tmp))
        for measure in figures:
            for figure in measure():
                print(figure.line(), flush=True)
    print(
        f"({time.monotonic() - began:.0f} s; idle over {IDLE_SECONDS:.0f} s at the shipped 2 s refresh; "
        f"typed text: {len(TYPED)} keys {TYPE_INTERVAL * 1000:.0f} ms apart into the : line, 2 runs each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
