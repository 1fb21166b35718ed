"""The bluegreen chart under the real helm binary, fed exactly what HelmReleases sends.

HelmReleases runs against the recording fake helm; the values it pipes into
``helm upgrade`` are then linted and rendered by the real helm (``make tools``
installs it into .venv/tools/bin), and the rendered objects are checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from relui.adapters.helm import HelmReleases
from relui.domain import Color
from tests.integration.adapter_env import kube_env
from tests.integration.fake_helm import CHART, REPO, FakeHelm, revision

pytestmark = pytest.mark.integration

Docs = dict[tuple[str, str], dict[str, Any]]
INSTALL = {"image": {"repository": "registry.example.com/shop"}, "blue": {"tag": "1.4.2"}, "ingress": {"enabled": True}}


def real_helm() -> str:
    found = shutil.which("helm") or str(REPO / ".venv" / "tools" / "bin" / "helm")
    if not Path(found).is_file():
        pytest.fail("the helm binary is missing: run `make tools` (scripts/tools.d/helm.sh) or put helm on PATH")
    return found


def helm(*args: str, values: dict[str, Any] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [real_helm(), *args]
    if values is not None:
        argv += ["--values", "-"]
    done = subprocess.run(argv, input=json.dumps(values or {}), capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        pytest.fail(f"helm {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def render(values: dict[str, Any]) -> Docs:
    helm("lint", str(CHART), "--strict", values=values)
    out = helm("template", "shop", str(CHART), "--namespace", "shop-prod", values=values).stdout
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out) if d}


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where two rendered documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for key in sorted(set(a) | set(b)) for p in differences(a.get(key), b.get(key), f"{path}.{key}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The values HelmReleases piped into helm for deploy, cutover and instant rollback."""
    fake = FakeHelm.create(tmp_path_factory.mktemp("helm"), revisions=[revision(1, INSTALL, status="deployed")])
    releases = HelmReleases(kube_env(), executable=fake.executable)
    releases.deploy(Color.GREEN, "1.5.0", "relui deploy 1.5.0 to green by alice")
    releases.set_active(Color.GREEN, "relui cutover blue->green by alice")
    releases.set_active(Color.BLUE, "relui rollback green->blue by alice: error spike")
    deploy, cutover, back = (json.loads(call["stdin"]) for call in fake.calls("upgrade"))
    return {"install": INSTALL, "deploy": deploy, "cutover": cutover, "instant_rollback": back}


def test_install_renders_one_color(sent: dict[str, dict[str, Any]]) -> None:
    docs = render(sent["install"])
    assert sorted(docs) == [
        ("Deployment", "shop-blue"),
        ("Ingress", "shop"),
        ("PodDisruptionBudget", "shop-blue"),
        ("Service", "shop"),
        ("Service", "shop-blue-preview"),
    ]
    assert docs[("Service", "shop")]["spec"]["selector"]["relui.dev/color"] == "blue"
    backend = docs[("Ingress", "shop")]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "shop"


def test_deploy_adds_the_green_deployment_preview_and_pdb(sent: dict[str, dict[str, Any]]) -> None:
    docs = render(sent["deploy"])
    for color, tag in (("blue", "1.4.2"), ("green", "1.5.0")):
        deployment = docs[("Deployment", f"shop-{color}")]
        labels = deployment["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "shop" and labels["relui.dev/color"] == color
        pod = deployment["spec"]["template"]
        assert pod["metadata"]["labels"]["relui.dev/color"] == color
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        assert pod["spec"]["containers"][0]["image"] == f"registry.example.com/shop:{tag}"
        assert pod["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/healthz"
        preview = docs[("Service", f"shop-{color}-preview")]
        assert preview["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        pdb = docs[("PodDisruptionBudget", f"shop-{color}")]
        assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert docs[("Service", "shop")]["spec"]["selector"]["relui.dev/color"] == "blue"


def test_cutover_changes_only_the_live_service_selector(sent: dict[str, dict[str, Any]]) -> None:
    before, after = render(sent["deploy"]), render(sent["cutover"])
    assert sorted(before) == sorted(after)
    changed = {key: differences(before[key], after[key]) for key in before if before[key] != after[key]}
    assert changed == {("Service", "shop"): [".spec.selector.relui.dev/color"]}
    assert after[("Service", "shop")]["spec"]["selector"]["relui.dev/color"] == "green"


def test_instant_rollback_renders_what_was_live_before(sent: dict[str, dict[str, Any]]) -> None:
    assert render(sent["instant_rollback"]) == render(sent["deploy"])


def test_revision_rollback_renders_the_old_revision(tmp_path: Path) -> None:
    # helm rollback re-applies the stored values of the revision: the install's.
    fake = FakeHelm.create(tmp_path / "again")
    HelmReleases(kube_env(), executable=fake.executable).rollback(1, "relui rollback to revision 1 by alice")
    restored = fake.state()["revisions"][-1]
    assert restored["description"] == "Rollback to 1"
    assert render(restored["values"]) == render(fake.state()["revisions"][0]["values"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"activeColor": "purple"}, "at '/activeColor': value must be one of 'blue', 'green'"),
        ({"green": {"enabled": True}}, "/green/tag"),
        ({"green": {"enabled": True, "tag": "bad tag"}}, "/green/tag"),
        ({"blue": {"enabled": True, "tag": ""}}, "/blue/tag"),
    ],
)
def test_schema_rejects_bad_values(change: dict[str, Any], message: str) -> None:
    done = helm("template", "shop", str(CHART), values={**INSTALL, **change}, check=False)
    assert done.returncode != 0 and message in done.stderr


def test_active_color_without_deployment_fails_rendering_with_the_fix() -> None:
    done = helm("template", "shop", str(CHART), values={**INSTALL, "activeColor": "green"}, check=False)
    assert done.returncode != 0
    assert "activeColor is green but green.enabled is false" in done.stderr
    assert "set green.enabled=true with green.tag" in done.stderr
