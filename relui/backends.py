"""The one factory that turns config into ports, per environment.

The cluster kind picks the cluster and release adapters; metrics, registry
and backups are chosen on their own, so a sandbox environment with a
``[prometheus]`` section reads that real Prometheus and one with ``[aws]``
reads real ECR and RDS. Adapters are imported only when configured, so the
sandbox needs none of the cloud clients loaded.

Every port object leaves here behind ``relui.adapters.deadline.guard``: one
place decides each call's total deadline and that nothing but a PortError
reaches services. The clock is not a port call (a poll's ``sleep`` is meant
to wait) and stays unwrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from relui.adapters.deadline import DEFAULT_DEADLINE, NotifierGuard, guard
from relui.adapters.outbox import OutboxNotifier
from relui.adapters.records_local import LocalRecords
from relui.adapters.sandbox import (
    SandboxBackups,
    SandboxCluster,
    SandboxCredentials,
    SandboxMetrics,
    SandboxRegistry,
    SandboxReleases,
    SandboxSmoke,
)
from relui.adapters.sandbox_world import SandboxWorld
from relui.config import Config, EnvironmentConfig
from relui.lazy import LazyEnvs, LazyPort
from relui.ports import (
    Backups,
    Clock,
    Cluster,
    Credentials,
    EnvPorts,
    Metrics,
    Notifier,
    Ports,
    Records,
    Registry,
    Releases,
    SmokeRunner,
)
from relui.services import record_store

if TYPE_CHECKING:
    from relui.adapters.records_s3 import S3Records

T = TypeVar("T")


def build_ports(config: Config, state_dir: Path, clock: Clock) -> Ports:
    """Every environment's ports, plus the shared clock and notifier.

    The records stores are bound to the state dir too (``record_store.bind``),
    so the journal, checklists and the action mutex find each environment's.
    """
    world = SandboxWorld(state_dir, config, clock)
    local = guard(LocalRecords(state_dir), f"state dir {state_dir}", "records", default=RECORDS_DEADLINE)
    records = {env.name: _records(env, local) for env in config.environments}
    record_store.bind(state_dir, records, local)

    def builder(env: EnvironmentConfig) -> Callable[[], EnvPorts]:
        return lambda: replace(_guarded(env, _env_ports(env, world, state_dir)), records=records[env.name])

    envs = LazyEnvs({env.name: builder(env) for env in config.environments})
    return Ports(clock=clock, notifier=_notifier(config, state_dir, clock), envs=envs)


# A records call is a few small requests; a lost race retries within it.
RECORDS_DEADLINE = 20.0


def _records(env: EnvironmentConfig, local: Records) -> Records:
    """The environment's records store: its S3 bucket when ``[environments.records]`` names one, else the state dir."""
    if env.records is None:
        return local
    records = env.records

    def build() -> S3Records:
        from relui.adapters.records_s3 import S3Records

        session = None
        if env.aws:
            from relui.adapters.aws_session import aws_session

            session = aws_session(env.aws)
        return S3Records(records, env.aws, session)

    store = cast(Records, LazyPort(build, f"records of {env.name}"))
    return guard(store, f"records {records.url} of {env.name}", "records", default=RECORDS_DEADLINE)


# Writes wait for the rollout inside the adapter (helm --wait, compose up).
RELEASE_WRITES = ("deploy", "set_active", "rollback", "install")
# What the sandbox metrics port gets, like a [prometheus] section's default.
METRICS_DEADLINE = 5.0
SMOKE_MARGIN = 5.0
WRITE_MARGIN = 30.0


def _sources(env: EnvironmentConfig) -> dict[str, str]:
    """What each port of ``env`` is, in the words an operator knows from the config."""
    cluster = {"sandbox": "sandbox", "kubernetes": "kubernetes", "compose": "docker compose"}.get(env.kind, env.kind)
    releases = "helm" if env.kind == "kubernetes" else cluster
    cloud = "aws" if env.aws else "sandbox"
    return {
        "cluster": f"{cluster} of {env.name}",
        "releases": f"{releases} of {env.name}",
        "smoke": f"smoke checks of {env.name}" if env.kind != "sandbox" else f"sandbox smoke of {env.name}",
        "metrics": f"prometheus of {env.name}" if env.prometheus else f"sandbox metrics of {env.name}",
        "registry": f"{'ecr' if env.aws else 'sandbox'} registry of {env.name}",
        "backups": f"{'rds' if env.aws else 'sandbox'} backups of {env.name}",
        "credentials": f"{cloud} credentials of {env.name}",
    }


