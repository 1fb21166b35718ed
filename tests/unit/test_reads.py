"""Deciding an action looks at each source once, even a source that is down."""

from __future__ import annotations

import pytest

from relui.ports import SourceUnavailable
from relui.services.context import Context
from relui.services.reads import ReadOnce, read_once
from relui.services.release import ReleaseService


class DarkPrometheus:
    calls = 0

    def current(self, kind: object) -> dict[object, float | None]:
        DarkPrometheus.calls += 1
        raise SourceUnavailable("prometheus did not answer within 5s")


def test_a_failing_read_is_tried_once_and_its_error_repeated() -> None:
    port = ReadOnce(DarkPrometheus())
    for _ in range(3):
        with pytest.raises(SourceUnavailable, match="within 5s"):
            port.current("error_rate")
    assert DarkPrometheus.calls == 1


def test_a_deciding_context_cannot_act(ctx: Context) -> None:
    deciding = read_once(ctx)
    with pytest.raises(AttributeError, match="not a read"):
        deciding.env_ports("qa").releases.deploy  # noqa: B018
    assert deciding.env_ports("qa").releases.history() == deciding.env_ports("qa").releases.history()


def test_one_cutover_check_reads_the_release_history_once(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    service = ReleaseService(ctx)
    assert service.deploy("prod", "1.6.0").ok
    releases = ctx.env_ports("prod").releases
    calls = []
    history = releases.history
    monkeypatch.setattr(releases, "history", lambda: calls.append(1) or history())
    service.check("cutover", "prod")
    assert len(calls) == 1
