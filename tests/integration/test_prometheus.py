"""PrometheusMetrics against a real Prometheus serving known, backfilled traffic."""

from __future__ import annotations

import itertools
import re
import socket
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from relui.adapters.prometheus import PrometheusMetrics, diagnose, render_query
from relui.config import EnvironmentConfig, PrometheusConfig
from relui.domain import Color, MetricKind
from relui.ports import PortError, SourceUnavailable
from tests.integration.prom_fixtures import (
    ERROR_RATE_BY_COLOR,
    ERROR_RATE_PER_COLOR,
    NAMESPACE,
    PLATEAU_RPS,
    RELEASE,
    REQUEST_RATE_BY_COLOR,
    REQUEST_RATE_PER_COLOR,
    RULE_COUNT,
    PrometheusServer,
    free_port,
    start_prometheus,  # noqa: F401 - registers the session fixture `prometheus_server`
)

pytestmark = pytest.mark.integration
EXACT = 1e-9  # float rounding in PromQL's arithmetic, nothing more


def env_for(url: str, error_rate: str = ERROR_RATE_BY_COLOR, **prom: object) -> EnvironmentConfig:
    """The QA environment reading the given Prometheus."""
    return EnvironmentConfig(
        name="qa",
        kind="sandbox",
        protected=False,
        namespace=NAMESPACE,
        release=RELEASE,
        prometheus=PrometheusConfig(url=url, error_rate=error_rate, **prom),  # type: ignore[arg-type]
    )


def test_placeholders_are_the_only_braces_replaced() -> None:
    template = 'rate(x{namespace="{namespace}",code=~"5..",color="{color}"}[5m]) + y{job="{other}"}'
    got = render_query(template, {"namespace": "shop-qa", "release": "shop", "color": "blue"})
    assert got == 'rate(x{namespace="shop-qa",code=~"5..",color="blue"}[5m]) + y{job="{other}"}'


def test_current_error_rate_is_the_written_ratio_in_one_query(prometheus_server: PrometheusServer) -> None:
    metrics = PrometheusMetrics(env_for(prometheus_server.url))
    before = len(prometheus_server.logged_queries())
    asked_at = time.time()
    current = metrics.current(MetricKind.ERROR_RATE)
    traffic = prometheus_server.traffic
    for color in Color:
        expected = traffic.error_ratio(color, asked_at)
        assert expected == traffic.error_ratio(color, time.time())  # the window saw one steady phase
        assert current[color] == pytest.approx(expected, rel=EXACT)
    assert current == pytest.approx({Color.BLUE: 0.01, Color.GREEN: 0.06}, rel=EXACT)
    queries = prometheus_server.logged_queries()[before:]
    assert len(queries) == 1, queries  # one query for the environment, never one per pod or color
    assert f'namespace="{NAMESPACE}"' in queries[0] and 'code=~"5.."' in queries[0]


def test_color_template_runs_once_per_color(prometheus_server: PrometheusServer) -> None:
    metrics = PrometheusMetrics(env_for(prometheus_server.url, ERROR_RATE_PER_COLOR))
    before = len(prometheus_server.logged_queries())
    current = metrics.current(MetricKind.ERROR_RATE)
    assert current == pytest.approx({Color.BLUE: 0.01, Color.GREEN: 0.06}, rel=EXACT)
    queries = prometheus_server.logged_queries()[before:]
    assert len(queries) == 2
    assert ['color="blue"' in queries[0], 'color="green"' in queries[1]] == [True, True]


def test_namespace_decides_which_traffic_is_read(prometheus_server: PrometheusServer) -> None:
    env = env_for(prometheus_server.url)
    dev = EnvironmentConfig(**{**env.__dict__, "name": "dev", "namespace": "shop-dev"})
    current = PrometheusMetrics(dev).current(MetricKind.ERROR_RATE)
    assert current == pytest.approx({Color.BLUE: 0.5, Color.GREEN: 0.5}, rel=EXACT)


def test_series_points_are_the_written_ratios(prometheus_server: PrometheusServer) -> None:
    metrics = PrometheusMetrics(env_for(prometheus_server.url))
    series = metrics.series(MetricKind.ERROR_RATE, minutes=90, step_seconds=60)
    traffic = prometheus_server.traffic
    for color in Color:
        points = series[color].points
        assert len(points) >= 80, f"{color}: {len(points)} points"
        stamps = [p.at.timestamp() for p in points]
        assert {b - a for a, b in itertools.pairwise(stamps)} == {60.0}  # no gaps
        for point in points:
            expected = traffic.error_ratio(color, point.at.timestamp())
            assert expected is not None and point.value == pytest.approx(expected, rel=EXACT), point
    # Green's change from 2% to 6% shows up as a climb through the rate window.
    green = series[Color.GREEN].values
    assert green[0] == pytest.approx(0.02, rel=EXACT) and green[-1] == pytest.approx(0.06, rel=EXACT)
    assert any(0.02 < v < 0.06 for v in green)