def _deadlines(env: EnvironmentConfig) -> dict[str, tuple[float, dict[str, float]]]:
    """Per port: the default deadline of its methods and the methods that differ."""
    write = env.deploy_timeout_seconds + WRITE_MARGIN
    metrics = env.prometheus.timeout_seconds if env.prometheus else METRICS_DEADLINE
    # Checks run one after the other, each with its own timeout.
    smoke = sum(check.timeout_seconds for check in env.smoke) + SMOKE_MARGIN
    return {
        "releases": (DEFAULT_DEADLINE, dict.fromkeys(RELEASE_WRITES, write)),
        "smoke": (DEFAULT_DEADLINE, {"run": smoke}),
        "metrics": (metrics, {}),
    }


def _guarded(env: EnvironmentConfig, ports: EnvPorts) -> EnvPorts:
    """The same ports, each behind a deadline and error guard."""
    sources, deadlines = _sources(env), _deadlines(env)

    def wrap(port: str, target: T) -> T:
        default, methods = deadlines.get(port, (DEFAULT_DEADLINE, {}))
        return guard(target, sources[port], port, deadlines=methods, default=default)

    return EnvPorts(
        cluster=wrap("cluster", ports.cluster),
        releases=wrap("releases", ports.releases),
        smoke=wrap("smoke", ports.smoke),
        metrics=None if ports.metrics is None else wrap("metrics", ports.metrics),
        registry=None if ports.registry is None else wrap("registry", ports.registry),
        backups=None if ports.backups is None else wrap("backups", ports.backups),
        credentials=None if ports.credentials is None else wrap("credentials", ports.credentials),
    )


def _env_ports(env: EnvironmentConfig, world: SandboxWorld, state_dir: Path) -> EnvPorts:
    cluster: Cluster
    releases: Releases
    smoke: SmokeRunner
    metrics: Metrics | None = None
    registry: Registry | None = None
    backups: Backups | None = None
    credentials: Credentials | None = None
    if env.kind == "sandbox":
        cluster, releases, smoke = SandboxCluster(world, env), SandboxReleases(world, env), SandboxSmoke(world, env)
        metrics = SandboxMetrics(world, env)
        registry, backups, credentials = (
            SandboxRegistry(world, env),
            SandboxBackups(world, env),
            SandboxCredentials(world, env),
        )
    elif env.kind == "kubernetes":
        from relui.adapters.helm import HelmReleases
        from relui.adapters.kubernetes import KubeCluster
        from relui.adapters.smoke import PreviewSmoke

        cluster, releases, smoke = KubeCluster(env), HelmReleases(env), PreviewSmoke(env)
    else:
        from relui.adapters.compose import ComposeCluster, ComposeReleases
        from relui.adapters.smoke import PreviewSmoke

        # Compose has no lock or history of its own: relui keeps both in the state dir.
        cluster = ComposeCluster(env, state_dir=state_dir)
        releases = ComposeReleases(env, state_dir=state_dir)
        smoke = PreviewSmoke(env)
    if env.prometheus:
        from relui.adapters.prometheus import PrometheusMetrics

        metrics = PrometheusMetrics(env)
    if env.aws:
        from relui.adapters.aws import AwsCredentials, EcrRegistry, RdsBackups
        from relui.adapters.aws_session import aws_session

        session = aws_session(env.aws)
        credentials = AwsCredentials(env.aws, session)
        if env.aws.ecr_repository:
            registry = EcrRegistry(env.aws, session)
        if env.aws.rds_instance:
            backups = RdsBackups(env.aws, session)
    return EnvPorts(cluster, releases, smoke, metrics, registry, backups, credentials)


def _notifier(config: Config, state_dir: Path, clock: Clock) -> Notifier:
    notifications = config.notifications
    # Slack and mail are tried one after the other, each within its own timeout.
    deadline = notifications.timeout_seconds + (notifications.smtp.timeout_seconds if notifications.smtp else 0.0)
    notifier: Notifier
    if notifications.slack_webhook_env or notifications.smtp:
        from relui.adapters.notify import ChannelNotifier

        notifier, source = ChannelNotifier(notifications), "notifications"
    else:
        notifier, source = OutboxNotifier(state_dir, clock), "notification outbox"
    return cast(Notifier, NotifierGuard(notifier, source, "notifier", default=deadline))
