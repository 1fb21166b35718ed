"""Bad config gives exit 2 and one line naming the file, the key (and line); never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from relui.config import DEFAULT_CHECKLIST, KEYMAP_IDS, ConfigError, find_config, load_config
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
    assert message.startswith(f"{tmp_path / 'relui.toml'}:6: environments.protected: invalid TOML")


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
    with pytest.raises(ConfigError, match="config file not found; run 'relui init' to write a starter config here"):
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


FREEZE = '[calendar]\n[[calendar.freezes]]\nstart = 2026-12-21\nend = 2027-01-04\nreason = "year end"\n'
WINDOW = '[calendar]\n[[calendar.windows]]\nstart = "08:00"\nend = "17:00"\n'


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            FREEZE.replace("start = 2026-12-21", "start = 2026-12-21T10:00:00"),
            "calendar.freezes[0].start: expected a date",
        ),
        (FREEZE.replace("end = 2027-01-04", "end = 9999-12-31"), "calendar.freezes[0].end: must be between"),
        (WINDOW.replace('"08:00"', '"08:00+02:00"'), "calendar.windows[0].start: must not carry a UTC offset"),
        (WINDOW.replace('"08:00"', "true"), 'calendar.windows[0].start: expected a time like "09:00", got True'),
        ("[calendar]\nminor_every_weeks = [true, 4]\n", "calendar.minor_every_weeks: expected two whole numbers"),
        (MINIMAL + "refresh_seconds = nan\n", "environments.qa.refresh_seconds: must be a finite number, got nan"),
        (MINIMAL + "deploy_timeout_seconds = inf\n", "environments.qa.deploy_timeout_seconds: must be a finite number"),
        (MINIMAL + "deploy_timeout_seconds = 1e308\n", "deploy_timeout_seconds: must be > 0 and <= 3600, got 1e+308"),
        (MINIMAL + "refresh_seconds = 0.1\n", "refresh_seconds: must be >= 0.2 and <= 3600, got 0.1"),
        ("[sandbox]\nreplicas = 10000000\n", "sandbox.replicas: must be >= 1 and <= 1000, got 10000000"),
        ("[sandbox]\nreplicas = 1" + "0" * 5000 + "\n", "invalid TOML"),
        (MINIMAL + "[environments.prometheus]\nurl = 'http://p'\nerror_rate = 'x'\nerror_threshold = 1\n", "< 1"),
        (MINIMAL + "bake_minutes = 100000\n", "environments.qa.bake_minutes: must be >= 0 and <= 1440"),
        (MINIMAL + "bake_breach_samples = 0\n", "environments.qa.bake_breach_samples: must be >= 1"),
        (MINIMAL + 'auto_rollback = "yes"\n', "environments.qa.auto_rollback: expected true or false"),
        ("[sandbox]\nreplicas = 3\nreplicas = 4\n", ":8: sandbox.replicas: duplicate key"),
        ("[sandbox]\n[sandbox]\n", ":7: sandbox: duplicate table"),
        (
            MINIMAL + '[permissions]\ndeplyo = ["devops"]\n',
            "permissions.deplyo: unknown action; expected one of: deploy",
        ),
        (MINIMAL + '[keymap]\ndeplyo = "D"\n', "keymap.deplyo: unknown binding id; expected one of: abort, back"),
        (MINIMAL + '[keymap]\ndeploy = "D, x"\n', 'keymap.deploy: expected keys like "D"'),
        (MINIMAL + '[keymap]\ndeploy = "[/]"\n', 'keymap.deploy: expected keys like "D", "D,ctrl+d" or "left_square'),
        (MINIMAL + '[keymap]\ndeploy = "ctrl+[bold]"\n', "keymap.deploy: expected keys like"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", ":6: environments.x: arrays or inline tables nested too deep"),
        (MINIMAL + '"a\\nb" = 1\n', 'environments.qa."a\\nb": unknown key'),
    ],
    ids=lambda value: value[-40:].strip(),
)
def test_hostile_values_are_one_line_with_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text if "environments" in text else MINIMAL + text)


def test_new_environment_keys_have_their_defaults(tmp_path: Path) -> None:
    env = load_config(write(tmp_path, MINIMAL)).env("qa")
    assert (env.bake_minutes, env.bake_breach_samples, env.auto_rollback) == (30, 3, False)


def test_known_permission_and_keymap_ids_are_accepted(tmp_path: Path) -> None:
    text = MINIMAL + '[permissions]\nlock = ["devops"]\nabort = ["devops"]\n[keymap]\ndeploy = "D,ctrl+d"\n'
    text += 'rollback = "ctrl+shift+r"\nhelp = "question_mark,f1"\nfilter = "left_square_bracket"\n'
    config = load_config(write(tmp_path, text))
    assert config.permissions["abort"] == ("devops",) and config.keymap["deploy"] == "D,ctrl+d"
    assert config.keymap["filter"] == "left_square_bracket"


def test_keymap_ids_are_the_bindings_of_the_app_and_its_screens() -> None:
    assert sorted(binding_ids()) == sorted(KEYMAP_IDS), (
        "KEYMAP_IDS in relui/config.py must list every Binding id of relui.app, relui.screens and relui.widgets"
    )


def binding_ids() -> set[str]:
    """Every Binding id declared by a class of the app, its screens and its widgets."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import relui.screens
    import relui.widgets

    names = ["relui.app", "relui.drill_app"]
    for package in (relui.screens, relui.widgets):
        names += [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    ids: set[str] = set()
    for name in names:
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and issubclass(cls, DOMNode) and cls.__module__ == name:
                ids |= {b.id for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.id}
    return ids


def test_default_chart_and_runbooks_resolve_to_the_shipped_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path, MINIMAL))
    chart = Path(config.env("qa").chart)
    assert chart.is_absolute() and (chart / "Chart.yaml").is_file()
    assert all(Path(r).is_absolute() and Path(r).is_file() for r in config.readiness.runbooks)