def test_max_sustained_is_the_plateau_not_the_spike(prometheus_server: PrometheusServer) -> None:
    for template in (REQUEST_RATE_BY_COLOR, REQUEST_RATE_PER_COLOR):
        metrics = PrometheusMetrics(env_for(prometheus_server.url, request_rate=template))
        got = metrics.max_sustained(MetricKind.REQUEST_RATE, window_minutes=10, lookback_minutes=120)
        assert got == pytest.approx(PLATEAU_RPS, rel=EXACT), template


def test_kinds_are_the_configured_queries(prometheus_server: PrometheusServer) -> None:
    assert PrometheusMetrics(env_for(prometheus_server.url)).kinds() == (MetricKind.ERROR_RATE,)
    both = PrometheusMetrics(env_for(prometheus_server.url, request_rate=REQUEST_RATE_BY_COLOR))
    assert both.kinds() == (MetricKind.ERROR_RATE, MetricKind.REQUEST_RATE)
    with pytest.raises(PortError, match="latency_p95 is not configured for qa"):
        both.current(MetricKind.LATENCY_P95)


def test_rules_loaded_counts_every_rule(prometheus_server: PrometheusServer) -> None:
    assert PrometheusMetrics(env_for(prometheus_server.url)).rules_loaded() == RULE_COUNT


def test_no_series_is_an_empty_answer_not_an_error(prometheus_server: PrometheusServer) -> None:
    query = 'sum by (color) (rate(no_such_metric_total{namespace="{namespace}"}[5m]))'
    metrics = PrometheusMetrics(env_for(prometheus_server.url, query))
    assert metrics.current(MetricKind.ERROR_RATE) == {}
    series = metrics.series(MetricKind.ERROR_RATE, minutes=10, step_seconds=60)
    assert {c: s.points for c, s in series.items()} == {Color.BLUE: (), Color.GREEN: ()}


def test_unreachable_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as failed:
        PrometheusMetrics(env_for(url)).current(MetricKind.ERROR_RATE)
    assert str(failed.value) == (
        f"prometheus at {url} is unreachable: connection refused; check [environments.prometheus] url"
    )
    assert time.monotonic() - started < 2, "a refused connection must not be retried with back-off"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_slow_server_times_out_with_one_line(silent_server: str) -> None:
    metrics = PrometheusMetrics(env_for(silent_server, timeout_seconds=0.3))
    with pytest.raises(SourceUnavailable, match=r"did not answer within 0\.3s; .*timeout_seconds"):
        metrics.current(MetricKind.ERROR_RATE)


def test_bad_query_carries_prometheus_error(prometheus_server: PrometheusServer) -> None:
    metrics = PrometheusMetrics(env_for(prometheus_server.url, "sum(rate(http_requests_total[5m]"))
    with pytest.raises(PortError) as failed:
        metrics.current(MetricKind.ERROR_RATE)
    message = str(failed.value)
    assert not isinstance(failed.value, SourceUnavailable)
    assert message.startswith("prometheus rejected the error_rate query: ") and "parse error" in message
    assert "\n" not in message


def test_query_without_color_label_says_how_to_fix(prometheus_server: PrometheusServer) -> None:
    metrics = PrometheusMetrics(
        env_for(prometheus_server.url, 'sum(rate(http_requests_total{release="{release}"}[5m]))')
    )
    with pytest.raises(PortError, match=r"without a color label; group it by \(color\)"):
        metrics.current(MetricKind.ERROR_RATE)


def test_diagnose_reports_each_source(prometheus_server: PrometheusServer) -> None:
    # A long window: the backfilled traffic ended a minute or more ago.
    request_rate = REQUEST_RATE_BY_COLOR.replace("[1m]", "[30m]")
    good = diagnose(env_for(prometheus_server.url, request_rate=request_rate))
    assert [(f.source, f.ok) for f in good] == [
        ("prometheus", True),
        ("prometheus error_rate", True),
        ("prometheus request_rate", True),
    ]
    assert "is ready (Prometheus 2." in good[0].detail
    empty = diagnose(env_for(prometheus_server.url, 'sum by (color) (rate(nope_total{namespace="{namespace}"}[5m]))'))
    assert [(f.source, f.ok) for f in empty] == [("prometheus", True), ("prometheus error_rate", False)]
    assert "no series" in empty[1].detail and empty[1].fix
    down = diagnose(env_for(f"http://127.0.0.1:{free_port()}"))
    assert len(down) == 1 and not down[0].ok and "unreachable" in down[0].detail and "url" in down[0].fix


