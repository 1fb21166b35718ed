"""Bad config gives exit 2 and one line naming the file, the key (and line); never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relui.config import DEFAULT_CHECKLIST, ConfigError, find_config, load_config
from tests.conftest import SHIPPED_CONFIG

MINIMAL = """
[[environments]]
name = "qa"
kind = "sandbox"
release = "shop"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "relui.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_shipped_config_loads_dev_qa_prod_in_order() -> None:
    config = load_config(SHIPPED_CONFIG)
    assert [e.name for e in config.environments] == ["dev", "qa", "prod"]
    assert [e.protected for e in config.environments] == [False, False, True]
    assert config.roles_of("owner") == ("product_owner",)
    assert config.checklist == DEFAULT_CHECKLIST


def test_unknown_key_names_key_line_and_choices(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + 'colour = "blue"\n')
    assert message.startswith(f"{tmp_path / 'relui.toml'}:6: environments.qa.colour: unknown key")
    assert "kind" in message and "release" in message


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + 'protected = "yes"\n')
    assert ":6: environments.qa.protected: expected true or false, got a string" in message


def test_missing_field_is_named(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[[environments]]\nname = "qa"\nkind = "sandbox"\n')
    assert "environments.qa.release: is missing (required)" in message


def test_duplicate_environment(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + MINIMAL)
    assert ":8: environments[1].name: duplicate environment 'qa'" in message


def test_bad_promql_placeholder(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[environments.prometheus]\n"
        'url = "http://127.0.0.1:9090"\n'
        'error_rate = \'sum by (color) (rate(http_requests_total{namespace="{namespace}",pod="{pod}"}[1m]))\'\n'
    )
    message = error_of(tmp_path, text)
    assert ":8: environments.qa.prometheus.error_rate: unknown placeholder {pod} in PromQL" in message
    assert "{namespace}, {release}, {color}" in message


def test_promql_label_braces_are_not_placeholders(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[environments.prometheus]\n"
        'url = "http://127.0.0.1:9090"\n'
        'error_rate = \'sum by (color) (rate(x{namespace="{namespace}",code=~"5.."}[1m]))\'\n'
    )
    config = load_config(write(tmp_path, text))
    assert config.env("qa").prometheus is not None


def test_invalid_toml_gives_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + "protected = \n")
    assert message.startswith(f"{tmp_path / 'relui.toml'}:6: invalid TOML")


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL.replace('"sandbox"', '"nomad"'))
    assert "environments.qa.kind: expected one of sandbox, kubernetes, compose, got 'nomad'" in message


def test_literal_secret_is_refused(tmp_path: Path) -> None:
    text = MINIMAL + '[notifications]\nslack_webhook_env = "https://hooks.slack.com/services/T000/B000/XXXX"\n'
    message = error_of(tmp_path, text)
    assert "notifications.slack_webhook_env" in message and "NAME of an environment variable" in message
    assert "hooks.slack.com" not in message


def test_unknown_time_zone(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + '[calendar]\ntimezone = "Mars/Olympus"\n')
    assert "calendar.timezone: unknown time zone 'Mars/Olympus'" in message


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found; pass --config or set RELUI_CONFIG"):
        load_config(tmp_path / "nope.toml")


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config("explicit.toml") == Path("explicit.toml")
    assert find_config(None, cwd=tmp_path) == tmp_path / "xdg" / "relui" / "config.toml"
    write(tmp_path, MINIMAL).rename(tmp_path / "config.toml")
    assert find_config(None, cwd=tmp_path) == tmp_path / "config.toml"
    monkeypatch.setenv("RELUI_CONFIG", "/etc/relui.toml")
    assert find_config(None, cwd=tmp_path) == Path("/etc/relui.toml")


@pytest.mark.parametrize(
    "text, expected",
    [
        (MINIMAL + "colour = 1\n", "environments.qa.colour: unknown key"),
        (MINIMAL + "refresh_seconds = []\n", "environments.qa.refresh_seconds: expected a number, got a list"),
        (MINIMAL + MINIMAL, "duplicate environment 'qa'"),
    ],
)
def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    done = subprocess.run(
        [sys.executable, "-m", "relui", "status", "--config", str(path), "--state-dir", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert done.stdout == ""
