"""AWS through boto3: ECR images and tags, RDS snapshots, and who we act as.

One ``boto3.Session`` per environment, on the default credential chain (env
vars, SSO, web identity from CI OIDC, instance roles), so nothing secret is
ever named here. ``endpoint_url`` from config goes to every client: that is
how tests reach moto and how a VPC endpoint is used. Clients are created on
first use, so building the ports does no IO. Every failure becomes one
``PortError`` line naming the repository or instance and the fix; no message
carries a key, token or password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
    WaiterError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from relui.config import AwsConfig, EnvironmentConfig
from relui.domain import CredentialInfo, CredentialKind, DbSnapshot, Finding
from relui.ports import CredentialsRefused, NotFound, PortError, SourceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_rds import RDSClient
    from mypy_boto3_sts import STSClient


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
# Every manifest kind, so ECR hands the manifest back unconverted and a new
# tag keeps the image's digest.
_MANIFEST_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
]


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
                    config=_CLIENT_CONFIG,
                )
            return self._clients[service]


class EcrRegistry(_AwsPort):
    """The ``Registry`` port over one ECR repository (``ecr_repository``)."""

    def __init__(self, aws: AwsConfig, session: LazySession | boto3.Session) -> None:
        super().__init__(aws, session)
        if not aws.ecr_repository:
            raise ValueError("EcrRegistry needs [environments.aws] ecr_repository")
        self.repository: str = aws.ecr_repository
        self.subject = f"ECR repository {self.repository} in {aws.region}"
        self.fix = "check [environments.aws] ecr_repository and region"

    def _ecr(self) -> ECRClient:
        client: ECRClient = self._client("ecr")
        return client

    def repository_uri(self) -> str:
        """The repository's URI; NotFound when it does not exist."""
        with aws_errors(self.aws, self.subject, self.fix):
            found = self._ecr().describe_repositories(repositoryNames=[self.repository])
        return found["repositories"][0].get("repositoryUri", self.repository)

    def image_exists(self, tag: str) -> bool:
        """True when the repository holds an image tagged ``tag``."""
        with aws_errors(self.aws, self.subject, self.fix):
            try:
                self._ecr().describe_images(repositoryName=self.repository, imageIds=[{"imageTag": tag}])
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ImageNotFoundException":
                    return False
                raise
        return True

    def recent_tags(self, limit: int = 10) -> list[str]:
        """Tags of the most recently pushed images, newest first."""
        pushed: list[tuple[datetime, list[str]]] = []
        with aws_errors(self.aws, self.subject, self.fix):
            pages = self._ecr().get_paginator("describe_images")
            for page in pages.paginate(repositoryName=self.repository, filter={"tagStatus": "TAGGED"}):
                for image in page.get("imageDetails", []):
                    at = image.get("imagePushedAt") or datetime.min.replace(tzinfo=UTC)
                    pushed.append((at, sorted(image.get("imageTags", []))))
        pushed.sort(key=lambda entry: entry[0], reverse=True)
        return [tag for _at, tags in pushed for tag in tags][:limit]

    def add_tag(self, source_tag: str, new_tag: str) -> None:
        """Tag the image of ``source_tag`` also as ``new_tag`` (same manifest, same digest)."""
        with aws_errors(self.aws, self.subject, self.fix):
            ecr = self._ecr()
            found = ecr.batch_get_image(
                repositoryName=self.repository, imageIds=[{"imageTag": source_tag}], acceptedMediaTypes=_MANIFEST_TYPES
            )
            images = found.get("images", [])
            if not images or "imageManifest" not in images[0]:
                raise NotFound(f"image tag {source_tag} is not in {self.subject}; see relui's recent tags")
            image = images[0]
            extra: dict[str, str] = {}
            if image.get("imageManifestMediaType"):
                extra["imageManifestMediaType"] = image["imageManifestMediaType"]
            try:
                ecr.put_image(
                    repositoryName=self.repository, imageManifest=image["imageManifest"], imageTag=new_tag, **extra
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "ImageAlreadyExistsException":
                    return  # the tag already names this very image
                if code == "ImageTagAlreadyExistsException":
                    raise PortError(
                        f"{self.subject} has immutable tags and {new_tag} is taken; choose another tag"
                    ) from None
                raise


class RdsBackups(_AwsPort):
    """The ``Backups`` port over one RDS instance (``rds_instance``)."""

    def __init__(
        self, aws: AwsConfig, session: LazySession | boto3.Session, *, poll_seconds: int = 30, max_polls: int = 60
    ) -> None:
        super().__init__(aws, session)
        if not aws.rds_instance:
            raise ValueError("RdsBackups needs [environments.aws] rds_instance")
        self.instance: str = aws.rds_instance
        self.subject = f"RDS instance {self.instance} in {aws.region}"
        self.fix = "check [environments.aws] rds_instance and region"
        self.missing = f"RDS instance {self.instance} not found in {aws.region}"
        # Bounded: 60 polls of 30 s is half an hour, then the caller hears why.
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls

    def _rds(self) -> RDSClient:
        client: RDSClient = self._client("rds")
        return client

    def instance_status(self) -> str:
        """The instance's status (available, backing-up ...); NotFound when it does not exist."""
        with aws_errors(self.aws, self.subject, self.fix, self.missing):
            found = self._rds().describe_db_instances(DBInstanceIdentifier=self.instance)
        return found["DBInstances"][0].get("DBInstanceStatus", "unknown")

    def latest_snapshot(self) -> DbSnapshot | None:
        """The newest available snapshot of the instance (automated or manual), else the newest of any status, or None.

        A newer one still being made, or one that failed, does not hide an
        available one; with none available the guard says what the newest is.
        """
        newest: DbSnapshot | None = None
        with aws_errors(self.aws, self.subject, self.fix, self.missing):
            pages = self._rds().get_paginator("describe_db_snapshots")
            for page in pages.paginate(DBInstanceIdentifier=self.instance):
                for snap in page.get("DBSnapshots", []):
                    created = snap.get("SnapshotCreateTime")
                    if created is None:
                        continue  # still being created: it has no time yet and is no backup yet
                    found = DbSnapshot(snap["DBSnapshotIdentifier"], created, snap.get("Status", "unknown"))
                    if newest is None or (found.usable, found.created) > (newest.usable, newest.created):
                        newest = found
        if newest is None:
            # RDS lists no snapshots for an instance that does not exist either; only the
            # instance lookup tells "no backup yet" from "wrong name or region".
            self.instance_status()
        return newest

    def create_snapshot(self, identifier: str) -> DbSnapshot:
        """Create a manual snapshot and wait (bounded) until RDS reports it available."""
        with aws_errors(self.aws, self.subject, self.fix, self.missing):
            rds = self._rds()
            rds.create_db_snapshot(DBSnapshotIdentifier=identifier, DBInstanceIdentifier=self.instance)
            try:
                rds.get_waiter("db_snapshot_available").wait(
                    DBSnapshotIdentifier=identifier,
                    WaiterConfig={"Delay": self.poll_seconds, "MaxAttempts": self.max_polls},
                )
            except WaiterError as exc:
                last: Any = exc.last_response or {}
                snaps: list[dict[str, Any]] = last.get("DBSnapshots") or [{}]
                status = snaps[0].get("Status", "unknown")
                waited = self.poll_seconds * self.max_polls / 60
                raise PortError(
                    f"snapshot {identifier} of {self.instance} is {status}, not available, "
                    f"after {waited:g} min; check it in the RDS console"
                ) from None
            found = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]
        created = found.get("SnapshotCreateTime") or datetime.now(UTC)
        return DbSnapshot(identifier, created, found.get("Status", "available"))


