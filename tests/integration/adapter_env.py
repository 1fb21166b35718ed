"""Environment configs for adapter tests: one place that knows the fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from relui.config import EnvironmentConfig
from tests.integration.fake_helm import CHART


def kube_env(**overrides: Any) -> EnvironmentConfig:
    """A protected kubernetes environment: release shop in shop-prod, context prod-ctx."""
    env = EnvironmentConfig(
        name="prod",
        kind="kubernetes",
        protected=True,
        namespace="shop-prod",
        release="shop",
        chart=str(CHART),
        kube_context="prod-ctx",
        deploy_timeout_seconds=120,
    )
    return replace(env, **overrides)
