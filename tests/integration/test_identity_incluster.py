"""In a pod's place, the service account vouches only through the config's pinned API server and its CA.

With no kubeconfig and ``KUBERNETES_SERVICE_HOST`` set, the kubernetes client
takes the server from ``KUBERNETES_SERVICE_HOST``/``PORT`` and the token and CA
from the service-account files. On a bastion anyone can set those: here an
operator who wants alice's roles points them at a server of their own (which
answers their made-up token as alice) with its CA as the ``ca.crt``, or puts
that server at the pinned address. Neither proves anyone (not dark either: no
claimed roles ride along), the impostor is never asked, and the CLI refuses
``whoami`` and ``signoff`` on PROD. A genuine service account on the pinned
server is alice, whatever CA its ``ca.crt`` holds, and signs off as alice.

The library reads the account from fixed paths under /var/run; the tests point
its module constants (``SERVICE_TOKEN_FILENAME``, ``SERVICE_CERT_FILENAME``) at
files of their own. Every server is real and on loopback: the TLS API servers
of ``test_identity_pinning``, with certificates from the cluster's CA and the
impostor's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes import client
from kubernetes import config as kube_config
from kubernetes.config import incluster_config

from relui.config import load_config
from relui.domain import Principal
from relui.identity import resolve_principals
from tests.conftest import ROOT
from tests.integration.test_identity_pinning import (  # noqa: F401 - the fixtures
    Authority,
    TlsServer,
    cluster_ca,
    impostor,
    impostor_ca,
    real_cluster,
    tls_config,
)

# The child CLI reads the service account from this test's files (the library's paths), then runs relui as installed.
CHILD = (
    "import sys\n"
    "from kubernetes.config import incluster_config\n"
    "incluster_config.SERVICE_TOKEN_FILENAME = sys.argv.pop(1)\n"
    "incluster_config.SERVICE_CERT_FILENAME = sys.argv.pop(1)\n"
    "from relui.entry import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


@dataclass
class ServiceAccount:
    """The in-cluster account as this test set it: token and CA files, and the environment naming the server."""

    token: Path
    ca: Path
    env: dict[str, str]


@dataclass
class Pod:
    """The pinned cluster, an impostor with a CA of its own, and a service account to point at either."""

    cluster: TlsServer
    impostor: TlsServer
    cluster_ca: Authority
    impostor_ca: Authority
    mount: Callable[[TlsServer, Authority, str], ServiceAccount]


@pytest.fixture
def pod(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_cluster: TlsServer,  # noqa: F811
    impostor: TlsServer,  # noqa: F811
    cluster_ca: Authority,  # noqa: F811
    impostor_ca: Authority,  # noqa: F811
) -> Pod:
    """This process as a pod whose service account ``mount`` names a server, trusts a CA and holds a token."""
    directory = tmp_path / "serviceaccount"
    directory.mkdir()
    token, ca = directory / "token", directory / "ca.crt"
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    # No kubeconfig anywhere: the in-cluster path is the one taken.
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(proxy, raising=False)

    def mount(server: TlsServer, authority: Authority, secret: str) -> ServiceAccount:
        url = urlsplit(server.url)
        token.write_text(secret)  # as kubelet writes it: no newline
        ca.write_bytes(authority.pem.read_bytes())
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", str(url.hostname))
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(url.port))
        return ServiceAccount(token, ca, dict(os.environ))

    return Pod(real_cluster, impostor, cluster_ca, impostor_ca, mount)


def prod_principal(config_path: Path) -> Principal:
    """Who PROD takes the caller for, resolved as the CLI resolves it (KUBECONFIG from the environment)."""
    config = load_config(config_path)
    return resolve_principals(config, ["prod"])["prod"]


def library_says(account: ServiceAccount) -> str:
    """Whom the kubernetes library, left to the service account alone, would take the caller for."""
    configuration = client.Configuration()
    kube_config.load_incluster_config(client_configuration=configuration)
    review = client.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview")
    answer: Any = client.AuthenticationV1Api(client.ApiClient(configuration)).create_self_subject_review(
        review, _request_timeout=(5.0, 15.0)
    )
    return str(answer.status.user_info.username)


def relui(account: ServiceAccount, tmp_path: Path, config_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The relui CLI in a process of its own, in the account's environment."""
    env = {**account.env, "RELUI_CONFIG": str(config_path), "RELUI_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(account.token), str(account.ca), *args],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip


def signing_config(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PROD's sign-offs SSH-signed, alice's key allowed for devops and named by $RELUI_SIGNING_KEY."""
    key = path.parent / "id_alice"
    made = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", str(key)], capture_output=True, text=True
    )
    assert made.returncode == 0, f"cannot make alice's signing key with ssh-keygen: {made.stderr}"
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    (path.parent / "allowed_signers").write_text(f'alice namespaces="relui",relui-roles="devops" {public}\n')
    path.write_text(path.read_text() + '\n[signing]\nallowed_signers = "allowed_signers"\n')
    monkeypatch.setenv("RELUI_SIGNING_KEY", str(key))
    return path


def assert_refused(found: Principal) -> None:
    """Not verified, no roles, and not dark (a dark source would let claimed roles ride along): one line why."""
    assert (found.verified, found.roles, found.dark) == (False, (), False), found.how
    assert found.how.startswith("kubernetes identity not verified: ") and "\n" not in found.how


def test_a_service_host_of_ones_own_proves_no_one(tmp_path: Path, pod: Pod, monkeypatch: pytest.MonkeyPatch) -> None:
    config_path = tls_config(tmp_path, pod.cluster, pod.cluster_ca)
    monkeypatch.setenv("RELUI_USER", "alice")  # the name claimed; the roles would follow a verified alice only
    account = pod.mount(pod.impostor, pod.impostor_ca, "t0ken-of-alice")
    found = prod_principal(config_path)
    assert_refused(found)
    assert (
        f"the in-cluster service account points at {pod.impostor.url}, not prod's api_server {pod.cluster.url}; "
        "KUBERNETES_SERVICE_HOST/PORT is not that cluster's"
    ) in found.how  # no kubeconfig was read: it is not the one blamed
    assert pod.impostor.answered == [], "the impostor was asked who acts"
    assert pod.cluster.answered == [], "the made-up token was sent to the cluster"
    # The attack is live: the library, trusting the account's own CA, takes the impostor's word for alice.
    assert library_says(account) == "alice@example.com"
    assert pod.impostor.answered == ["t0ken-of-alice"]


def test_the_pinned_address_with_the_accounts_ca_proves_no_one(
    tmp_path: Path, pod: Pod, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The impostor answers at the pinned address (a MITM); only its CA, the account's ca.crt, signed its certificate.
    config_path = tls_config(tmp_path, pod.impostor, pod.cluster_ca)
    monkeypatch.setenv("RELUI_USER", "alice")
    account = pod.mount(pod.impostor, pod.impostor_ca, "t0ken-of-alice")
    found = prod_principal(config_path)
    assert_refused(found)
    assert f"{pod.impostor.url} did not prove itself with prod's certificate_authority" in found.how
    assert pod.impostor.answered == [], "a token was sent to a server that did not prove itself"
    assert library_says(account) == "alice@example.com"
    assert pod.impostor.answered == ["t0ken-of-alice"]


def test_a_service_account_without_a_token_proves_no_one(
    tmp_path: Path, pod: Pod, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = tls_config(tmp_path, pod.cluster, pod.cluster_ca)
    monkeypatch.setenv("RELUI_USER", "alice")
    account = pod.mount(pod.cluster, pod.cluster_ca, "t0ken-of-alice")
    account.token.unlink()
    found = prod_principal(config_path)
    assert_refused(found)
    assert "in-cluster kubernetes config unusable: Service token file does not exist." in found.how
    assert pod.cluster.answered == []


@pytest.mark.parametrize("account_ca", ["cluster", "impostor"])
@pytest.mark.parametrize(
    ("token", "principal", "user", "roles"),
    [
        ("t0ken-of-alice", "alice@example.com", "alice", ("devops",)),
        ("t0ken-of-bob", "bob@example.com", "bob@example.com", ()),
    ],
)
def test_a_service_account_on_the_pinned_server_is_who_the_server_says(
    tmp_path: Path,
    pod: Pod,
    monkeypatch: pytest.MonkeyPatch,
    account_ca: str,
    token: str,
    principal: str,
    user: str,
    roles: tuple[str, ...],
) -> None:
    """The user is the server's answer to the account's token; the config's CA counts, never the account's ca.crt."""
    config_path = tls_config(tmp_path, pod.cluster, pod.cluster_ca)
    monkeypatch.setenv("RELUI_USER", "carol")  # a name no answer here has: the user below is the server's
    pod.mount(pod.cluster, pod.cluster_ca if account_ca == "cluster" else pod.impostor_ca, token)
    found = prod_principal(config_path)
    assert (found.principal, found.user, found.verified, found.roles) == (principal, user, True, roles), found.how
    assert found.how.startswith("kubernetes SelfSubjectReview (the in-cluster service account)")
    assert pod.cluster.answered == [token]


def test_the_cli_refuses_a_service_host_of_ones_own_and_takes_the_pinned_one(
    tmp_path: Path, pod: Pod, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = signing_config(tls_config(tmp_path, pod.cluster, pod.cluster_ca), monkeypatch)
    monkeypatch.setenv("RELUI_USER", "alice")
    account = pod.mount(pod.impostor, pod.impostor_ca, "t0ken-of-alice")
    who = relui(account, tmp_path, config_path, "whoami", "prod")
    # Refused on a protected environment: exit 3, the server the account points at named, no roles.
    assert who.returncode == 3, who.stdout + who.stderr
    assert f"points at {pod.impostor.url}, not prod's api_server {pod.cluster.url}" in who.stdout
    assert "UNVERIFIED" in who.stdout and "roles      none" in who.stdout
    signed = relui(account, tmp_path, config_path, "signoff", "prod", "--role", "devops")
    assert signed.returncode == 3, signed.stdout + signed.stderr
    assert "prod is protected and alice is not verified (kubernetes identity not verified:" in signed.stderr
    assert pod.impostor.answered == [] and pod.cluster.answered == []

    account = pod.mount(pod.cluster, pod.cluster_ca, "t0ken-of-alice")
    who = relui(account, tmp_path, config_path, "whoami", "prod")
    assert who.returncode == 0, who.stdout + who.stderr
    assert "relui takes you for alice" in who.stdout and "principal  alice@example.com" in who.stdout
    assert "roles      devops" in who.stdout
    signed = relui(account, tmp_path, config_path, "signoff", "prod", "--role", "devops", "--json")
    assert signed.returncode == 0, signed.stdout + signed.stderr
    record = json.loads(signed.stdout)
    assert (record["user"], record["role"], record["principal"], record["signed"]) == (
        "alice", "devops", "alice@example.com", True
    )  # fmt: skip
    assert pod.cluster.answered == ["t0ken-of-alice"] * 2 and pod.impostor.answered == []
