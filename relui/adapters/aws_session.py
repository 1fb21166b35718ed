"""The boto3 plumbing every relui AWS adapter shares: the session, the clients' config, the errors.

One session per environment (``LazySession``), on the default credential
chain, made on first use; clients made on first use too, with relui's
config (``client_config``); every botocore failure one ``PortError`` line
(``aws_errors``), ``CredentialsRefused`` when AWS answered and refused who
asked, ``SourceUnavailable`` when it could not be asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.exceptions import (
    SSLError as BotoSSLError,
)

from relui.config import AwsConfig
from relui.ports import CredentialsRefused, NotFound, PortError, SourceUnavailable


def client_config(connect_timeout: float, read_timeout: float) -> BotoConfig:
    """botocore's config for every relui client: short timeouts, two tries, endpoints from relui's config only.

    A dashboard would rather show "unreachable" soon than retry for a minute. An
    endpoint comes from ``[environments.aws] endpoint_url`` and nowhere else:
    botocore would otherwise take AWS_ENDPOINT_URL(_STS, _RDS, _S3 ...) or
    ~/.aws/config's [services], and one variable pointing STS at a fake made
    anyone any verified principal, RDS answer a snapshot that does not exist,
    the team's records a private store holding whatever sign-offs its owner wrote.
    """
    return BotoConfig(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": 2, "mode": "standard"},
        ignore_configured_endpoint_urls=True,  # type: ignore[call-arg]  # botocore >= 1.31; the stubs lag
    )


_CLIENT_CONFIG = client_config(5, 20)
# boto3 sessions are not thread-safe while creating clients; clients are.
_CLIENT_LOCK = threading.Lock()
_NOT_FOUND = {
    "RepositoryNotFoundException",
    "ImageNotFoundException",
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBSnapshotNotFound",
    "DBSnapshotNotFoundFault",
}
_REFUSED = {
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
}


class LazySession:
    """An environment's boto3 session, made on first use: its profile (if any) and region.

    boto3 reads ~/.aws/config as the session is made, and raises for a
    profile that is not there ([environments.aws] profile, or $AWS_PROFILE).
    Made while the ports were built, that was a traceback out of every
    command, a rollback's included; made on first use, it is inside the
    adapter's ``aws_errors``, one line naming the profile.
    """

    def __init__(self, aws: AwsConfig) -> None:
        self.aws = aws
        self._made: boto3.Session | None = None
        self._lock = threading.Lock()

    def _session(self) -> boto3.Session:
        with self._lock:
            if self._made is None:
                self._made = boto3.Session(region_name=self.aws.region, profile_name=self.aws.profile)
            return self._made

    def client(self, service: str, **kwargs: Any) -> Any:
        """A client of ``service`` (the session is made now if it was not)."""
        return self._session().client(service, **kwargs)  # type: ignore[call-overload]

    def get_credentials(self) -> Any:
        """The session's credentials, as boto3 resolves them."""
        return self._session().get_credentials()


def aws_session(aws: AwsConfig) -> LazySession:
    """The environment's session (``LazySession``); no IO until first used."""
    return LazySession(aws)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def aws_errors(aws: AwsConfig, subject: str, fix: str, missing: str | None = None) -> Iterator[None]:
    """Turn botocore's failures about ``subject`` into one PortError line each.

    ``missing`` is the line for a thing that does not exist (default: "<subject> not found").
    """
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), _one_line(error.get("Message", ""))
        if code in _NOT_FOUND:
            raise NotFound(f"{missing or subject + ' not found'}; {fix}") from None
        if code in _REFUSED:
            raise CredentialsRefused(
                f"{subject}: AWS refused the credentials ({code}: {message}); "
                "log in again (aws sso login) or check the role's permissions"
            ) from None
        raise PortError(f"{subject}: {code}: {message}") from None
    except NoCredentialsError:
        raise CredentialsRefused(
            f"{subject}: no AWS credentials found; run `aws sso login`, set AWS_PROFILE "
            "or [environments.aws] profile, or configure OIDC in CI"
        ) from None
    except ProfileNotFound as exc:
        missing = str(exc.kwargs.get("profile") or aws.profile)
        setting = "[environments.aws] profile" if aws.profile else "AWS_PROFILE"
        raise CredentialsRefused(f"AWS profile {missing!r} is not in ~/.aws/config; fix {setting}") from None
    except (SSOError, TokenRetrievalError):
        profile = f" --profile {aws.profile}" if aws.profile else ""
        raise CredentialsRefused(
            f"{subject}: the AWS SSO session is missing or expired; run `aws sso login{profile}`"
        ) from None
    except BotoSSLError as exc:
        # Something answered and could not prove it is AWS: not an outage (no rollback under claimed
        # roles), it proved no one.
        server = str(exc.kwargs.get("endpoint_url") or aws.endpoint_url or f"AWS in {aws.region}")
        trusted = aws.ca_bundle or "a public CA's certificate"
        raise PortError(
            f"{subject}: {server} did not prove itself with {trusted} "
            f"({_one_line(str(exc))}); relui trusts no AWS_CA_BUNDLE, only [environments.aws] ca_bundle"
        ) from None
    except (BotoConnectionError, ConnectionClosedError, ReadTimeoutError) as exc:
        where = exc.kwargs.get("endpoint_url") or aws.endpoint_url or f"AWS in {aws.region}"
        kind = "did not answer in time" if isinstance(exc, ReadTimeoutError) else "is unreachable"
        raise SourceUnavailable(
            f"{subject}: {where} {kind}; check the network and [environments.aws] region / endpoint_url"
        ) from None
    except BotoCoreError as exc:
        raise PortError(f"{subject}: {_one_line(str(exc))}") from None


class _AwsPort:
    """Shared plumbing: config, session and lazily created clients."""

    def __init__(self, aws: AwsConfig, session: LazySession | boto3.Session) -> None:
        self.aws = aws
        self.session = session
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        with _CLIENT_LOCK:
            if service not in self._clients:
                self._clients[service] = self.session.client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self.aws.endpoint_url,
                    # [environments.aws] ca_bundle, else the public CAs botocore ships, never AWS_CA_BUNDLE
                    # or a profile's ca_bundle: with one of those and HTTPS_PROXY, a proxy of one's own
                    # answered STS as the product owner, verified.
                    verify=self.aws.ca_bundle or True,
                    config=_CLIENT_CONFIG,
                )
            return self._clients[service]
