"""A real Prometheus on loopback over backfilled, known traffic, started once per session.

The traffic is written as OpenMetrics counters (``http_requests_total`` per
namespace, release, color, pod and code), backfilled with ``promtool tsdb
create-blocks-from openmetrics`` and served by Debian's ``prometheus``. The
same ``Traffic`` object computes what a query must answer, so the tests
compare the adapter with figures derived from the written samples.

Layout (minutes from the first sample; a sample every 15 s, the last one
about a minute before the server starts):

- load per pod and step: 100 requests, 200 from minute 10 to 25 (the plateau),
  500 from minute 16 to 18 (a short spike inside the plateau);
- errors: blue 1%; green 2% until minute 35, then 6%; namespace shop-dev 50%.

The error-rate queries use a 30 m rate window and green's last phase lasts
45 m, so an instant query at "now" sees one steady phase (blue 1%, green 6%)
for about half an hour after the server started: long enough for any test
of the session, however late it runs.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STEP = 15.0
MINUTES = 80
NAMESPACE = "shop-qa"
RELEASE = "shop"
PODS_PER_COLOR = 2
BASE, PLATEAU, SPIKE = 100, 200, 500
PLATEAU_MINUTES = (10, 25)
SPIKE_MINUTES = (16, 18)
GREEN_CHANGE_MINUTE = 35
RATE_WINDOW = "30m"

_SELECT = 'namespace="{namespace}",release="{release}"'
ERROR_RATE_BY_COLOR = (
    f'sum by (color) (rate(http_requests_total{{{_SELECT},code=~"5.."}}[{RATE_WINDOW}]))'
    f" / sum by (color) (rate(http_requests_total{{{_SELECT}}}[{RATE_WINDOW}]))"
)
ERROR_RATE_PER_COLOR = (
    f'sum(rate(http_requests_total{{{_SELECT},color="{{color}}",code=~"5.."}}[{RATE_WINDOW}]))'
    f' / sum(rate(http_requests_total{{{_SELECT},color="{{color}}"}}[{RATE_WINDOW}]))'
)
REQUEST_RATE_BY_COLOR = f"sum by (color) (rate(http_requests_total{{{_SELECT}}}[1m]))"
REQUEST_RATE_PER_COLOR = f'sum(rate(http_requests_total{{{_SELECT},color="{{color}}"}}[1m]))'
# The known figure for max_sustained: the plateau held by 2 colors x 2 pods.
PLATEAU_RPS = 2 * PODS_PER_COLOR * PLATEAU / STEP

RULES = """groups:
  - name: relui
    rules:
      - record: relui:http_requests:rate1m
        expr: sum by (namespace, color) (rate(http_requests_total[1m]))
      - record: relui:http_errors:rate1m
        expr: sum by (namespace, color) (rate(http_requests_total{code=~"5.."}[1m]))
      - alert: ReluiHighErrorRate
        expr: relui:http_errors:rate1m / relui:http_requests:rate1m > 0.05
