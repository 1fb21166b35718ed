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

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    WaiterError,
)

from relui.adapters.aws_session import LazySession, _AwsPort, aws_errors, aws_session
from relui.config import AwsConfig, EnvironmentConfig
from relui.domain import CredentialInfo, CredentialKind, DbSnapshot, Finding
from relui.ports import NotFound, PortError

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_rds import RDSClient
    from mypy_boto3_sts import STSClient


# Every manifest kind, so ECR hands the manifest back unconverted and a new
# tag keeps the image's digest.
_MANIFEST_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
]


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
