"""The ``kubernetes`` Identity: a ``SelfSubjectReview`` (authentication.k8s.io/v1) on the env's context.

The API server answers with the username and groups it authenticated the
request as (a client certificate, an OIDC token, an EKS IAM mapping): that is
the verified principal. Needs Kubernetes 1.28 or later (GA in 1.28).

Only the credentials come from the kubeconfig. The server that vouches is the
config's ``[environments.identity] api_server``, and an https one must prove
itself with the config's ``certificate_authority``. So a KUBECONFIG pointing at
a server of one's own making, its CA, ``insecure-skip-tls-verify``, a
``tls-server-name`` or an ``HTTPS_PROXY`` that answers for the cluster prove
no one. A context that points at another server is refused, not re-aimed: the
environment's reads and deploys go through that context too, so an operator
whose kubeconfig targets another cluster is told so before acting.
"""

from __future__ import annotations

from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.util import parse_url

from relui.adapters.kube_client import api_error, in_cluster, load_configuration, one_line, transport_error
from relui.config import EnvironmentConfig
from relui.domain import Principal
from relui.ports import CredentialsRefused, PortError

REQUEST_TIMEOUT: tuple[float, float] = (5.0, 15.0)


class KubeIdentity:
    """The ``Identity`` port over the Kubernetes API of one environment."""

    def __init__(self, env: EnvironmentConfig, *, kubeconfig: str | None = None) -> None:
        self.env = env
        self._kubeconfig = kubeconfig

    def whoami(self) -> Principal:
        """Ask the pinned API server who it authenticated us as."""
        pinned = self.env.identity.api_server
        if pinned is None:  # the config reader requires it; an EnvironmentConfig made in code may lack it
            raise PortError(f"{self.env.name}: [environments.identity] api_server is not set; nothing can vouch")
        configuration = load_configuration(self.env, self._kubeconfig)
        if in_cluster(self._kubeconfig):
            asked = "the in-cluster service account"
            source, fix = asked, "KUBERNETES_SERVICE_HOST/PORT is not that cluster's"
        else:
            asked = self.env.kube_context or "the current context"
            source, fix = f"kubeconfig {asked}", "set kube_context or KUBECONFIG to that cluster's"
        origin = _origin(str(configuration.host))
        if origin is None or origin != _origin(pinned):
            raise PortError(
                f"{source} points at {configuration.host}, not {self.env.name}'s api_server {pinned}; {fix}"
            )
        _pin(configuration, self.env.identity.certificate_authority)
        api = client.ApiClient(configuration)
        review = client.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview")
        try:
            answer: Any = client.AuthenticationV1Api(api).create_self_subject_review(
                review, _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as exc:
            if exc.status == 401:
                # The API server answered: not an outage, these credentials are refused.
                raise CredentialsRefused(str(api_error(exc, "create selfsubjectreviews", self.env))) from None
            raise api_error(exc, "create selfsubjectreviews", self.env) from None
        except (urllib3.exceptions.HTTPError, TimeoutError) as exc:
            if _tls_refused(exc):
                # Something answered, and could not prove it is the cluster: not dark, it proved no one.
                raise PortError(
                    f"{pinned} did not prove itself with {self.env.name}'s certificate_authority ({one_line(exc)})"
                ) from None
            raise transport_error(exc, pinned, self.env) from None
        info = answer.status.user_info if answer.status else None
        username = info.username if info else None
        if info is None or not username:
            raise PortError("kubernetes: the SelfSubjectReview answered without a username; is the API server >= 1.28?")
        how = f"kubernetes SelfSubjectReview ({asked})"
        return Principal(username, username, tuple(info.groups or ()), True, how, kind="kubernetes")


def _origin(url: str) -> tuple[str, str, int, str] | None:
    """Scheme, host, port and path of a server URL, as two spellings of one server compare equal.

    Read by urllib3, the parser that makes the connection: ``urlsplit`` reads
    ``http://mine:1\\@cluster`` as the cluster, urllib3 connects to ``mine``, and
    drops no tab from a host to connect nowhere. None: urllib3 cannot read it.
    """
    try:
        parts = parse_url(url.strip())
    except urllib3.exceptions.LocationParseError:
        return None
    scheme = (parts.scheme or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.host or "").lower(), port, (parts.path or "").rstrip("/")


def _pin(configuration: client.Configuration, authority: str | None) -> None:
    """TLS checked against the config's CA only, on the server's own name; no proxy for a loopback server."""
    if authority is not None:
        configuration.ssl_ca_cert = authority
        configuration.verify_ssl = True
        configuration.tls_server_name = None
        configuration.assert_hostname = None
    else:
        # Plain http on loopback (the config reader allows nothing else without a CA): no proxy sits between.
        configuration.proxy = None


def _tls_refused(exc: BaseException) -> bool:
    """True when the failure is a certificate that did not verify (wrapped by urllib3's retries or not)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes, never a cycle of them
        if seen is None:
            break
        if isinstance(seen, urllib3.exceptions.SSLError):
            return True
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else seen.__cause__
    return False