def test_a_chosen_chart_path_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path, MINIMAL + 'chart = "deploy/chart"\n'))
    assert config.env("qa").chart == "deploy/chart"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('prod = "1.4.2"', 'prod = "1.4 2"', "sandbox.live.prod"),
        ('registry_tags = ["', 'registry_tags = ["../x", "', "sandbox.registry_tags"),
    ],
)
def test_a_sandbox_version_that_is_no_image_tag_names_its_line(tmp_path: Path, old: str, new: str, where: str) -> None:
    """It loaded, and the checklist later failed on it naming no file or line."""
    text = SHIPPED_CONFIG.read_text()
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=rf"config.toml:\d+: {re.escape(where)}: .* is not an image tag"):
        load_config(path)


@pytest.mark.parametrize("value", ["\\u001b[31mRED", "two\\nlines", "bidi\\u202eflip", "sep\\u2028"])
def test_config_text_with_a_control_character_is_refused_by_key(tmp_path: Path, value: str) -> None:
    """Config text with an escape in it (a checklist title, a namespace) was printed raw on operators' terminals."""
    path = tmp_path / "config.toml"
    path.write_text(f'[[environments]]\nname = "qa"\nkind = "sandbox"\nrelease = "shop"\nnamespace = "{value}"\n')
    with pytest.raises(ConfigError, match=r"config.toml:\d+: environments.qa.namespace: holds the control character"):
        load_config(path)


def test_a_promql_query_or_a_command_may_span_lines_but_holds_no_escape(tmp_path: Path) -> None:
    """Long PromQL is written over several lines: refusing every line break (above) refused those configs too."""
    base = '[[environments]]\nname = "qa"\nkind = "sandbox"\nrelease = "shop"\n'
    prom = '[environments.prometheus]\nurl = "http://127.0.0.1:9090"\n'
    query = "error_rate = '''\nsum by (color) (rate(errors[5m]))\n  /\nsum by (color) (rate(requests[5m]))\n'''\n"
    smoke = '[[environments.smoke]]\nname = "db"\ncommand = ["sh", "-c", "test -f /ok &&\\n\\techo ok"]\n'
    path = tmp_path / "config.toml"
    path.write_text(base + smoke + prom + query)
    env = load_config(path).env("qa")
    assert env.prometheus is not None and "\n  /\n" in env.prometheus.error_rate
    path.write_text(base + prom + 'error_rate = "sum(rate(errors[5m]))\\u001b[2J"\n')
    with pytest.raises(ConfigError, match=r"prometheus.error_rate: holds the control character '\\x1b'"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[roles]\nbob = ["prodcut_owner"]\n', "roles.bob: unknown role 'prodcut_owner'; did you mean 'product_owner'"),
        ('[roles]\nalice = ["devops", "devop"]\n', "roles.alice: unknown role 'devop'; did you mean 'devops'?"),
        (
            '[[identity.users]]\nname = "x"\nkube_user = "x"\nroles = ["qa-lead"]\n',
            "identity.users[0].roles: unknown role 'qa-lead'; did you mean 'qa_lead'?",
        ),
        # A role [permissions] grants is checked too: a typo of it is as much a typo.
        ('[permissions]\nrollback = ["oncall"]\n[roles]\nbob = ["on-call"]\n', "did you mean 'oncall'?"),
    ],
)
def test_a_misspelt_role_is_refused_naming_the_role_it_misses(tmp_path: Path, text: str, expected: str) -> None:
    # A misspelt product_owner granted nothing: the sign-off it was meant for was refused on release day.
    message = error_of(tmp_path, MINIMAL + text)
    assert expected in message and "roles relui checks: " in message


def test_a_team_role_of_its_own_is_kept(tmp_path: Path) -> None:
    # An attestation needs only some role, so a name unlike any role relui checks is the team's own.
    config = load_config(write(tmp_path, MINIMAL + '[roles]\nsam = ["sre", "release_manager"]\n'))
    assert config.roles_of("sam") == ("sre", "release_manager")


def test_an_environment_named_as_a_command_word_is_refused(tmp_path: Path) -> None:
    # `relui journal verify` checks every chain: an environment named verify could never have its journal listed.
    message = error_of(tmp_path, MINIMAL.replace('name = "qa"', 'name = "verify"'))
    assert "environments[0].name: 'verify' is a word of `relui journal verify`" in message
