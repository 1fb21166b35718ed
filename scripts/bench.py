"""Speed and memory figures for relui, printed against their budgets.

Run with `make bench`. It prints figures; it never fails a build, because
machines here are shared and noisy: read the numbers, compare runs.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relui.backends import build_ports  # noqa: E402
from relui.clock import ManualClock, SystemClock  # noqa: E402
from relui.config import load_config  # noqa: E402
from relui.services.context import Context  # noqa: E402
from relui.services.journal import Journal  # noqa: E402
from relui.services.monitor import take_snapshot  # noqa: E402
from relui.services.release import ReleaseService  # noqa: E402

CONFIG = ROOT / "config.toml"


def timed(label: str, budget_ms: float, run: Callable[[], object], repeat: int = 30) -> None:
    """Run ``run`` ``repeat`` times; print median and p95 against the budget."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    median = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    verdict = "ok" if p95 <= budget_ms else "OVER"
    print(f"{label:<48} median {median:8.2f} ms   p95 {p95:8.2f} ms   budget {budget_ms:7.0f} ms  {verdict}")


def context(state: Path, clock: ManualClock | SystemClock) -> Context:
    config = load_config(CONFIG)
    return Context(config, state, build_ports(config, state, clock), "ops")


def service_figures(state: Path) -> Context:
    clock = ManualClock()
    ctx = context(state, clock)
    service = ReleaseService(ctx)
    # A busy world: twenty releases on QA, so history-based computations have work to do.
    for i in range(10):
        assert service.deploy("qa", "1.5.1" if i % 2 else "1.5.0").ok
        assert service.cutover("qa").ok
    prod = ctx.config.env("prod")
    qa = ctx.config.env("qa")
    timed("snapshot PROD (pods, lock, 30 min sparkline)", 50, lambda: take_snapshot(prod, ctx.env_ports("prod"), clock))
    timed("snapshot QA after 20 releases", 80, lambda: take_snapshot(qa, ctx.env_ports("qa"), clock))
    timed("guards for a PROD cutover", 100, lambda: service.check("cutover", "prod"))
    journal = Journal(state, clock)
    timed("journal append (fsync)", 20, lambda: journal.note("ops", "qa", "bench"))
    timed(f"journal read ({len(journal.entries())} records)", 30, journal.entries)
    return ctx


def cli_figures(state: Path) -> None:
    def status() -> None:
        subprocess.run(
            [sys.executable, "-m", "relui", "status", "--json", "--config", str(CONFIG), "--state-dir", str(state)],
            check=True,
            capture_output=True,
        )

    timed("relui status --json (whole process)", 1500, status, repeat=5)


async def tui_figures(state: Path) -> None:
    try:
        from relui.app import ReluiApp
    except ImportError as exc:
        print(f"TUI figures skipped: {exc}")
        return
    ctx = context(state, SystemClock())
    app = ReluiApp(ctx)
    start = time.perf_counter()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        first = (time.perf_counter() - start) * 1000
        # Let a few refresh rounds run, as an operator's session would.
        await asyncio.sleep(6)
        await pilot.pause()
    budget = 1500
    print(
        f"{'TUI start to first dashboard (160x45)':<48} {first:8.2f} ms{'':30}budget {budget:7.0f} ms  "
        f"{'ok' if first <= budget else 'OVER'}"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        service_figures(state / "services")
        cli_figures(state / "cli")
        asyncio.run(tui_figures(state / "tui"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    budget_mb = 250
    verdict = "ok" if peak_mb <= budget_mb else "OVER"
    print(f"{'peak memory of this process (RSS)':<48} {peak_mb:8.1f} MB{'':30}budget {budget_mb:7.0f} MB  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
