"""A recording stand-in for the helm binary, for adapter tests without a cluster.

``FakeHelm.create`` writes an executable ``helm`` script into a directory. It
keeps a small release (revisions with user-supplied values) in a JSON state
file, answers ``version``, ``history``, ``get values``, ``status``, ``upgrade``
(``--install`` too) and ``rollback`` the way helm prints them, and appends every call's argv and
stdin to a JSONL file, so tests assert the exact command lines the adapter
ran. Chart defaults come from the real ``charts/bluegreen/values.yaml``, so
``get values --all`` computes what helm would.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "bluegreen"

_SCRIPT = r'''#!__PYTHON__
"""Fake helm: see tests/integration/fake_helm.py."""
import json, sys
from pathlib import Path

here = Path(__file__).resolve().parent
state_path = here / "state.json"
state = json.loads(state_path.read_text())
argv = sys.argv[1:]
stdin = sys.stdin.read() if "-" in argv else None
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps({"argv": argv, "stdin": stdin}) + "\n")


def opt(name, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


def merge(base, over):
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def fail(message, rc=1):
    sys.stderr.write(message + "\n")
    sys.exit(rc)


def save():
    state_path.write_text(json.dumps(state))


verb = argv[0]
injected = state.get("fail", {}).get(verb)
if injected:
    fail(injected)
revs = state["revisions"]
if verb == "version":
    print(state["version"], end="")
    sys.exit(0)
if verb in ("history", "get", "status", "upgrade", "rollback") and not revs and "--install" not in argv:
    fail("Error: release: not found")
if verb == "history":
    keys = ("revision", "updated", "status", "chart", "app_version", "description")
    print(json.dumps([{k: r.get(k, "") for k in keys} for r in revs]))
elif verb == "get" and argv[1] == "values":
    number = int(opt("--revision", revs[-1]["revision"]))
    rev = next((r for r in revs if r["revision"] == number), None)
    if rev is None:
        fail(f"Error: release: not found")
    values = merge(state["defaults"], rev["values"]) if "--all" in argv else rev["values"]
    print(json.dumps(values or None))
elif verb == "status":
    rev = revs[-1]
    print(json.dumps({"name": argv[1], "version": rev["revision"],
                      "info": {"status": rev["status"], "description": rev["description"],
                               "last_deployed": rev["updated"]}, "config": rev["values"], "manifest": ""}))
elif verb == "upgrade":
    values = json.loads(stdin or "{}")
    for rev in revs:
        if rev["status"] == "deployed":
            rev["status"] = "superseded"
    new = {"revision": (revs[-1]["revision"] if revs else 0) + 1,
           "updated": "2026-11-26T10:%02d:00.123456789Z" % len(revs),
           "status": "deployed", "chart": "bluegreen-0.1.0", "app_version": "1.0.0",
           "description": opt("--description", "Upgrade complete"), "values": values}
    revs.append(new)
    save()
    print("Pulled: example.invalid/bluegreen:0.1.0")
    print(json.dumps({"name": argv[1], "version": new["revision"], "namespace": opt("--namespace"),
                      "info": {"status": "deployed", "description": new["description"],
                               "last_deployed": new["updated"]},
                      "chart": {"metadata": {"name": "bluegreen"}, "values": state["defaults"]},
                      "config": values, "manifest": ""}))
elif verb == "rollback":
    target = next((r for r in revs if r["revision"] == int(argv[2])), None)
    if target is None:
        fail("Error: release has no %s version" % argv[2])
    for rev in revs:
        if rev["status"] == "deployed":
            rev["status"] = "superseded"
    revs.append(dict(target, revision=revs[-1]["revision"] + 1, status="deployed",
                     description="Rollback to %d" % target["revision"],
                     updated="2026-11-26T11:00:00Z"))
    save()
    print("Rollback was a success! Happy Helming!")
else:
    fail("Error: fake helm does not know: " + " ".join(argv))
'''


def revision(number: int, values: dict[str, Any], status: str = "superseded", description: str = "") -> dict[str, Any]:
    """One stored revision of the fake release."""
    return {
        "revision": number,
        "updated": f"2026-11-2{number % 10}T09:00:00.5+01:00",
        "status": status,
        "chart": "bluegreen-0.1.0",
        "app_version": "1.0.0",
        "description": description or f"revision {number}",
        "values": values,
    }


def standard_history() -> list[dict[str, Any]]:
    """Install blue 1.4.2, deploy green 1.5.0, cut over to green: live green, blue warm."""
    base = {"image": {"repository": "registry.example.com/shop"}, "ingress": {"enabled": True}}
    return [
        revision(1, {**base, "blue": {"tag": "1.4.2"}}, description="Install complete"),
        revision(
            2,
            {**base, "blue": {"tag": "1.4.2"}, "green": {"enabled": True, "tag": "1.5.0"}},
            description="relui deploy 1.5.0 to green by alice",
        ),
        revision(
            3,
            {**base, "blue": {"tag": "1.4.2"}, "green": {"enabled": True, "tag": "1.5.0"}, "activeColor": "green"},
            status="deployed",
            description="relui cutover blue->green by alice: release 1.5.0",
        ),
    ]


@dataclass
class FakeHelm:
    """A fake helm executable in ``directory`` and what it recorded."""

    directory: Path

    @property
    def executable(self) -> str:
        """The path to pass as the helm executable."""
        return str(self.directory / "helm")

    @classmethod
    def create(
        cls, directory: Path, version: str = "v3.15.4", revisions: list[dict[str, Any]] | None = None
    ) -> FakeHelm:
        """Write the script and its state; ``revisions`` default to ``standard_history()``."""
        directory.mkdir(parents=True, exist_ok=True)
        script = directory / "helm"
        script.write_text(_SCRIPT.replace("__PYTHON__", sys.executable))
        script.chmod(0o755)
        defaults = yaml.safe_load((CHART / "values.yaml").read_text())
        state = {
            "version": version,
            "defaults": defaults,
            "revisions": standard_history() if revisions is None else revisions,
        }
        (directory / "state.json").write_text(json.dumps(state))
        return cls(directory)

    def state(self) -> dict[str, Any]:
        """The stored release as the fake sees it now."""
        loaded: dict[str, Any] = json.loads((self.directory / "state.json").read_text())
        return loaded

    def set_status(self, number: int, status: str) -> None:
        """Change one revision's status (e.g. leave it pending-upgrade)."""
        state = self.state()
        for rev in state["revisions"]:
            if rev["revision"] == number:
                rev["status"] = status
        (self.directory / "state.json").write_text(json.dumps(state))

    def fail(self, verb: str, stderr: str) -> None:
        """Make every call of ``verb`` exit 1 with ``stderr``."""
        state = self.state()
        state.setdefault("fail", {})[verb] = stderr
        (self.directory / "state.json").write_text(json.dumps(state))

    def calls(self, verb: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls (argv without the program name, stdin), oldest first."""
        path = self.directory / "calls.jsonl"
        if not path.exists():
            return []
        calls = [json.loads(line) for line in path.read_text().splitlines()]
        return [c for c in calls if verb is None or c["argv"][0] == verb]
