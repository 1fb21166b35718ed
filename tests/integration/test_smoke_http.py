"""PreviewSmoke against real HTTP endpoints (pytest-httpserver on loopback) and real commands."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from relui.adapters.smoke import PreviewSmoke
from relui.config import SmokeCheck
from relui.domain import Color
from tests.integration.adapter_env import kube_env
from tests.integration.kube_fixtures import closed_port

pytestmark = pytest.mark.integration


def smoke(template: str | None, *checks: SmokeCheck) -> PreviewSmoke:
    return PreviewSmoke(kube_env(preview_url=template, smoke=checks))


def template(server: HTTPServer) -> str:
    return f"http://127.0.0.1:{server.port}/{{namespace}}/{{release}}-{{color}}-preview/"


def test_http_checks_hit_the_colors_preview_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/shop-prod/shop-green-preview/healthz").respond_with_data("ok")
    httpserver.expect_request("/shop-prod/shop-green-preview/api/cart/health").respond_with_data("down", status=503)
    httpserver.expect_request("/shop-prod/shop-green-preview/ready").respond_with_data("", status=204)
    results = smoke(
        template(httpserver),
        SmokeCheck("health", path="/healthz"),
        SmokeCheck("checkout", path="/api/cart/health"),
        SmokeCheck("ready", path="/ready", expect_status=204),
    ).run(Color.GREEN)
    base = f"http://127.0.0.1:{httpserver.port}/shop-prod/shop-green-preview"
    health, checkout, ready = results
    assert health.passed and health.detail.startswith(f"GET {base}/healthz -> 200 in ")
    assert not checkout.passed and checkout.detail == f"GET {base}/api/cart/health -> 503, expected 200"
    assert ready.passed
    assert [r.headers["User-Agent"] for r, _ in httpserver.log] == ["relui-smoke"] * 3


def test_no_checks_configured_means_healthz(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/shop-prod/shop-blue-preview/healthz").respond_with_data("ok")
    (result,) = smoke(template(httpserver)).run(Color.BLUE)
    assert result.name == "health" and result.passed


def test_a_slow_preview_fails_after_its_timeout(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/shop-prod/shop-blue-preview/healthz").respond_with_handler(slow)
    started = time.monotonic()
    (result,) = smoke(template(httpserver), SmokeCheck("health", path="/healthz", timeout_seconds=0.2)).run(Color.BLUE)
    assert not result.passed and result.detail.endswith("/healthz: no answer within 0.2s")
    assert time.monotonic() - started < 0.9


def test_a_refused_connection_is_a_failed_result() -> None:
    port = closed_port()
    (result,) = smoke(f"http://127.0.0.1:{port}/{{color}}", SmokeCheck("health", path="/healthz")).run(Color.BLUE)
    assert not result.passed
    assert result.detail.startswith(f"GET http://127.0.0.1:{port}/blue/healthz: ") and "refused" in result.detail


def test_http_check_without_preview_url_says_what_to_set() -> None:
    (result,) = smoke(None, SmokeCheck("health", path="/healthz")).run(Color.BLUE)
    assert not result.passed and result.detail.startswith("no preview_url for prod; set preview_url")


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "check.py"
    path.write_text(f"import json, os, sys\n{body}\n")
    return str(path)


def test_command_checks_get_color_url_and_env(tmp_path: Path, httpserver: HTTPServer) -> None:
    seen = tmp_path / "seen.json"
    ok = script(
        tmp_path,
        f"json.dump({{k: os.environ[k] for k in ('RELUI_COLOR', 'RELUI_PREVIEW_URL', 'RELUI_ENV')}}, "
        f"open({str(seen)!r}, 'w'))\nprint('login journey ok')",
    )
    (result,) = smoke(template(httpserver), SmokeCheck("journey", command=(sys.executable, ok))).run(Color.GREEN)
    assert result.passed and result.detail.endswith(": ok (login journey ok)")
    assert json.loads(seen.read_text()) == {
        "RELUI_COLOR": "green",
        "RELUI_PREVIEW_URL": f"http://127.0.0.1:{httpserver.port}/shop-prod/shop-green-preview",
        "RELUI_ENV": "prod",
    }


def test_failing_missing_and_hanging_commands_are_results(tmp_path: Path) -> None:
    failing = script(tmp_path, "print('checking cart'); print('cart is empty', file=sys.stderr); sys.exit(3)")
    hang = tmp_path / "hang.py"
    hang.write_text("import time\ntime.sleep(5)\n")
    results = smoke(
        None,
        SmokeCheck("cart", command=(sys.executable, failing)),
        SmokeCheck("gone", command=("/nonexistent/relui-check",)),
        SmokeCheck("hang", command=(sys.executable, str(hang)), timeout_seconds=0.3),
    ).run(Color.BLUE)
    cart, gone, hung = results
    assert not cart.passed and cart.detail.endswith(": exit 3: cart is empty")
    assert not gone.passed and gone.detail == "command not found: /nonexistent/relui-check"
    assert not hung.passed and hung.detail.endswith("hang.py: no result within 0.3s (killed)")


def test_a_bad_preview_template_fails_every_check_with_the_placeholders() -> None:
    runner = smoke("http://{service}.{namespace}", SmokeCheck("a", path="/"), SmokeCheck("b", path="/x"))
    results = runner.run(Color.BLUE)
    assert [r.passed for r in results] == [False, False]
    assert "use only {color}, {namespace} and {release}" in results[0].detail and "'service'" in results[0].detail
