"""What every service call needs: config, state dir, ports, who is acting.

Both faces build one of these (the CLI per command, the TUI at start-up) and
hand it to the services; nothing below reads globals or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from relui.config import Config, EnvironmentConfig
from relui.ports import Clock, EnvPorts, Ports


@dataclass
class Context:
    """The configured world one operator acts in."""

    config: Config
    state_dir: Path
    ports: Ports
    operator: str
    read_only: bool = False

    @property
    def clock(self) -> Clock:
        """The world's clock (wall clock, or a manual one in tests and drills)."""
        return self.ports.clock

    def env(self, name: str) -> EnvironmentConfig:
        """An environment's config by name; ConfigError lists the known ones."""
        return self.config.env(name)

    def env_ports(self, name: str) -> EnvPorts:
        """An environment's ports by name."""
        return self.ports.envs[self.config.env(name).name]

    @property
    def operator_roles(self) -> tuple[str, ...]:
        """The roles config grants the operator."""
        return self.config.roles_of(self.operator)
