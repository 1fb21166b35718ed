"""The ``kubernetes`` Identity: a ``SelfSubjectReview`` (authentication.k8s.io/v1) on the env's context.

The API server answers with the username and groups it authenticated the
request as (a client certificate, an OIDC token, an EKS IAM mapping): that is
the verified principal. Needs Kubernetes 1.28 or later (GA in 1.28).
"""

from __future__ import annotations

from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from relui.adapters.kube_client import api_error, load_api_client, transport_error
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
        """Ask the API server who it authenticated us as."""
        api = load_api_client(self.env, self._kubeconfig)
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
            raise transport_error(exc, str(api.configuration.host), self.env) from None
        info = answer.status.user_info if answer.status else None
        username = info.username if info else None
        if info is None or not username:
            raise PortError("kubernetes: the SelfSubjectReview answered without a username; is the API server >= 1.28?")
        context = self.env.kube_context or "the current context"
        how = f"kubernetes SelfSubjectReview ({context})"
        return Principal(username, username, tuple(info.groups or ()), True, how, kind="kubernetes")
