"""A kubernetes identity is vouched for by the config's API server only, whatever the kubeconfig says.

Tried as an operator who wants another's roles, with one environment variable
each: a KUBECONFIG whose context points at a server of their own (which
answers any token as alice, a devops), an HTTP_PROXY that answers for the
cluster, and, against an https API server, a kubeconfig that carries their own
CA with ``insecure-skip-tls-verify`` and ``tls-server-name``. Every server is
real and on loopback: kmock API servers, and a TLS server with certificates
made here (``cryptography``) from two CAs, the cluster's and the impostor's.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from relui.config import ConfigError, load_config
from relui.identity import resolve_identity
from tests.conftest import ROOT
from tests.integration.kube_identity import SELF_SUBJECT_REVIEWS, USERS, KubeAuth, kube_auth  # noqa: F401
from tests.integration.test_identity import config_with

REVIEW_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def _as_alice(request: Any) -> dict[str, Any]:
    """The impostor's answer to any token: alice, in alice's groups."""
    return {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
        "status": {"userInfo": {"username": "alice@example.com", "groups": list(USERS["t0ken-of-alice"][1])}},
    }


def bob_kubeconfig(path: Path, server: str, cluster: dict[str, Any] | None = None) -> Path:
    """bob's token in a context named as the config expects (``alice-ctx``), on ``server``."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "bob", "user": {"token": "t0ken-of-bob"}}],
        "contexts": [{"name": "alice-ctx", "context": {"cluster": "c", "user": "bob"}}],
        "current-context": "alice-ctx",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


