"""A Prometheus that trickles, lies or answers garbage costs one deadline and one line, never a traceback.

The servers are small loopback servers started by the test (127.0.0.1 only):
one sends its answer one byte a second (so requests' per-read timeout never
fires), one answers a body that is not JSON, one a vector whose sample has
no "value". The environment's cluster is the sandbox; only its metrics come
from the server, with ``timeout_seconds = 2``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from relui.clock import ManualClock
from relui.services.release import ReleaseService
from tests.conftest import IN_WINDOW, ROOT, drill_config, make_context

pytestmark = pytest.mark.integration
TIMEOUT = 2.0
MARGIN = 3.0  # a shared, noisy machine; N deadlines in a row would still exceed it
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}
NO_VALUE = {
    "status": "success",
    "data": {"resultType": "vector", "result": [{"metric": {"color": "blue"}}, {"metric": {"color": "green"}}]},
}


class _Trickle:
    """Accepts connections and sends a valid-looking answer one byte a second, for as long as the client reads."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.stopped = threading.Event()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        body = json.dumps(VECTOR).encode()
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        with conn:
            conn.recv(65536)
            for byte in answer + body:
                if self.stopped.wait(1.0):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


def _fixed(body: bytes, content_type: str = "application/json") -> type[BaseHTTPRequestHandler]:
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Answer


@pytest.fixture
def trickling() -> Iterator[str]:
    """A Prometheus URL that answers one byte a second."""
    try:
        server = _Trickle()
    except OSError as exc:
        pytest.fail(f"could not start the trickling server on 127.0.0.1: {exc}", pytrace=False)
    threading.Thread(target=server.serve, daemon=True).start()
    yield server.url
    server.close()


def _serve(body: bytes) -> Iterator[str]:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _fixed(body))
    except OSError as exc:
        pytest.fail(f"could not start a loopback HTTP server on 127.0.0.1: {exc}", pytrace=False)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def garbage() -> Iterator[str]:
    """A Prometheus URL whose answer is not JSON."""
    yield from _serve(b'{"status": "success", "data": {"result": [')


@pytest.fixture
def no_value() -> Iterator[str]:
    """A Prometheus URL whose samples have no "value"."""
    yield from _serve(json.dumps(NO_VALUE).encode())


def config_with_prometheus(directory: Path, url: str, envs: tuple[str, ...], time_scale: float | None = None) -> Path:
    """The shipped sandbox config, with ``envs`` reading their error rate from ``url`` within TIMEOUT."""
    path = drill_config(directory, time_scale=time_scale, always_open=True)
    text = path.read_text()
    section = (
        "\n[environments.prometheus]\n"
        f'url = "{url}"\n'
        'error_rate = \'sum by (color) (rate(http_requests_total{namespace="{namespace}",code=~"5.."}[5m]))\'\n'
        f"timeout_seconds = {TIMEOUT}\n"
    )
    # A table after an environment's last [[environments.smoke]] belongs to that environment.
    if "qa" in envs:
        text = text.replace('\n[[environments]]\nname = "prod"', section + '\n[[environments]]\nname = "prod"', 1)
    if "prod" in envs:
        text = text.replace("\n[readiness]", section + "\n[readiness]", 1)
    path.write_text(text)
    return path


def relui(*args: str, config: Path, state_dir: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run relui in a subprocess; the seconds it took and what it printed."""
    env = {**os.environ, "RELUI_USER": "ops"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "relui", *args, "--config", str(config), "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return time.monotonic() - started, done


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("trickling", f"did not answer within {TIMEOUT:.1f} s (metrics.current)"),
        ("garbage", "gave no Prometheus answer to the error_rate query"),
        ("no_value", "error_rate query answered a series without a [time, value] sample"),
    ],
)
def test_status_reports_a_bad_prometheus_as_one_line_in_time(
    server: str, expected: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(server)
    config = config_with_prometheus(tmp_path, url, ("prod",))
    took, done = relui("status", "--json", config=config, state_dir=tmp_path / "state")
    assert done.returncode == 1, done.stderr[-2000:]  # docs/cli.md: a source that did not answer is exit 1
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert took < 10, f"relui status took {took:.1f} s"
    prod = next(row for row in json.loads(done.stdout)["environments"] if row["name"] == "prod")
    metrics = [p for p in prod["problems"] if p.startswith("metrics")]
    assert len(metrics) == 1 and expected in metrics[0], prod["problems"]
    assert "\n" not in metrics[0]
    assert prod["error_rate"] == {"blue": None, "green": None}
    assert prod["colors"]["blue"]["version"], "the sandbox cluster still answers"


def test_a_cutover_check_pays_a_trickling_source_once(trickling: str, tmp_path: Path) -> None:
    ctx = make_context(config_with_prometheus(tmp_path, trickling, ("qa",)), tmp_path / "state", ManualClock(IN_WINDOW))
    service = ReleaseService(ctx)
    assert service.deploy("qa", "1.6.0").ok  # a candidate, so the error-rate guard asks Prometheus
    started = time.monotonic()
    guards = service.check("cutover", "qa")
    took = time.monotonic() - started
    assert took < 2 * TIMEOUT + MARGIN, f"the cutover check took {took:.1f} s: the dark source was paid more than once"
    reasons = " ".join(g.reason for g in guards)
    assert f"did not answer within {TIMEOUT:.1f} s" in reasons, guards


def test_cutover_json_against_a_trickling_source_answers_within_one_deadline(trickling: str, tmp_path: Path) -> None:
    # A fast sandbox: the deploy's rollout is not what this test waits for.
    config = config_with_prometheus(tmp_path, trickling, ("qa",), time_scale=20.0)
    state = tmp_path / "state"
    took, done = relui("deploy", "qa", "1.6.0", "--yes", "--json", config=config, state_dir=state)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    took, done = relui("cutover", "qa", "--yes", "--json", config=config, state_dir=state)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    # Interpreter start-up and the sandbox rollout poll included; several deadlines would exceed it.
    assert took < 2 * TIMEOUT + MARGIN + 3, f"relui cutover took {took:.1f} s"
    result = json.loads(done.stdout)
    assert f"did not answer within {TIMEOUT:.1f} s" in json.dumps(result), result