def credential_kind(access_key: str, token: str | None) -> CredentialKind:
    """How credentials were issued: ASIA keys and session tokens are temporary."""
    if access_key.startswith("ASIA") or token:
        return CredentialKind.TEMPORARY
    if access_key.startswith("AKIA"):
        return CredentialKind.LONG_LIVED
    return CredentialKind.UNKNOWN


class AwsCredentials(_AwsPort):
    """The ``Credentials`` port: the caller's ARN and how its keys were issued."""

    def check(self) -> CredentialInfo:
        """Ask STS who we are; classify the keys without ever showing them."""
        subject = f"AWS identity in {self.aws.region}"
        with aws_errors(self.aws, subject, "check the credentials"):
            resolved = self.session.get_credentials()
            if resolved is None:
                raise NoCredentialsError()
            frozen = resolved.get_frozen_credentials()
            sts: STSClient = self._client("sts")
            identity = sts.get_caller_identity()
        kind = credential_kind(frozen.access_key or "", frozen.token)
        source = getattr(resolved, "method", None) or "unknown source"
        return CredentialInfo(kind, identity.get("Arn", "?"), f"{kind.value.replace('_', '-')} keys from {source}")


def _probe(source: str, probe: Callable[[], str], fix: str) -> Finding:
    try:
        return Finding(source, True, probe())
    except PortError as exc:
        return Finding(source, False, str(exc), fix)


def diagnose(env: EnvironmentConfig) -> list[Finding]:
    """``relui doctor`` for one environment's AWS: identity and key kind, ECR repository, RDS instance."""
    if env.aws is None:
        return []
    aws = env.aws
    session = aws_session(aws)
    try:
        info = AwsCredentials(aws, session).check()
    except PortError as exc:
        # Without an identity every other check fails the same way: say it once.
        return [Finding("aws identity", False, str(exc), "log in (aws sso login) or fix [environments.aws] profile")]
    findings = [Finding("aws identity", True, f"{info.identity} ({info.detail})")]
    if info.kind is CredentialKind.LONG_LIVED and env.protected:
        findings.append(
            Finding(
                "aws credentials",
                False,
                f"long-lived access keys on protected environment {env.name}",
                "use OIDC / SSO role (temporary credentials) instead of access keys",
            )
        )
    if aws.ecr_repository:
        registry = EcrRegistry(aws, session)
        findings.append(
            _probe(
                "aws ecr",
                lambda: f"ECR repository {registry.repository_uri()} exists",
                "create the repository or fix [environments.aws] ecr_repository",
            )
        )
    if aws.rds_instance:
        backups = RdsBackups(aws, session)
        findings.append(
            _probe(
                "aws rds",
                lambda: f"RDS instance {backups.instance} is {backups.instance_status()}",
                "fix [environments.aws] rds_instance or its region",
            )
        )
    return findings