async def test_a_kubeconfig_pointing_at_another_server_proves_no_one(
    kube_auth: KubeAuth,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = load_config(config_with(tmp_path, "kubernetes", api_server=kube_auth.url))
    async with kmock.KubernetesScaffold() as impostor, kmock.Server(impostor, host="127.0.0.1") as server:
        impostor["post", SELF_SUBJECT_REVIEWS] << _as_alice
        elsewhere = str(server.url).rstrip("/")
        kubeconfig = bob_kubeconfig(tmp_path / "mine", elsewhere)
        found = await asyncio.to_thread(resolve_identity, config, config.env("prod"), kubeconfig=str(kubeconfig))
        asked = list(impostor["post", SELF_SUBJECT_REVIEWS])
    assert (found.verified, found.roles, found.dark) == (False, (), False)
    assert f"points at {elsewhere}, not prod's api_server {kube_auth.url.rstrip('/')}" in found.how
    assert asked == [], "the impostor was asked who acts"
    assert list(kube_auth.scaffold["post", SELF_SUBJECT_REVIEWS]) == []


async def test_a_proxy_cannot_answer_for_a_loopback_api_server(
    kube_auth: KubeAuth,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load_config(config_with(tmp_path, "kubernetes", api_server=kube_auth.url))
    for proxy in serve(tmp_path, None):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        kubeconfig = bob_kubeconfig(tmp_path / "mine", kube_auth.url)
        found = await asyncio.to_thread(resolve_identity, config, config.env("prod"), kubeconfig=str(kubeconfig))
        # The cluster itself answered: bob's token is bob's, and bob has no entry and no roles.
        assert (found.principal, found.verified, found.roles) == ("bob@example.com", True, ())
        assert proxy.answered == []


# -- https: the cluster's CA, and an impostor's --------------------------------


@dataclass
class Authority:
    """A CA: its key, its certificate and that certificate's PEM file."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(directory: Path, common: str) -> Authority:
    """A self-signed CA valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = directory / f"{common}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(key, cert, pem)


def server_files(directory: Path, ca: Authority) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by ``ca``, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca.key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"server-of-{ca.pem.stem}.crt", directory / f"server-of-{ca.pem.stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class _Reviews(BaseHTTPRequestHandler):
    """Answers SelfSubjectReview per bearer token, as kube_identity's server does, over TLS."""

    answered: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # The scheme is case-insensitive, as an API server reads it: the in-cluster loader sends "bearer".
        scheme, _, token = str(self.headers.get("Authorization", "")).partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        self.answered.append(token)
        username, groups = USERS.get(token, ("system:anonymous", ("system:unauthenticated",)))
        if self.path != REVIEW_PATH:
            self.send_error(404)
            return
        body = json.dumps({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "status": {"userInfo": {"username": username, "groups": list(groups)}},
        }).encode()  # fmt: skip
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class TlsServer:
    """An API server on loopback, and the tokens it was asked about."""

    url: str
    answered: list[str]


@pytest.fixture
def cluster_ca(tmp_path: Path) -> Authority:
    return make_ca(tmp_path, "cluster-ca")


@pytest.fixture
def impostor_ca(tmp_path: Path) -> Authority:
    return make_ca(tmp_path, "impostor-ca")


def serve(tmp_path: Path, ca: Authority | None) -> Iterator[TlsServer]:
    """The reviews server on 127.0.0.1: https with a certificate ``ca`` signed, or plain http without one."""
    answered: list[str] = []
    handler = type("Reviews", (_Reviews,), {"answered": answered})
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    except OSError as exc:
        pytest.fail(f"cannot start the TLS API server on 127.0.0.1: {exc}")
    if ca is not None:
        cert_file, key_file = server_files(tmp_path, ca)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"{'https' if ca else 'http'}://127.0.0.1:{httpd.server_address[1]}", answered)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def real_cluster(tmp_path: Path, cluster_ca: Authority) -> Iterator[TlsServer]:
    """The cluster's API server: its certificate chains to the cluster's CA."""
    yield from serve(tmp_path, cluster_ca)


@pytest.fixture
def impostor(tmp_path: Path, impostor_ca: Authority) -> Iterator[TlsServer]:
    """A server at the pinned address's place (a MITM): its certificate chains to the impostor's own CA."""
    yield from serve(tmp_path, impostor_ca)


def tls_config(tmp_path: Path, server: TlsServer, ca: Authority) -> Path:
    path = config_with(tmp_path, "kubernetes", api_server=server.url)
    text = path.read_text().replace(
        f'api_server = "{server.url}"', f'api_server = "{server.url}"\ncertificate_authority = "{ca.pem.name}"'
    )
    path.write_text(text)
    return path


def hostile_cluster(ca: Authority) -> dict[str, Any]:
    """What an impostor's kubeconfig says of the cluster: trust my CA, or nothing, under any name."""
    data = base64.b64encode(ca.pem.read_bytes()).decode()
    return {"certificate-authority-data": data, "insecure-skip-tls-verify": True, "tls-server-name": "impostor"}


def test_an_https_api_server_proves_itself_with_the_configured_ca_only(
    tmp_path: Path, real_cluster: TlsServer, cluster_ca: Authority, impostor_ca: Authority
) -> None:
    config = load_config(tls_config(tmp_path, real_cluster, cluster_ca))
    # The kubeconfig trusts the impostor's CA (or nothing): relui checks the cluster's CA regardless, and it holds.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "alice-ctx",
        "clusters": [{"name": "c", "cluster": {"server": real_cluster.url, **hostile_cluster(impostor_ca)}}],
        "users": [{"name": "alice", "user": {"token": "t0ken-of-alice"}}],
        "contexts": [{"name": "alice-ctx", "context": {"cluster": "c", "user": "alice"}}],
    }))  # fmt: skip
    found = resolve_identity(config, config.env("prod"), kubeconfig=str(kubeconfig))
    assert (found.user, found.verified, found.roles) == ("alice", True, ("devops",))
    assert real_cluster.answered == ["t0ken-of-alice"]