"""
RULE_COUNT = 3


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _error_share(namespace: str, color: str, minute: float) -> float:
    if namespace != NAMESPACE:
        return 0.5
    if color == "blue":
        return 0.01
    return 0.02 if minute < GREEN_CHANGE_MINUTE else 0.06


def _load(minute: float) -> int:
    if SPIKE_MINUTES[0] <= minute < SPIKE_MINUTES[1]:
        return SPIKE
    if PLATEAU_MINUTES[0] <= minute < PLATEAU_MINUTES[1]:
        return PLATEAU
    return BASE


@dataclass
class Traffic:
    """The written counters, and the figures PromQL must compute from them."""

    start: float
    stamps: list[float] = field(default_factory=list)
    # (namespace, color, pod, code) -> counter value at each stamp
    counters: dict[tuple[str, str, str, str], list[float]] = field(default_factory=dict)

    @classmethod
    def build(cls, end: float) -> Traffic:
        """Counters every STEP seconds from MINUTES before ``end`` up to ``end``."""
        count = int(MINUTES * 60 / STEP) + 1
        traffic = cls(start=end - (count - 1) * STEP)
        traffic.stamps = [traffic.start + i * STEP for i in range(count)]
        for namespace in (NAMESPACE, "shop-dev"):
            for color in ("blue", "green"):
                for pod in range(PODS_PER_COLOR):
                    name = f"{RELEASE}-{color}-{pod}"
                    ok: list[float] = []
                    bad: list[float] = []
                    for stamp in traffic.stamps:
                        minute = (stamp - traffic.start) / 60
                        load = _load(minute)
                        errors = round(load * _error_share(namespace, color, minute))
                        ok.append((ok[-1] if ok else 0) + load - errors)
                        bad.append((bad[-1] if bad else 0) + errors)
                    traffic.counters[(namespace, color, name, "200")] = ok
                    traffic.counters[(namespace, color, name, "500")] = bad
        return traffic

    def openmetrics(self) -> str:
        """The counters as one OpenMetrics document, each series contiguous."""
        lines = ["# TYPE http_requests counter", "# HELP http_requests Requests served."]
        for (namespace, color, pod, code), values in self.counters.items():
            labels = f'namespace="{namespace}",release="{RELEASE}",color="{color}",pod="{pod}",code="{code}"'
            lines.extend(
                f"http_requests_total{{{labels}}} {v:g} {t:.1f}" for v, t in zip(values, self.stamps, strict=True)
            )
        lines.append("# EOF")
        return "\n".join(lines) + "\n"

    def _window(self, at: float, seconds: float) -> tuple[int, int] | None:
        """First and last sample index inside [at - seconds, at] (both ends closed, as Prometheus 2.x)."""
        inside = [i for i, t in enumerate(self.stamps) if at - seconds <= t <= at]
        return (inside[0], inside[-1]) if len(inside) >= 2 else None

    def error_ratio(
        self, color: str, at: float, window_seconds: float = 1800, namespace: str = NAMESPACE
    ) -> float | None:
        """Errors over requests of one color within the rate window ending at ``at``.

        rate() extrapolates every series by the same factor (they share their
        timestamps), so the ratio of summed rates is the ratio of increases.
        """
        span = self._window(at, window_seconds)
        if span is None:
            return None
        first, last = span
        errors = total = 0.0
        for (ns, col, _pod, code), values in self.counters.items():
            if ns == namespace and col == color:
                increase = values[last] - values[first]
                total += increase
                errors += increase if code == "500" else 0
        return errors / total if total else None

    @property
    def end(self) -> float:
        """The time of the newest sample."""
        return self.stamps[-1]


@dataclass
class PrometheusServer:
    """A running Prometheus over the backfilled traffic."""

    url: str
    traffic: Traffic
    query_log: Path
    process: subprocess.Popen[bytes]

    def logged_queries(self) -> list[str]:
        """PromQL of every API query so far (rule evaluations left out), oldest first."""
        if not self.query_log.exists():
            return []
        queries = []
        for line in self.query_log.read_text().splitlines():
            entry = json.loads(line)
            if "httpRequest" in entry:
                queries.append(entry["params"]["query"])
        return queries


def _tool(name: str) -> str:
    # Debian's package puts them on PATH; `make tools` may also place them in the venv.
    venv_tools = Path(__file__).resolve().parents[2] / ".venv" / "tools" / "bin"
    found = shutil.which(name) or shutil.which(name, path=str(venv_tools))
    if not found:
        pytest.fail(f"{name} is not installed; run `make tools` or `sudo apt-get install prometheus`", pytrace=False)
    return found


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}:\n{log.read_text()[-2000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"prometheus at {url} not ready after {timeout:g}s:\n{log.read_text()[-2000:]}", pytrace=False)


@pytest.fixture(scope="session", name="prometheus_server")
def start_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """Backfill the traffic and start Prometheus on a free loopback port, once per session."""
    promtool, prometheus = _tool("promtool"), _tool("prometheus")
    root = tmp_path_factory.mktemp("prometheus")
    # Half-second stamps keep every sample off the whole-second evaluation
    # times, so no sample sits exactly on a window edge.
    traffic = Traffic.build(end=int(time.time()) - 60 + 0.5)
    source = root / "traffic.om"
    source.write_text(traffic.openmetrics())
    tsdb = root / "tsdb"
    made = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.fail(f"promtool backfill failed: {made.stderr.strip() or made.stdout.strip()}", pytrace=False)
    rules = root / "rules.yml"
    rules.write_text(RULES)
    query_log = root / "queries.jsonl"
    config = root / "prometheus.yml"
    config.write_text(f"global:\n  query_log_file: {query_log}\nrule_files:\n  - {rules}\n")
    url = f"http://127.0.0.1:{free_port()}"
    log = root / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                f"--web.listen-address={url.removeprefix('http://')}",
                "--storage.tsdb.retention.time=30d",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process, log)
        yield PrometheusServer(url, traffic, query_log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
