"""The one factory that turns config into ports, per environment.

The cluster kind picks the cluster and release adapters; metrics, registry
and backups are chosen on their own, so a sandbox environment with a
``[prometheus]`` section reads that real Prometheus and one with ``[aws]``
reads real ECR and RDS. Adapters are imported only when configured, so the
sandbox needs none of the cloud clients loaded.
"""

from __future__ import annotations

from pathlib import Path

from relui.adapters.outbox import OutboxNotifier
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
from relui.ports import (
    Backups,
    Clock,
    Cluster,
    Credentials,
    EnvPorts,
    Metrics,
    Notifier,
    Ports,
    Registry,
    Releases,
    SmokeRunner,
)


def build_ports(config: Config, state_dir: Path, clock: Clock) -> Ports:
    """Every environment's ports, plus the shared clock and notifier."""
    world = SandboxWorld(state_dir, config, clock)
    envs = {env.name: _env_ports(env, world, state_dir) for env in config.environments}
    return Ports(clock=clock, notifier=_notifier(config, state_dir, clock), envs=envs)


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
        from relui.adapters.aws import AwsCredentials, EcrRegistry, RdsBackups, aws_session

        session = aws_session(env.aws)
        credentials = AwsCredentials(env.aws, session)
        if env.aws.ecr_repository:
            registry = EcrRegistry(env.aws, session)
        if env.aws.rds_instance:
            backups = RdsBackups(env.aws, session)
    return EnvPorts(cluster, releases, smoke, metrics, registry, backups, credentials)


def _notifier(config: Config, state_dir: Path, clock: Clock) -> Notifier:
    notifications = config.notifications
    if notifications.slack_webhook_env or notifications.smtp:
        from relui.adapters.notify import ChannelNotifier

        notifier: Notifier = ChannelNotifier(notifications)
        return notifier
    return OutboxNotifier(state_dir, clock)
