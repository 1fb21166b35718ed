"""ChannelNotifier against a real HTTP server (Slack webhook) and a real SMTP server, on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from relui.adapters.notify import ChannelNotifier
from relui.config import NotificationsConfig, SmtpConfig
from tests.integration.prom_fixtures import free_port

pytestmark = pytest.mark.integration
HOOK_PATH = "/services/T0RELUI/B0RELUI/s3cr3tW3bh00kT0k3n"
PASSWORD = "pa55-w0rd-never-shown"


def assert_no_secret(lines: list[str], *secrets: str) -> None:
    for line in lines:
        assert "\n" not in line
        for secret in (HOOK_PATH, PASSWORD, "s3cr3tW3bh00kT0k3n", *secrets):
            assert secret not in line, line


def slack_only(timeout: float = 5.0) -> NotificationsConfig:
    return NotificationsConfig(slack_webhook_env="RELUI_SLACK_WEBHOOK", timeout_seconds=timeout)


def test_slack_receives_the_message_as_json(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("ok")
    notifier = ChannelNotifier(slack_only(), {"RELUI_SLACK_WEBHOOK": httpserver.url_for(HOOK_PATH)})
    assert notifier.send("qa: cutover to 1.6.0", "alice moved live traffic blue -> green") == []
    httpserver.check_assertions()
    request, _response = httpserver.log[0]
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == {"text": "*qa: cutover to 1.6.0*\nalice moved live traffic blue -> green"}


def test_slack_failures_are_lines_without_the_webhook(httpserver: HTTPServer) -> None:
    url = httpserver.url_for(HOOK_PATH)
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data(f"invalid_token for {HOOK_PATH}", status=403)
    lines = ChannelNotifier(slack_only(), {"RELUI_SLACK_WEBHOOK": url}).send("s", "b")
    assert len(lines) == 1 and lines[0].startswith("slack: webhook answered HTTP 403 invalid_token for ***")
    assert ChannelNotifier(slack_only(), {}).send("s", "b") == ["slack: webhook env var RELUI_SLACK_WEBHOOK is not set"]
    down = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    assert ChannelNotifier(slack_only(), {"RELUI_SLACK_WEBHOOK": down}).send("s", "b") == [
        "slack: webhook unreachable: connection refused"
    ]
    assert_no_secret(lines, url, down)


def test_slow_slack_times_out(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(0.5)
        return Response("ok")

    httpserver.expect_request(HOOK_PATH).respond_with_handler(slow)
    notifier = ChannelNotifier(slack_only(timeout=0.2), {"RELUI_SLACK_WEBHOOK": httpserver.url_for(HOOK_PATH)})
    assert notifier.send("s", "b") == ["slack: webhook did not answer within 0.2s"]


@dataclass
class Mailbox:
    """What the SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


def check_password(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"relui" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 without STARTTLS, accepting AUTH (relui / PASSWORD) over plain text."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=check_password, auth_require_tls=False
    )
    try:
        controller.start()
    except Exception as exc:  # noqa: BLE001 - say why the server did not start, then fail
        pytest.fail(f"aiosmtpd could not start on 127.0.0.1:{port}: {exc}", pytrace=False)
    yield SmtpServer(port, mailbox)
    controller.stop()


def mail_config(port: int, **changes: Any) -> NotificationsConfig:
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=port,
        sender="relui@shop.example",
        recipients=("release@shop.example", "owner@shop.example"),
        starttls=False,
        timeout_seconds=5.0,
    )
    return NotificationsConfig(smtp=SmtpConfig(**{**smtp.__dict__, **changes}))


def test_mail_is_delivered_over_plain_smtp(smtp_server: SmtpServer) -> None:
    notifier = ChannelNotifier(mail_config(smtp_server.port), {})
    assert notifier.send("prod: rollback of 1.6.0", "error rate 9% > 5%; back on blue 1.4.2") == []
    (message,) = smtp_server.mailbox.messages
    assert message["Subject"] == "prod: rollback of 1.6.0"
    assert message["To"] == "release@shop.example, owner@shop.example"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode().strip() == "error rate 9% > 5%; back on blue 1.4.2"
    assert smtp_server.mailbox.envelopes == [("relui@shop.example", ["release@shop.example", "owner@shop.example"])]


def test_mail_login_uses_the_password_from_env_and_never_shows_it(smtp_server: SmtpServer) -> None:
    config = mail_config(smtp_server.port, username="relui", password_env="RELUI_SMTP_PASSWORD")
    assert ChannelNotifier(config, {"RELUI_SMTP_PASSWORD": PASSWORD}).send("s", "b") == []
    assert len(smtp_server.mailbox.messages) == 1
    where = f"smtp 127.0.0.1:{smtp_server.port}"
    wrong = ChannelNotifier(config, {"RELUI_SMTP_PASSWORD": "wrong-" + PASSWORD}).send("s", "b")
    assert wrong == [f"{where}: login as relui failed (535); check RELUI_SMTP_PASSWORD"]
    unset = ChannelNotifier(config, {}).send("s", "b")
    assert unset == [f"{where}: password env var RELUI_SMTP_PASSWORD is not set"]
    assert_no_secret(wrong + unset, "wrong-" + PASSWORD)


def test_starttls_against_a_server_without_it_is_a_line(smtp_server: SmtpServer) -> None:
    lines = ChannelNotifier(mail_config(smtp_server.port, starttls=True), {}).send("s", "b")
    assert len(lines) == 1
    assert lines[0].startswith(f"smtp 127.0.0.1:{smtp_server.port}: server does not offer STARTTLS")
    assert smtp_server.mailbox.messages == []


def test_every_failed_channel_is_one_line_and_nothing_raises() -> None:
    port = free_port()
    config = NotificationsConfig(
        slack_webhook_env="RELUI_SLACK_WEBHOOK",
        smtp=mail_config(port, username="relui", password_env="RELUI_SMTP_PASSWORD").smtp,
    )
    webhook = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    lines = ChannelNotifier(config, {"RELUI_SLACK_WEBHOOK": webhook, "RELUI_SMTP_PASSWORD": PASSWORD}).send("s", "b")
    assert lines == ["slack: webhook unreachable: connection refused", f"smtp 127.0.0.1:{port}: connection refused"]
    assert_no_secret(lines, webhook)


def test_process_environment_is_read_at_send_time(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    httpserver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("ok")
    notifier = ChannelNotifier(slack_only())
    monkeypatch.setenv("RELUI_SLACK_WEBHOOK", httpserver.url_for(HOOK_PATH))
    assert notifier.send("s", "b") == []
    httpserver.check_assertions()