def test_a_server_that_cannot_prove_itself_with_the_configured_ca_proves_no_one(
    tmp_path: Path, impostor: TlsServer, cluster_ca: Authority, impostor_ca: Authority
) -> None:
    # The config pins the cluster's CA at the address where the impostor answers; its kubeconfig vouches for it.
    config = load_config(tls_config(tmp_path, impostor, cluster_ca))
    kubeconfig = bob_kubeconfig(tmp_path / "mine", impostor.url, hostile_cluster(impostor_ca))
    found = resolve_identity(config, config.env("prod"), kubeconfig=str(kubeconfig))
    assert (found.verified, found.roles, found.dark) == (False, (), False)
    assert "did not prove itself with prod's certificate_authority" in found.how
    assert impostor.answered == [], "a token was sent to a server that did not prove itself"


def test_whoami_names_the_server_a_kubeconfig_points_at_instead(
    kube_auth: KubeAuth,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = config_with(tmp_path, "kubernetes", api_server=kube_auth.url)
    elsewhere = bob_kubeconfig(tmp_path / "mine", "http://127.0.0.1:9")
    env = {**os.environ, "KUBECONFIG": str(elsewhere), "RELUI_USER": "alice", "RELUI_CONFIG": str(path)}
    env["RELUI_STATE_DIR"] = str(tmp_path / "state")
    who = subprocess.run(
        [sys.executable, "-m", "relui", "whoami", "prod"], env=env, capture_output=True, text=True, cwd=ROOT,
        timeout=120,
    )  # fmt: skip
    # Refused on a protected environment: exit 3, saying which server the kubeconfig points at.
    assert who.returncode == 3, who.stderr
    assert "kubeconfig alice-ctx points at http://127.0.0.1:9, not prod's api_server" in who.stdout
    assert "roles      none" in who.stdout


@pytest.mark.parametrize(
    ("identity", "says"),
    [
        ('kind = "kubernetes"', 'api_server: kind = "kubernetes" needs the API server'),
        ('kind = "kubernetes"\napi_server = "http://10.0.0.1:6443"', "is plain http"),
        ('kind = "kubernetes"\napi_server = "https://10.0.0.1:6443"', "certificate_authority: an https api_server"),
        (
            'kind = "kubernetes"\napi_server = "https://10.0.0.1"\ncertificate_authority = "nope.pem"',
            "certificate_authority: no file at",
        ),
        ('kind = "kubernetes"\napi_server = "10.0.0.1:6443"', "expected a URL like"),
        ('kind = "kubernetes"\napi_server = "http://[::1"', "is no URL (Invalid IPv6 URL)"),
        ('kind = "kubernetes"\napi_server = "http://127.0.0.1:99999"', "is no URL (Port out of range"),
    ],
)
def test_an_unpinned_kubernetes_identity_is_a_config_error(tmp_path: Path, identity: str, says: str) -> None:
    path = config_with(tmp_path, "local")
    local = '[environments.identity]\nkind = "local"'
    path.write_text(path.read_text().replace(local, f"[environments.identity]\n{identity}"))
    with pytest.raises(ConfigError, match=r"environments\.prod\.identity") as raised:
        load_config(path)
    assert says in str(raised.value)


async def test_a_kubeconfig_spelling_the_pinned_server_another_way_proves_no_one(
    kube_auth: KubeAuth,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Read as urlsplit reads it, ``http://mine\\@pinned`` is the pinned server; urllib3 connects to mine."""
    config = load_config(config_with(tmp_path, "kubernetes", api_server=kube_auth.url))
    pinned = kube_auth.url.rstrip("/").removeprefix("http://")
    for mine in serve(tmp_path, None):
        # A tab urlsplit drops from the host, urllib3 refuses: not an outage (a rollback's claimed roles), a refusal.
        for server in (f"{mine.url}\\@{pinned}", kube_auth.url.rstrip("/").replace("127.0.0.1", "127.0.\t0.1")):
            kubeconfig = bob_kubeconfig(tmp_path / "mine", server)
            found = await asyncio.to_thread(resolve_identity, config, config.env("prod"), kubeconfig=str(kubeconfig))
            assert (found.verified, found.roles, found.dark) == (False, (), False), found.how
            assert "points at" in found.how
        assert mine.answered == [], "bob's own server was asked who acts"
