"""Mutated configs never crash relui: a Config, or one ConfigError line naming a key path.

Hypothesis starts from the shipped config.toml and mutates it the ways a
hurried operator (or a bad merge) does: values of another type, huge, NaN,
negative or nested numbers, deleted keys, unknown keys, deeply nested
tables, duplicated lines. ``load_config`` runs in-process for speed; a few
subprocess runs of ``relui --config X status`` check the whole path to exit 2.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relui.config import Config, ConfigError, load_config
from tests.conftest import SHIPPED_CONFIG

BASE: dict[str, Any] = tomllib.loads(SHIPPED_CONFIG.read_text())
EXAMPLES = 2000
# "file:line: key.path: message" or "file: key.path: message"; a key path is dotted keys,
# [index] and "quoted" parts, never a Python repr or a traceback.
KEY_PATH = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\[\d+\])?(?:\.(?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\[\d+\])?)*"

# Lines that stand alone: a key = value on one line, or a table header (duplicating them is still TOML).
SINGLE_LINE = re.compile(r"^(?:[A-Za-z0-9_-]+ = .*[^\[{(,]|\[\[?[A-Za-z0-9_.-]+\]\]?)$")
HOSTILE_NUMBERS = st.sampled_from(
    [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, -1, 0, 0.0, 10_000_000, 2**70, -(2**63), 1e-320, 0.5]
)
SCALARS = st.one_of(
    HOSTILE_NUMBERS,
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.booleans(),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.times(),
    st.sampled_from(["08:00", "08:00+02:00", "25:00", "9999-12-31", "", "mon", "devops", "sandbox", "{pod}"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "name", "kind", "x y", "deploy"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path (dict keys and list indexes) in the document."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


def parent_of(doc: Any, path: tuple[Any, ...]) -> Any:
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node


def nested(depth: int) -> dict[str, Any]:
    table: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        table = {"t": table}
    return table


@st.composite
def mutated_configs(draw: st.DrawFn) -> str:
    """The shipped config with one to four mutations, as TOML text."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        all_paths = paths(doc)
        op = draw(st.sampled_from(["replace", "replace", "number", "delete", "unknown", "nest"]))
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        parent = parent_of(doc, path)
        if op == "replace":
            parent[path[-1]] = draw(VALUES)
        elif op == "number":
            parent[path[-1]] = draw(HOSTILE_NUMBERS)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "unknown":
            target = parent if isinstance(parent, dict) else doc
            target[draw(st.sampled_from(["colour", "frobnicate", "Deploy", "x y", "abort"]))] = draw(VALUES)
        else:
            parent[path[-1]] = nested(draw(st.integers(1, 60)))
    text = tomli_w.dumps(doc)
    lines = text.splitlines()
    single = [i for i, line in enumerate(lines) if SINGLE_LINE.match(line)]
    if single and draw(st.integers(0, 3)) == 0:
        # A duplicated line is how duplicate keys and tables get in: a bad merge.
        at = draw(st.sampled_from(single))
        lines.insert(at, lines[at])
    if draw(st.integers(0, 20)) == 0:
        lines.append("deep = " + "[" * 2000 + "]" * 2000)
    return "\n".join(lines) + "\n"


def check_outcome(path: Path) -> Config | None:
    """load_config returns a Config or raises one located ConfigError line; anything else fails the test."""
    try:
        return load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and "Traceback" not in message, message
        where = re.escape(str(path))
        assert re.match(rf"^{where}(?::\d+)?: {KEY_PATH}: \S", message), message
        return None


def test_mutated_configs_load_or_fail_with_one_line_naming_the_key(tmp_path: Path) -> None:
    counts = {"examples": 0, "loaded": 0}
    target = tmp_path / "config.toml"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated_configs())
    def one(text: str) -> None:
        counts["examples"] += 1
        target.write_text(text, encoding="utf-8")
        if check_outcome(target) is not None:
            counts["loaded"] += 1

    one()
    print(f"\nconfig fuzz: {counts['examples']} examples, {counts['loaded']} loaded, the rest refused with a key path")
    assert counts["examples"] >= EXAMPLES


HOSTILE_FILES = {
    "datetime-freeze": ("start = 2026-12-21", "start = 2026-12-21T10:00:00"),
    "window-offset": ('start = "08:00"', 'start = "08:00+02:00"'),
    "end-9999": ("end = 2027-01-04", "end = 9999-12-31"),
    "nan": ("rollout_seconds = 12", "rollout_seconds = nan"),
    "replicas": ("replicas = 3", "replicas = 10000000"),
    "duplicate-key": ("replicas = 3", "replicas = 3\nreplicas = 4"),
    "unknown-permission": ("[roles]", '[permissions]\nfrobnicate = ["devops"]\n\n[roles]'),
    "deep": ("[roles]", "deep = " + "[" * 3000 + "]" * 3000 + "\n[roles]"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_relui_status_exits_2_with_one_line(tmp_path: Path, name: str) -> None:
    old, new = HOSTILE_FILES[name]
    text = SHIPPED_CONFIG.read_text()
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1))
    done = subprocess.run(
        [sys.executable, "-m", "relui", "--config", str(path), "--state-dir", str(tmp_path / "s"), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"relui: {path}"), done.stderr


def test_the_generator_keeps_every_kind_of_value_writable() -> None:
    # tomli_w must be able to write whatever the strategies produce, or hypothesis would only find its errors.
    for value in (float("nan"), date(9999, 12, 31), datetime(1, 1, 1), time(23, 59), nested(60), [[1], {"a": 2}]):
        tomllib.loads(tomli_w.dumps({"k": value}))
