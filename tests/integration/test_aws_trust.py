"""An STS that cannot prove itself with a public CA proves no one, whatever AWS_CA_BUNDLE says.

With ``AWS_CA_BUNDLE`` naming a CA of one's own and ``HTTPS_PROXY`` a proxy of one's own,
the proxy could answer ``GetCallerIdentity`` as anyone: the product owner, verified. Here
the impostor is an https server on 127.0.0.1 whose certificate that CA signed, at the
configured endpoint's place; relui must refuse it, and not as an outage (a dark source
lets a rollback go ahead under claimed roles).
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from relui.adapters.identity_aws import AwsIdentity
from relui.config import AwsConfig, ConfigError, load_config
from relui.ports import PortError, SourceUnavailable
from tests.integration.test_identity import config_with
from tests.integration.test_identity_pinning import make_ca, server_files

OWNER = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Release_0a1b/owner@example.com"
ANSWER = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    f"<Arn>{OWNER}</Arn><UserId>AROAEXAMPLE:owner</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
).encode()


class _Impostor(BaseHTTPRequestHandler):
    asked: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """An STS impostor on 127.0.0.1 over https: its URL, the CA that signed its certificate, what it was asked."""
    ca = make_ca(tmp_path, "inspecting-proxy-ca")
    cert_file, key_file = server_files(tmp_path, ca)
    asked: list[str] = []
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Impostor", (_Impostor,), {"asked": asked}))
    except OSError as exc:
        pytest.fail(f"cannot start the STS impostor on 127.0.0.1: {exc}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", ca.pem, asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_sts_trusted_only_through_aws_ca_bundle_proves_no_one(
    impostor: tuple[str, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_pem, asked = impostor
    monkeypatch.setenv("AWS_CA_BUNDLE", str(ca_pem))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBOB")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bob-secret")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    identity = AwsIdentity.of(AwsConfig(region="eu-central-1", endpoint_url=url))
    with pytest.raises(PortError) as refused:
        identity.whoami()
    assert not isinstance(refused.value, SourceUnavailable), "a server that answered is no outage"
    assert "did not prove itself" in str(refused.value) and "bob-secret" not in str(refused.value)
    assert asked == [], "the impostor was asked who acts"


def test_the_ca_the_config_names_is_the_one_aws_proves_itself_with(
    impostor: tuple[str, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same server, trusted through [environments.aws] ca_bundle (a private endpoint's CA): it vouches.
    url, ca_pem, asked = impostor
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBOB")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bob-secret")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    config = config_with(tmp_path, "aws", aws=AwsConfig(region="eu-central-1", endpoint_url=url))
    relative = os.path.relpath(ca_pem, config.parent)
    text = config.read_text().replace(f'endpoint_url = "{url}"', f'endpoint_url = "{url}"\nca_bundle = "{relative}"', 1)
    config.write_text(text)
    aws = load_config(config).env("prod").aws
    assert aws is not None and aws.ca_bundle == str(ca_pem.resolve())
    assert AwsIdentity.of(aws).whoami().principal == OWNER
    assert asked == ["/"]


def test_a_ca_bundle_that_is_not_there_is_a_config_error(tmp_path: Path) -> None:
    config = config_with(tmp_path, "aws", aws=AwsConfig(region="eu-central-1", endpoint_url="http://127.0.0.1:9"))
    config.write_text(config.read_text().replace('endpoint_url = "http://127.0.0.1:9"', 'ca_bundle = "prod-ca.pem"', 1))
    with pytest.raises(ConfigError, match=r"aws\.ca_bundle.*no file at"):
        load_config(config)