def test_a_server_that_is_not_prometheus_is_named_so(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_data("<html>login</html>", content_type="text/html")
    metrics = PrometheusMetrics(env_for(httpserver.url_for("/").rstrip("/")))
    with pytest.raises(SourceUnavailable, match=r"gave no Prometheus answer to the error_rate query .*url$"):
        metrics.current(MetricKind.ERROR_RATE)
    httpserver.clear()
    httpserver.expect_request("/api/v1/query").respond_with_data("upstream down", status=503)
    with pytest.raises(SourceUnavailable, match=r"answered HTTP 503 to the error_rate query: upstream down$"):
        metrics.current(MetricKind.ERROR_RATE)


def _answer(httpserver: HTTPServer, result: object, path: str = "/api/v1/query") -> PrometheusMetrics:
    """A loopback server whose query API answers ``result`` as a vector."""
    body = {"status": "success", "data": {"resultType": "vector", "result": result}}
    httpserver.clear()
    httpserver.expect_request(path).respond_with_json(body)
    return PrometheusMetrics(env_for(httpserver.url_for("/").rstrip("/")))


def _one_line_error(call: object) -> PortError:
    with pytest.raises(PortError) as failed:
        call()  # type: ignore[operator]
    assert "\n" not in str(failed.value)
    return failed.value


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ({"metric": {"color": "blue"}}, r"error_rate query answered a series without a \[time, value\] sample"),
        ({"metric": {"color": "blue"}, "value": [1.0, "lots"]}, r"error_rate query answered a non-numeric sample"),
        ({"metric": {"color": "blue"}, "value": [1.0, None]}, r"error_rate query answered a sample value of type"),
        ({"metric": {"color": "blue"}, "value": "0.5"}, r"without a \[time, value\] sample"),
        ({"metric": "blue", "value": [1.0, "0.5"]}, r"without a color label"),
    ],
)
def test_a_malformed_sample_is_one_line_naming_the_query(
    httpserver: HTTPServer, sample: dict[str, object], expected: str
) -> None:
    metrics = _answer(httpserver, [sample])
    error = _one_line_error(lambda: metrics.current(MetricKind.ERROR_RATE))
    assert re.search(expected, str(error)), str(error)


def test_nan_is_no_value_and_an_infinite_rate_is_a_broken_answer(httpserver: HTTPServer) -> None:
    # An idle color has no traffic: 0/0 is NaN, which is no data rather than a broken answer.
    metrics = _answer(httpserver, [{"metric": {"color": "blue"}, "value": [1.0, "NaN"]}])
    assert metrics.current(MetricKind.ERROR_RATE) == {Color.BLUE: None, Color.GREEN: None}
    # +Inf is errors over no requests: taken as no data, it let a cutover through on "no data yet".
    httpserver.clear()
    metrics = _answer(httpserver, [{"metric": {"color": "green"}, "value": [1.0, "+Inf"]}])
    error = _one_line_error(lambda: metrics.current(MetricKind.ERROR_RATE))
    assert "error_rate query answered +inf, a rate over no requests" in str(error)
    # A latency quantile beyond its last bucket is +Inf legitimately: no value, not an error.
    httpserver.clear()
    httpserver.expect_request("/api/v1/query").respond_with_json(
        {
            "status": "success",
            "data": {"resultType": "vector", "result": [{"metric": {"color": "green"}, "value": [1.0, "+Inf"]}]},
        }
    )
    url = httpserver.url_for("/").rstrip("/")
    latency = PrometheusMetrics(env_for(url, latency_p95='histogram_quantile(0.95, x{color="{color}"})'))
    assert latency.current(MetricKind.LATENCY_P95) == {Color.BLUE: None, Color.GREEN: None}


def test_a_malformed_range_answer_is_one_line(httpserver: HTTPServer) -> None:
    metrics = _answer(httpserver, [{"metric": {"color": "blue"}, "values": [[1.0]]}], path="/api/v1/query_range")
    error = _one_line_error(lambda: metrics.series(MetricKind.ERROR_RATE, 10, 60))
    assert "error_rate range query answered a sample that is not [time, value]" in str(error)
    metrics = _answer(httpserver, [{"metric": {"color": "blue"}}], path="/api/v1/query_range")
    error = _one_line_error(lambda: metrics.series(MetricKind.ERROR_RATE, 10, 60))
    assert "without a list of samples" in str(error)


def test_an_answer_of_the_wrong_shape_is_one_line(httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/api/v1/query").respond_with_json({"status": "success", "data": ["no", "result"]})
    error = _one_line_error(lambda: PrometheusMetrics(env_for(url)).current(MetricKind.ERROR_RATE))
    assert "gave no Prometheus answer to the error_rate query" in str(error)
    httpserver.clear()
    httpserver.expect_request("/api/v1/query").respond_with_data("{not json", content_type="application/json")
    error = _one_line_error(lambda: PrometheusMetrics(env_for(url)).current(MetricKind.ERROR_RATE))
    assert "gave no Prometheus answer to the error_rate query" in str(error)
    httpserver.clear()
    httpserver.expect_request("/api/v1/rules").respond_with_json({"status": "success", "data": {"groups": "x"}})
    error = _one_line_error(PrometheusMetrics(env_for(url)).rules_loaded)
    assert "without a list of groups" in str(error)
