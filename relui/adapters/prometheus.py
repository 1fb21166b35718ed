"""Prometheus as an environment's metrics source: PromQL per color, via prometheus-api-client.

The queries are templates from ``[environments.prometheus]``. A template that
names ``{color}`` runs once per color; one without it runs once for the whole
environment and its answer is split by the ``color`` label, so it is expected
to be grouped ``by (color)``. Either way relui never asks per pod.

Every failure becomes one ``PortError`` line: an unreachable server or a slow
one is ``SourceUnavailable``; a query Prometheus rejects carries Prometheus'
own error text. An empty answer is not an error: see ``PrometheusMetrics``.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from relui.config import EnvironmentConfig, PrometheusConfig
from relui.domain import Color, Finding, MetricKind, Point, Series
from relui.ports import PortError, SourceUnavailable

T = TypeVar("T")
_TOKEN = re.compile(r"\{(namespace|release|color)\}")
_STATUS = re.compile(r"^HTTP Status Code (\d+) \((b?(['\"]).*\3)\)$", re.DOTALL)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_FIX_URL = "check [environments.prometheus] url"


def render_query(template: str, values: Mapping[str, str]) -> str:
    """Put ``{namespace}``, ``{release}`` and ``{color}`` into a PromQL template.

    Only those three exact tokens are replaced, in one pass; every other brace
    (``{code=~"5.."}``) is PromQL's own, which is why this is not ``str.format``.
    A token without a value is left as it is.
    """
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _number(what: str, raw: object, *, infinite_ok: bool = False) -> float | None:
    """A sample value as a float; NaN (0/0: no traffic) is no value, an infinity a broken answer.

    Prometheus writes ``"NaN"`` for a ratio of no traffic (an idle color), which
    is no data rather than a broken answer. An infinite error or request rate
    is errors over no requests: counters that disagree, or a query that
    divides wrongly. Taken as no value, it let a cutover through on "no data
    yet"; it raises, as anything that is not a number at all does. Only a
    latency quantile may be ``+Inf`` (beyond the last bucket): no value there.
    """
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise PortError(f"the {what} answered a sample value of type {type(raw).__name__}, expected a number")
    try:
        value = float(raw)
    except ValueError:
        raise PortError(f"the {what} answered a non-numeric sample value {_one_line(str(raw))[:40]!r}") from None
    if math.isinf(value) and not infinite_ok:
        raise PortError(f"the {what} answered {value:+}, a rate over no requests; check the query")
    return value if math.isfinite(value) else None


def _sample(what: str, item: Mapping[str, Any], *, infinite_ok: bool = False) -> float | None:
    """The value of one instant-vector series: ``"value": [stamp, "number"]``."""
    pair = item.get("value")
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise PortError(f"the {what} answered a series without a [time, value] sample; is the URL Prometheus' API?")
    return _number(what, pair[1], infinite_ok=infinite_ok)


def _points(what: str, item: Mapping[str, Any], *, infinite_ok: bool = False) -> list[Point]:
    """The samples of one range-vector series, NaN samples left out."""
    pairs = item.get("values")
    if not isinstance(pairs, list):
        raise PortError(f"the {what} answered a series without a list of samples; is the URL Prometheus' API?")
    points = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise PortError(f"the {what} answered a sample that is not [time, value]")
        stamp, value = _number(what, pair[0]), _number(what, pair[1], infinite_ok=infinite_ok)
        if stamp is None:
            raise PortError(f"the {what} answered a sample without a finite time")
        if value is not None:
            points.append(Point(datetime.fromtimestamp(stamp, UTC), value))
    return points


def _one_line(text: str) -> str:
    return " ".join(text.split())


class PrometheusMetrics:
    """The ``Metrics`` port over one environment's Prometheus.

    ``current`` answers a value (or None) for both colors when the query
    returned at least one series, and an EMPTY dict when it returned no series
    for any color: the metric or its labels do not exist (or nothing is
    scraped), which ``diagnose`` reports and a dashboard shows as no data.
    ``series`` always answers both colors; a color without data has an empty
    ``Series``. The constructor does no IO.
    """

    def __init__(self, env: EnvironmentConfig) -> None:
        if env.prometheus is None:
            raise ValueError(f"environment {env.name} has no [environments.prometheus] section")
        self.env = env
        self.config: PrometheusConfig = env.prometheus
        self.url = self.config.url.rstrip("/")
        self._session = requests.Session()
        # No retries: a refused connection shows on the dashboard now, not after
        # the client's default back-off; the next refresh is the retry.
        # read=False re-raises a read timeout as itself, so it stays a timeout.
        self._client = PrometheusConnect(
            url=self.url, session=self._session, retry=Retry(total=0, read=False), timeout=self.config.timeout_seconds
        )

    def _template(self, kind: MetricKind) -> str | None:
        templates = {
            MetricKind.ERROR_RATE: self.config.error_rate,
            MetricKind.REQUEST_RATE: self.config.request_rate,
            MetricKind.LATENCY_P95: self.config.latency_p95,
        }
        return templates[kind] or None

    def _required(self, kind: MetricKind) -> str:
        template = self._template(kind)
        if template is None:
            raise PortError(f"{kind} is not configured for {self.env.name}; add it under [environments.prometheus]")
        return template

    def _render(self, template: str, color: Color | None = None) -> str:
        values = {"namespace": self.env.namespace, "release": self.env.release}
        if color is not None:
            values["color"] = str(color)
        return render_query(template, values)

    def kinds(self) -> tuple[MetricKind, ...]:
        """The figures with a configured query (error_rate always)."""
        return tuple(kind for kind in MetricKind if self._template(kind))

    def _call(self, what: str, call: Callable[[], T]) -> T:
        """Run one request; turn every failure into one PortError line."""
        timeout = self.config.timeout_seconds
        try:
            return call()
        except requests.Timeout:
            raise SourceUnavailable(
                f"prometheus at {self.url} did not answer within {timeout:g}s; "
                "check the server's load or raise [environments.prometheus] timeout_seconds"
            ) from None
        except requests.ConnectionError as exc:
            found = _ERRNO.search(str(exc))
            reason = found.group(1).strip().lower() if found else "connection failed"
            raise SourceUnavailable(f"prometheus at {self.url} is unreachable: {reason}; {_FIX_URL}") from None
        except PrometheusApiClientException as exc:
            raise self._rejected(what, str(exc)) from None
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            # ValueError covers a body that is not JSON: the URL is not Prometheus' API.
            raise SourceUnavailable(
                f"prometheus at {self.url} gave no Prometheus answer to the {what} ({type(exc).__name__}); {_FIX_URL}"
            ) from None

    def _rejected(self, what: str, message: str) -> PortError:
        """The one line for a non-200 answer, with Prometheus' own error text."""
        status, body = "", message
        found = _STATUS.match(message)
        if found:
            # The client formats the body as a bytes repr; turn it back into text.
            status = found.group(1)
            try:
                raw = ast.literal_eval(found.group(2))
                body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            except (ValueError, SyntaxError):
                body = found.group(2)
        try:
            detail = str(json.loads(body).get("error") or body)
        except (ValueError, AttributeError):
            detail = body
        detail = _one_line(detail)[:300]
        if status in ("400", "422"):
            return PortError(f"prometheus rejected the {what}: {detail}; fix it in [environments.prometheus]")
        return SourceUnavailable(f"prometheus at {self.url} answered HTTP {status or '?'} to the {what}: {detail}")

    def _instant(self, what: str, query: str) -> list[dict[str, Any]]:
        params = {"timeout": f"{self.config.timeout_seconds:g}s"}
        result = self._call(what, lambda: self._client.custom_query(query, params=params))
        return self._vector(what, result)

    def _vector(self, what: str, result: Any) -> list[dict[str, Any]]:
        if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
            raise PortError(f"the {what} returned a scalar, expected a vector grouped by (color)")
        return result

    def _by_color(self, what: str, result: list[dict[str, Any]], color: Color | None) -> dict[Color, dict[str, Any]]:
        """Each color's one series; ``color`` set means the query was for that color alone."""
        found: dict[Color, dict[str, Any]] = {}
        if color is not None:
            if len(result) > 1:
                raise PortError(f"the {what} for {color} returned {len(result)} series; aggregate it to one (sum(...))")
            return {color: result[0]} if result else {}
        for item in result:
            labels = item.get("metric")
            label = labels.get("color") if isinstance(labels, dict) else None
            if label is None:
                raise PortError(f"the {what} returned a series without a color label; group it by (color)")
            try:
                series_color = Color(label)
            except ValueError:
                continue  # a third color (canary ...) is not relui's business
            if series_color in found:
                raise PortError(f"the {what} returned several series for {label}; aggregate it by (color)")
            found[series_color] = item
        return found

    def _per_color(
        self, kind: MetricKind, run: Callable[[str, str], list[dict[str, Any]]]
    ) -> dict[Color, dict[str, Any]]:
        """Run the kind's query once (split by label) or once per color (``{color}`` template)."""
        template, what = self._required(kind), f"{kind} query"
        if "{color}" not in template:
            return self._by_color(what, run(what, self._render(template)), None)
        found: dict[Color, dict[str, Any]] = {}
        for color in Color:
            found.update(self._by_color(what, run(what, self._render(template, color)), color))
        return found

    def current(self, kind: MetricKind) -> dict[Color, float | None]:
        """The instant value per color; ``{}`` when the query found no series at all."""
        found = self._per_color(kind, self._instant)
        if not found:
            return {}
        what = f"{kind} query"
        quantile = kind is MetricKind.LATENCY_P95
        return {color: _sample(what, found[color], infinite_ok=quantile) if color in found else None for color in Color}

    def series(self, kind: MetricKind, minutes: int, step_seconds: int) -> dict[Color, Series]:
        """A range query over the last ``minutes``; gaps and NaN samples are left out."""
        end = datetime.now(UTC)
        start = end - timedelta(minutes=minutes)
        params = {"timeout": f"{self.config.timeout_seconds:g}s"}

        def run(what: str, query: str) -> list[dict[str, Any]]:
            result = self._call(
                what, lambda: self._client.custom_query_range(query, start, end, str(step_seconds), params=params)
            )
            return self._vector(what, result)

        found, what = self._per_color(kind, run), f"{kind} range query"
        quantile = kind is MetricKind.LATENCY_P95
        return {
            color: Series(tuple(_points(what, found[color], infinite_ok=quantile) if color in found else ()))
            for color in Color
        }

    def _summed(self, kind: MetricKind) -> str:
        """The kind's query summed over both colors, as one label-less expression."""
        template = self._required(kind)
        if "{color}" not in template:
            return f"sum(({self._render(template)}))"
        # Each color's answer gets its own label first, so `or` cannot drop one
        # color's series for having the same labels as the other's.
        tagged = [
            f'label_replace(({self._render(template, color)}), "relui_color", "{color}", "", "")' for color in Color
        ]
        return f"sum({' or '.join(tagged)})"

    def max_sustained(
        self, kind: MetricKind, window_minutes: int, lookback_minutes: int, step_seconds: int = 60
    ) -> float | None:
        """The highest value held for a whole window within the lookback, or None without data.

        For request_rate that is the peak load the environment carried for
        ``window_minutes`` on end (summed over both colors): max over time of
        min over time, evaluated by Prometheus as nested subqueries.
        """
        step = f"{step_seconds}s"
        query = (
            f"max_over_time(min_over_time(({self._summed(kind)})[{window_minutes}m:{step}])"
            f"[{lookback_minutes}m:{step}])"
        )
        what = f"sustained {kind} query"
        result = self._instant(what, query)
        return _sample(what, result[0]) if result else None

    def _get(self, path: str) -> Any:
        """GET one API path and return its parsed JSON ``data``."""
        what = f"request for {path}"

        def fetch() -> Any:
            response = self._session.get(f"{self.url}{path}", timeout=self.config.timeout_seconds)
            if response.status_code != 200:
                raise PrometheusApiClientException(f"HTTP Status Code {response.status_code} ({response.content!r})")
            if path.startswith("/api/"):
                return response.json()["data"]
            return response.text

        return self._call(what, fetch)

    def ready(self) -> str:
        """Prometheus' readiness and version, as one line; raises PortError when not ready."""
        self._get("/-/ready")
        try:
            info = self._get("/api/v1/status/buildinfo")
            version = str(info.get("version", "?")) if isinstance(info, dict) else "?"
        except PortError:
            version = "?"  # an older or proxied server may not expose it; ready is what matters
        return f"{self.url} is ready (Prometheus {version})"

    def rules_loaded(self) -> int:
        """How many recording and alerting rules the server has loaded."""
        data = self._get("/api/v1/rules")
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise PortError(f"prometheus at {self.url} answered the rules request without a list of groups")
        return sum(len(group.get("rules") or []) for group in groups)


def _describe(values: dict[Color, float | None]) -> str:
    return ", ".join(f"{color} {'-' if value is None else f'{value:g}'}" for color, value in values.items())


def diagnose(env: EnvironmentConfig) -> list[Finding]:
    """``relui doctor`` for one environment's Prometheus: reachable, and each query answers."""
    if env.prometheus is None:
        return []
    metrics = PrometheusMetrics(env)
    try:
        findings = [Finding("prometheus", True, metrics.ready())]
    except PortError as exc:
        fix = f"start Prometheus or correct [environments.prometheus] url for {env.name}"
        return [Finding("prometheus", False, str(exc), fix)]
    for kind in metrics.kinds():
        source = f"prometheus {kind}"
        fix = (
            f"check the metric name and the namespace/release labels of [environments.prometheus] {kind} "
            "and that the application is scraped"
        )
        try:
            values = metrics.current(kind)
        except PortError as exc:
            findings.append(Finding(source, False, str(exc), fix))
            continue
        if values:
            findings.append(Finding(source, True, f"answers per color: {_describe(values)}"))
        else:
            findings.append(Finding(source, False, f"the {kind} query returned no series for {env.namespace}", fix))
    return findings
