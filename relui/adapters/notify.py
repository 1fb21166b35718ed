"""Release news to people: a Slack incoming webhook and SMTP mail.

The secrets (the webhook URL, the SMTP password) are read from environment
variables named in config, at send time, and never appear in what this module
returns: every failure line is scrubbed of them. ``send`` never raises; a
release must not fail because a chat channel is down.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from urllib.parse import urlsplit

from relui.config import NotificationsConfig, SmtpConfig


def _reason(exc: BaseException) -> str:
    """A network failure in a few lower-case words ("connection refused", "timed out")."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return " ".join(str(exc).split()) or type(exc).__name__


class ChannelNotifier:
    """The ``Notifier`` port over the channels configured in ``[notifications]``.

    ``environ`` is where the secrets' variables are looked up (the process
    environment unless a test passes its own); it is read on every send, so a
    rotated secret is picked up without a restart.
    """

    def __init__(self, notifications: NotificationsConfig, environ: Mapping[str, str] | None = None) -> None:
        self.config = notifications
        self._environ = environ

    def _env(self, name: str) -> str | None:
        return (self._environ if self._environ is not None else os.environ).get(name) or None

    def _secrets(self) -> list[str]:
        """Every secret value in play, and the webhook's path (its token), to scrub from lines."""
        names = [self.config.slack_webhook_env, self.config.smtp.password_env if self.config.smtp else None]
        secrets = [value for name in names if name and (value := self._env(name))]
        webhook = self._env(self.config.slack_webhook_env) if self.config.slack_webhook_env else None
        if webhook:
            parts = urlsplit(webhook)
            secrets.extend(part for part in (parts.path, parts.query) if len(part) > 1)
        return sorted(secrets, key=len, reverse=True)

    def send(self, subject: str, body: str) -> list[str]:
        """Send to every channel; one line per channel that failed, never an exception."""
        failures: list[str] = []
        channels: list[tuple[str, Callable[[str, str], str | None]]] = []
        if self.config.slack_webhook_env:
            channels.append(("slack", self._slack))
        if self.config.smtp:
            smtp = self.config.smtp
            channels.append((f"smtp {smtp.host}:{smtp.port}", lambda s, b: self._mail(smtp, s, b)))
        for name, channel in channels:
            try:
                line = channel(subject, body)
            except Exception as exc:  # noqa: BLE001 - a notification must never break a release
                line = f"{name}: unexpected {type(exc).__name__}: {_reason(exc)}"
            if line:
                failures.append(self._scrub(line))
        return failures

    def _scrub(self, line: str) -> str:
        for secret in self._secrets():
            line = line.replace(secret, "***")
        return " ".join(line.split())

    def _slack(self, subject: str, body: str) -> str | None:
        """POST the message to the incoming webhook; a failure line or None."""
        name = self.config.slack_webhook_env or ""
        url = self._env(name)
        if not url:
            return f"slack: webhook env var {name} is not set"
        if urlsplit(url).scheme not in ("http", "https"):
            return f"slack: env var {name} does not hold an https:// webhook URL"
        payload = json.dumps({"text": f"*{subject}*\n{body}"}).encode("utf-8")
        request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"}, method="POST")
        timeout = self.config.timeout_seconds
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            return f"slack: webhook answered HTTP {exc.code} {detail or exc.reason}; check {name}"
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return f"slack: webhook did not answer within {timeout:g}s"
            reason = _reason(exc.reason) if isinstance(exc.reason, BaseException) else str(exc.reason)
            return f"slack: webhook unreachable: {reason}"
        except TimeoutError:
            return f"slack: webhook did not answer within {timeout:g}s"
        return None

    def _mail(self, smtp: SmtpConfig, subject: str, body: str) -> str | None:
        """Deliver one mail to every recipient; a failure line or None."""
        where = f"smtp {smtp.host}:{smtp.port}"
        password = None
        if smtp.password_env:
            password = self._env(smtp.password_env)
            if not password:
                return f"{where}: password env var {smtp.password_env} is not set"
            if not smtp.username:
                return f"{where}: password_env is set but username is not; set [notifications.smtp] username"
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = smtp.sender
        message["To"] = ", ".join(smtp.recipients)
        message.set_content(body)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
                server.ehlo()
                if smtp.starttls:
                    if not server.has_extn("starttls"):
                        return (
                            f"{where}: server does not offer STARTTLS; point [notifications.smtp] at a TLS relay "
                            "(starttls = false only for a relay on this host)"
                        )
                    server.starttls(context=ssl.create_default_context())
                    server.ehlo()
                if smtp.username and password:
                    server.login(smtp.username, password)
                refused = server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            return f"{where}: login as {smtp.username} failed ({exc.smtp_code}); check {smtp.password_env}"
        except smtplib.SMTPRecipientsRefused as exc:
            return f"{where}: every recipient refused: {', '.join(exc.recipients)}"
        except smtplib.SMTPSenderRefused as exc:
            return f"{where}: sender {smtp.sender} refused ({exc.smtp_code})"
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            return f"{where}: server answered {exc.smtp_code} {text}"
        except smtplib.SMTPServerDisconnected:
            return f"{where}: the server closed the connection"
        except smtplib.SMTPException as exc:
            return f"{where}: {_reason(exc)}"
        except ssl.SSLError as exc:
            return f"{where}: TLS failed: {exc.reason or _reason(exc)}"
        except TimeoutError:
            return f"{where}: did not answer within {smtp.timeout_seconds:g}s"
        except OSError as exc:
            return f"{where}: {_reason(exc)}"
        if refused:
            return f"{where}: some recipients refused: {', '.join(refused)}"
        return None
