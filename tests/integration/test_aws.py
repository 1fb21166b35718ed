"""The AWS adapters against moto's server on loopback: ECR tags, RDS snapshots, STS identity."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from relui.adapters.aws import AwsCredentials, EcrRegistry, RdsBackups, diagnose
from relui.adapters.aws_session import aws_session
from relui.config import AwsConfig, EnvironmentConfig
from relui.domain import CredentialKind
from relui.ports import NotFound, PortError, SourceUnavailable
from tests.integration.moto_fixtures import (
    INSTANCE,
    REPOSITORY,
    SECRET_KEY,
    admin_client,
    aws_world,  # noqa: F401 - registers the fixture `aws`
    manifest,
    start_moto,  # noqa: F401 - registers the session fixture `moto_url`
    use_keys,
)
from tests.integration.prom_fixtures import free_port

pytestmark = pytest.mark.integration


def push(aws: AwsConfig, *tags: str) -> None:
    """Push one image per tag; moto stamps imagePushedAt in whole seconds, so wait between."""
    ecr = admin_client(aws, "ecr")
    for i, tag in enumerate(tags):
        if i:
            time.sleep(1.05)
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=manifest(tag), imageTag=tag)


def digest_of(aws: AwsConfig, tag: str) -> str:
    found = admin_client(aws, "ecr").describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": tag}])
    digest: str = found["imageDetails"][0]["imageDigest"]
    return digest


def create_instance(aws: AwsConfig) -> None:
    admin_client(aws, "rds").create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="shop",
        MasterUserPassword="not-a-secret-1",
    )


def test_registry_tags_newest_first_and_failed_tag_keeps_the_digest(aws: AwsConfig) -> None:
    admin_client(aws, "ecr").create_repository(repositoryName=REPOSITORY)
    push(aws, "1.4.2", "1.5.0", "1.6.0")
    registry = EcrRegistry(aws, aws_session(aws))
    assert registry.image_exists("1.6.0") is True
    assert registry.image_exists("9.9.9") is False
    assert registry.recent_tags(limit=2) == ["1.6.0", "1.5.0"]
    assert registry.recent_tags() == ["1.6.0", "1.5.0", "1.4.2"]

    failed = "failed-1.6.0-20260314T101500Z"
    registry.add_tag("1.6.0", failed)
    registry.add_tag("1.6.0", failed)  # again: already there, not an error
    assert registry.image_exists(failed)
    assert digest_of(aws, failed) == digest_of(aws, "1.6.0")
    assert set(registry.recent_tags(limit=2)) == {"1.6.0", failed}
    with pytest.raises(NotFound, match=r"image tag 9\.9\.9 is not in ECR repository shop in eu-west-1"):
        registry.add_tag("9.9.9", "failed-9.9.9-x")


def test_missing_repository_is_one_clear_line(aws: AwsConfig) -> None:
    registry = EcrRegistry(replace(aws, ecr_repository="nope"), aws_session(aws))
    with pytest.raises(NotFound) as failed:
        registry.image_exists("1.0.0")
    assert str(failed.value) == (
        "ECR repository nope in eu-west-1 not found; check [environments.aws] ecr_repository and region"
    )
    with pytest.raises(NotFound):
        registry.recent_tags()


def test_snapshots_newest_first_and_create_waits_until_available(aws: AwsConfig) -> None:
    create_instance(aws)
    backups = RdsBackups(aws, aws_session(aws), poll_seconds=1, max_polls=5)
    first = backups.create_snapshot("relui-pre-1-6-0")
    assert (first.identifier, first.status) == ("relui-pre-1-6-0", "available")
    assert datetime.now(UTC) - first.created < timedelta(minutes=1)
    second = backups.create_snapshot("relui-pre-1-6-1")
    latest = backups.latest_snapshot()
    assert latest is not None and latest.identifier == "relui-pre-1-6-1" and latest.created >= first.created
    assert latest.created == second.created
    assert backups.instance_status() == "available"


def test_missing_instance_is_not_found(aws: AwsConfig) -> None:
    backups = RdsBackups(replace(aws, rds_instance="gone-db"), aws_session(aws))
    with pytest.raises(NotFound, match=r"^RDS instance gone-db not found in eu-west-1; check \[environments.aws\]"):
        backups.create_snapshot("relui-x")
    with pytest.raises(NotFound):
        backups.instance_status()
    # RDS lists no snapshots for a missing instance: that must not read as "no snapshot yet".
    with pytest.raises(NotFound) as caught:
        backups.latest_snapshot()
    assert str(caught.value) == (
        "RDS instance gone-db not found in eu-west-1; check [environments.aws] rds_instance and region"
    )


def test_long_lived_keys_are_named_so(aws: AwsConfig) -> None:
    info = AwsCredentials(aws, aws_session(aws)).check()
    assert info.kind is CredentialKind.LONG_LIVED
    assert info.identity == "arn:aws:sts::123456789012:user/moto"
    assert info.detail == "long-lived keys from env"


def test_assumed_role_keys_are_temporary(aws: AwsConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    role = admin_client(aws, "sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/relui-deployer", RoleSessionName="alice"
    )["Credentials"]
    assert role["AccessKeyId"].startswith("ASIA")
    use_keys(monkeypatch, role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])
    info = AwsCredentials(aws, aws_session(aws)).check()
    assert info.kind is CredentialKind.TEMPORARY
    assert info.identity == "arn:aws:sts::123456789012:assumed-role/relui-deployer/alice"
    for secret in (role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"]):
        assert secret not in f"{info}"


def test_unreachable_endpoint_is_source_unavailable(aws: AwsConfig) -> None:
    down = replace(aws, endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SourceUnavailable) as failed:
        EcrRegistry(down, aws_session(down)).image_exists("1.0.0")
    assert str(failed.value).startswith(f"ECR repository shop in eu-west-1: {down.endpoint_url}/ is unreachable")
    assert "\n" not in str(failed.value)


def test_no_credentials_and_missing_profile_say_what_to_do(aws: AwsConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PortError, match="no AWS credentials found; run `aws sso login`"):
        AwsCredentials(aws, aws_session(aws)).check()
    missing = replace(aws, profile="nope")
    session = aws_session(missing)  # building the ports never fails on a missing profile
    with pytest.raises(
        PortError, match=r"AWS profile 'nope' is not in ~/.aws/config; fix \[environments.aws\] profile"
    ):
        EcrRegistry(missing, session).image_exists("1.0.0")


def test_diagnose_fails_long_lived_keys_on_protected_env(aws: AwsConfig) -> None:
    admin_client(aws, "ecr").create_repository(repositoryName=REPOSITORY)
    create_instance(aws)
    env = EnvironmentConfig(name="prod", kind="kubernetes", protected=True, namespace="shop", release="shop", aws=aws)
    findings = {f.source: f for f in diagnose(env)}
    assert [(s, f.ok) for s, f in findings.items()] == [
        ("aws identity", True),
        ("aws credentials", False),
        ("aws ecr", True),
        ("aws rds", True),
    ]
    assert findings["aws credentials"].fix.startswith("use OIDC / SSO role")
    assert "shop-db is available" in findings["aws rds"].detail
    missing = diagnose(replace(env, protected=False, aws=replace(aws, ecr_repository="nope")))
    assert [(f.source, f.ok) for f in missing] == [("aws identity", True), ("aws ecr", False), ("aws rds", True)]
    assert "ecr_repository" in missing[1].fix
    for finding in [*findings.values(), *missing]:
        assert SECRET_KEY not in f"{finding}"
