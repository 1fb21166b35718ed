"""moto's ThreadedMotoServer on loopback (ECR, RDS, STS), and an AWS world for each test.

The server starts once per session on a free port; each test gets a reset
server, fake long-lived keys in the environment and no access to the
developer's own ~/.aws files or an instance metadata service.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from relui.config import AwsConfig

REGION = "eu-west-1"
REPOSITORY = "shop"
INSTANCE = "shop-db"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="session", name="moto_url")
def start_moto() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a port the OS picked; its base URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except OSError as exc:
        pytest.fail(f"moto server could not start on 127.0.0.1: {exc}", pytrace=False)
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def use_keys(monkeypatch: pytest.MonkeyPatch, access_key: str, secret: str, token: str | None = None) -> None:
    """Put credentials in the environment, as CI or `aws configure export-credentials` would."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    else:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture(name="aws")
def aws_world(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsConfig:
    """A reset moto, fake long-lived keys, and the AwsConfig of an environment using it."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    use_keys(monkeypatch, ACCESS_KEY, SECRET_KEY)
    return AwsConfig(region=REGION, endpoint_url=moto_url, ecr_repository=REPOSITORY, rds_instance=INSTANCE)


def admin_client(aws: AwsConfig, service: str) -> Any:
    """A plain boto3 client on moto, for arranging the world a test needs."""
    return boto3.client(service, region_name=aws.region, endpoint_url=aws.endpoint_url)  # type: ignore[call-overload]


def manifest(tag: str) -> str:
    """A Docker v2 image manifest whose layer is unique to ``tag`` (so is its digest)."""
    layer = f"sha256:{tag.encode().hex():0<64}"[:71]
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + "c" * 64,
            },
            "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654, "digest": layer}
            ],
        }
    )
