"""Every helm command line relui builds, and every one its docs show, parses with the real helm v4.

Flags are checked against ``helm <command> --help`` of the binary in
``.venv/tools/bin`` (global flags included), so a flag only Helm 3 has, or a
typo, fails here instead of during an incident. The adapter's command lines
are captured from the recording fake helm, so they are exactly what relui runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from relui.adapters.helm import HelmReleases
from relui.domain import Color
from tests.integration.adapter_env import kube_env
from tests.integration.fake_helm import FakeHelm

pytestmark = pytest.mark.integration
HELM = Path(sys.prefix) / "tools" / "bin" / "helm"
DOCS = Path(__file__).resolve().parents[2] / "docs"
_FLAG = re.compile(r"^\s+(?:-(\w), )?--([\w-]+)", re.M)


@cache
def known_flags(command: str) -> frozenset[str]:
    """Long and short flags ``helm <command> --help`` lists."""
    if not os.access(HELM, os.X_OK):
        pytest.fail(f"helm v4 is not installed at {HELM}: run make tools (this test needs the real binary)")
    done = subprocess.run([str(HELM), *command.split(), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"helm {command} --help failed: {done.stderr.strip()}"
    flags = set()
    for short, long in _FLAG.findall(done.stdout):
        flags.add(f"--{long}")
        if short:
            flags.add(f"-{short}")
    return frozenset(flags)


def problems(argv: list[str]) -> list[str]:
    """The flags of one helm command line that this helm does not know."""
    words, skip = [], False
    for arg in argv:
        if skip or arg.startswith("-"):
            # a global flag before the command takes the next word as its value
            skip = not skip and arg in ("-n", "--namespace", "--kube-context", "--kubeconfig")
            continue
        words.append(arg)
    command = " ".join(words[:2]) if words[:1] == ["get"] else words[0]
    flags = known_flags(command)
    return [a for a in argv if a.startswith("-") and a != "-" and a.split("=")[0] not in flags]


def adapter_command_lines(tmp_path: Path) -> list[list[str]]:
    fake = FakeHelm.create(tmp_path / "helm", version="v4.1.4")
    rel = HelmReleases(kube_env(), executable=fake.executable)
    rel.values()
    rel.history()
    rel.deploy(Color.BLUE, "1.6.0", "relui deploy 1.6.0 to blue by alice")
    rel.set_active(Color.BLUE, "relui cutover green->blue by alice")
    rel.rollback(2, "relui rollback to revision 2 by alice")
    empty = FakeHelm.create(tmp_path / "fresh", version="v4.1.4", revisions=[])
    HelmReleases(kube_env(), executable=empty.executable).install(Color.BLUE, "1.4.2", "relui install by alice")
    calls = fake.calls() + empty.calls()
    return [c["argv"] for c in calls if c["argv"][0] != "version"]


def docs_command_lines() -> list[list[str]]:
    lines = []
    for doc in sorted(DOCS.glob("*.md")):
        for line in doc.read_text().splitlines():
            if line.strip().startswith("helm "):
                lines.append(shlex.split(line.strip())[1:])
    return lines


def test_every_command_line_the_adapter_builds_parses_with_helm_v4(tmp_path: Path) -> None:
    lines = adapter_command_lines(tmp_path)
    verbs = {argv[0] for argv in lines}
    assert verbs == {"history", "get", "upgrade", "rollback"}
    assert {a for argv in lines for a in argv if a.startswith("--wait")} == set()  # relui polls, helm never waits
    assert {" ".join(argv): problems(argv) for argv in lines if problems(argv)} == {}


def test_every_helm_command_in_the_docs_parses_with_helm_v4() -> None:
    lines = docs_command_lines()
    assert any(argv[:1] == ["-n"] or "rollback" in argv for argv in lines), "docs/rollback.md shows helm commands"
    assert {" ".join(argv): problems(argv) for argv in lines if problems(argv)} == {}


def test_a_flag_only_helm_3_has_is_caught() -> None:
    assert problems(["rollback", "shop", "41", "--recreate-pods"]) == ["--recreate-pods"]
    assert problems(["rollback", "shop", "41", "--description", "x"]) == ["--description"]
