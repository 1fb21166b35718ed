"""HelmReleases against a recording fake helm: the exact command lines for v3 and v4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relui.adapters.helm import HelmReleases, diagnose
from relui.domain import Color, ReleaseValues
from relui.ports import NotFound, PortError, SourceUnavailable
from tests.integration.adapter_env import kube_env
from tests.integration.fake_helm import CHART, FakeHelm, revision, standard_history

pytestmark = pytest.mark.integration

V3, V4 = "v3.15.4", "v4.1.4"
TAIL = ["--kube-context", "prod-ctx"]  # pyhelm3 appends the context to every command
DESCRIPTION = "relui deploy 1.6.0 to blue by alice: weekly release"


def releases(tmp_path: Path, version: str = V3) -> tuple[HelmReleases, FakeHelm]:
    fake = FakeHelm.create(tmp_path / "helm", version=version)
    return HelmReleases(kube_env(), executable=fake.executable), fake


def test_values_come_from_the_deployed_revision_computed(tmp_path: Path) -> None:
    rel, fake = releases(tmp_path)
    assert rel.values() == ReleaseValues(Color.GREEN, "1.4.2", "1.5.0", blue_enabled=True, green_enabled=True)
    history, get = fake.calls()
    assert history["argv"] == ["history", "shop", "--output", "json", "--max", "20", "--namespace", "shop-prod", *TAIL]
    assert get["argv"] == [
        "get", "values", "shop", "--output", "json", "--all", "--revision", "3", "--namespace", "shop-prod", *TAIL
    ]  # fmt: skip


@pytest.mark.parametrize("version", [V3, V4])
def test_deploy_sets_only_the_idle_color_and_does_not_wait_in_helm(tmp_path: Path, version: str) -> None:
    rel, fake = releases(tmp_path, version)
    before = fake.state()["revisions"][-1]["values"]
    revision = rel.deploy(Color.BLUE, "1.6.0", DESCRIPTION)
    (upgrade,) = fake.calls("upgrade")
    # No --wait: relui polls the pods itself and stops at the first hopeless one.
    assert upgrade["argv"] == [
        "upgrade", "shop", str(CHART), "--namespace", "shop-prod", "--reset-values", "--values", "-",
        "--description", DESCRIPTION, "--timeout", "120s", "--output", "json", *TAIL,
    ]  # fmt: skip
    (get,) = [c for c in fake.calls("get") if "--all" not in c["argv"]]
    assert get["argv"][get["argv"].index("--revision") + 1] == "3"  # the deployed revision, by number
    sent = json.loads(upgrade["stdin"])
    assert sent == {**before, "blue": {"tag": "1.6.0", "enabled": True}}
    assert sent["green"] == {"enabled": True, "tag": "1.5.0"} and sent["activeColor"] == "green"
    assert sent["ingress"] == {"enabled": True} and sent["image"] == before["image"]
    assert (revision.number, revision.status, revision.description) == (4, "deployed", DESCRIPTION)
    assert revision.values == ReleaseValues(Color.GREEN, "1.6.0", "1.5.0", True, True)


@pytest.mark.parametrize("version", [V3, V4])
def test_cutover_changes_only_active_color_without_waiting(tmp_path: Path, version: str) -> None:
    rel, fake = releases(tmp_path, version)
    before = fake.state()["revisions"][-1]["values"]
    description = "relui cutover green->blue by alice: instant rollback"
    revision = rel.set_active(Color.BLUE, description)
    (upgrade,) = fake.calls("upgrade")
    assert "--description" in upgrade["argv"] and description in upgrade["argv"]
    assert not [arg for arg in upgrade["argv"] if arg.startswith("--wait")]
    assert json.loads(upgrade["stdin"]) == {**before, "activeColor": "blue"}
    assert revision.values is not None and revision.values.active_color is Color.BLUE


def test_cutover_to_a_color_without_deployment_is_refused(tmp_path: Path) -> None:
    installed = [revision(1, {"blue": {"tag": "1.4.2"}}, status="deployed", description="Install complete")]
    fake = FakeHelm.create(tmp_path / "helm", revisions=installed)
    rel = HelmReleases(kube_env(), executable=fake.executable)
    with pytest.raises(PortError, match="cannot route traffic to green: it has no deployment"):
        rel.set_active(Color.GREEN, "relui cutover blue->green by alice")
    assert fake.calls("upgrade") == []


@pytest.mark.parametrize("version", [V3, V4])
def test_rollback_runs_helm_rollback_without_waiting(tmp_path: Path, version: str) -> None:
    rel, fake = releases(tmp_path, version)
    revision = rel.rollback(2, "relui rollback to revision 2 by alice: error spike")
    (call,) = fake.calls("rollback")
    assert call["argv"] == ["rollback", "shop", "2", "--namespace", "shop-prod", "--timeout", "120s", *TAIL]
    assert (revision.number, revision.status, revision.description) == (4, "deployed", "Rollback to 2")


def test_rollback_to_an_unknown_revision_names_the_known_ones(tmp_path: Path) -> None:
    rel, fake = releases(tmp_path)
    with pytest.raises(NotFound, match="no revision 9; known revisions: 1, 2, 3"):
        rel.rollback(9, "relui rollback")
    assert fake.calls("rollback") == []


def test_history_is_newest_first_with_status_description_and_values(tmp_path: Path) -> None:
    rel, _ = releases(tmp_path)
    history = rel.history()
    assert [(r.number, r.status) for r in history] == [(3, "deployed"), (2, "superseded"), (1, "superseded")]
    assert history[0].description == "relui cutover blue->green by alice: release 1.5.0"
    assert history[2].values == ReleaseValues(Color.BLUE, "1.4.2", None, True, False)
    assert history[1].values == ReleaseValues(Color.BLUE, "1.4.2", "1.5.0", True, True)
    assert history[0].updated.tzinfo is not None and history[0].updated.hour == 8  # 09:00+01:00


@pytest.mark.parametrize("stuck", ["pending-upgrade", "pending-rollback"])
def test_a_pending_release_is_refused_with_the_fix(tmp_path: Path, stuck: str) -> None:
    rel, fake = releases(tmp_path)
    fake.set_status(3, stuck)
    with pytest.raises(PortError) as caught:
        rel.deploy(Color.BLUE, "1.6.0", DESCRIPTION)
    message = str(caught.value)
    assert f"stuck in {stuck} (revision 3)" in message
    assert "helm rollback shop 2 -n shop-prod --kube-context prod-ctx (last good revision)" in message
    assert "helm history shop" in message and "\n" not in message
    assert fake.calls("upgrade") == []


def test_pending_install_has_nothing_to_roll_back_to(tmp_path: Path) -> None:
    fake = FakeHelm.create(tmp_path / "helm", revisions=[revision(1, {}, status="pending-install")])
    with pytest.raises(PortError, match=r"stuck in pending-install .* helm uninstall shop"):
        HelmReleases(kube_env(), executable=fake.executable).values()


def test_a_missing_release_says_how_to_start_it(tmp_path: Path) -> None:
    fake = FakeHelm.create(tmp_path / "helm", revisions=[])
    rel = HelmReleases(kube_env(), executable=fake.executable)
    for call in (rel.values, rel.history, lambda: rel.deploy(Color.GREEN, "1.6.0", DESCRIPTION)):
        with pytest.raises(NotFound) as caught:
            call()
        assert str(caught.value) == (
            "release shop not found in namespace shop-prod; start it with: relui install prod VERSION"
        )
    assert fake.calls("upgrade") == []


def test_a_failed_revision_is_never_the_base_of_the_next_upgrade(tmp_path: Path) -> None:
    history = standard_history()
    history[-1]["status"] = "superseded"
    failed = {**history[-1]["values"], "green": {"enabled": True, "tag": "6.6.6"}}
    history.append(revision(4, failed, status="failed", description="relui deploy 6.6.6 to green by bob"))
    history[-2]["status"] = "deployed"
    fake = FakeHelm.create(tmp_path / "helm", revisions=history)
    rel = HelmReleases(kube_env(), executable=fake.executable)
    assert rel.values().green_tag == "1.5.0"  # what the plan shows ...
    rel.set_active(Color.BLUE, "relui cutover green->blue by alice")
    sent = json.loads(fake.calls("upgrade")[0]["stdin"])
    assert sent["green"] == {"enabled": True, "tag": "1.5.0"}  # ... is what the upgrade builds on
    assert sent["activeColor"] == "blue"


def test_install_enables_one_color_live_and_refuses_an_existing_release(tmp_path: Path) -> None:
    fake = FakeHelm.create(tmp_path / "helm", revisions=[])
    rel = HelmReleases(kube_env(), executable=fake.executable)
    revision = rel.install(Color.BLUE, "1.4.2", "relui install 1.4.2 by alice")
    (call,) = fake.calls("upgrade")
    assert call["argv"] == [
        "upgrade", "shop", str(CHART), "--install", "--namespace", "shop-prod", "--values", "-",
        "--description", "relui install 1.4.2 by alice", "--timeout", "120s", "--output", "json", *TAIL,
    ]  # fmt: skip
    assert json.loads(call["stdin"]) == {
        "blue": {"enabled": True, "tag": "1.4.2"},
        "green": {"enabled": False},
        "activeColor": "blue",
    }
    assert (revision.number, revision.values) == (1, ReleaseValues(Color.BLUE, "1.4.2", None, True, False))
    with pytest.raises(PortError, match="release shop already exists in namespace shop-prod; deploy to it with"):
        rel.install(Color.BLUE, "1.4.3", "again")
    assert len(fake.calls("upgrade")) == 1


def test_an_unreachable_cluster_is_source_unavailable(tmp_path: Path) -> None:
    rel, fake = releases(tmp_path)
    fake.fail(
        "history",
        'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": '
        "dial tcp 127.0.0.1:6443: connect: connection refused",
    )
    with pytest.raises(SourceUnavailable, match=r"helm cannot reach the cluster \(prod-ctx\): Kubernetes cluster"):
        rel.values()


def test_an_upgrade_timeout_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    rel, fake = releases(tmp_path)
    fake.fail("upgrade", "WARNING: noise\nError: UPGRADE FAILED: context deadline exceeded")
    with pytest.raises(PortError, match=r"not ready within 120s \(UPGRADE FAILED: context deadline exceeded\)"):
        rel.deploy(Color.BLUE, "1.6.0", DESCRIPTION)


def test_constructor_does_no_io_and_a_missing_binary_is_a_port_error(tmp_path: Path) -> None:
    rel = HelmReleases(kube_env(), executable=str(tmp_path / "no-helm"))
    with pytest.raises(PortError, match=r"helm not found at .*no-helm"):
        rel.history()


def test_diagnose_reports_the_helm_version(tmp_path: Path) -> None:
    fake = FakeHelm.create(tmp_path / "helm", version=V4)
    (finding,) = diagnose(kube_env(), executable=fake.executable)
    assert finding.ok and finding.detail == f"helm {V4} at {fake.executable}"


def test_diagnose_without_helm_fails_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELUI_HELM", "/nonexistent/helm")
    (finding,) = diagnose(kube_env())
    assert not finding.ok and "helm binary not found" in finding.detail and "RELUI_HELM" in finding.fix
