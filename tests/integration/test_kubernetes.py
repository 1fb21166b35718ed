"""KubeCluster against the kmock Kubernetes emulator on loopback."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kmock
import pytest

from relui.adapters.kubernetes import KubeCluster, diagnose
from relui.domain import Color, LockInfo
from relui.ports import LockHeld, NotFound, PortError, SourceUnavailable
from tests.integration.adapter_env import kube_env
from tests.integration.kube_fixtures import (
    DEPLOYMENTS,
    LEASES,
    NS,
    PODS,
    SERVICES,
    SSAR,
    TOKEN,
    VERSION,
    Kube,
    closed_port,
    kube,
    micro,
    pod,
    status,
    write_kubeconfig,
)

pytestmark = pytest.mark.integration
__all__ = ["kube"]  # the fixture, imported for pytest to find
SELECTOR = {
    Color.BLUE: "app.kubernetes.io/instance=shop,relui.dev/color=blue",
    Color.GREEN: "app.kubernetes.io/instance=shop,relui.dev/color=green",
}


def cluster(k: Kube, timeout: tuple[float, float] = (2.0, 2.0)) -> KubeCluster:
    return KubeCluster(kube_env(), kubeconfig=str(k.kubeconfig), request_timeout=timeout)


async def test_color_states_from_deployments_and_pods(kube: Kube) -> None:
    states = await asyncio.to_thread(cluster(kube).color_states)
    blue, green = states[Color.BLUE], states[Color.GREEN]
    assert (blue.version, blue.enabled, blue.desired, blue.ready, blue.all_ready) == ("1.4.2", True, 3, 3, True)
    assert [p.name for p in blue.pods] == ["shop-blue-7d9-0", "shop-blue-7d9-1", "shop-blue-7d9-2"]
    assert (green.version, green.desired, green.ready, green.restarts) == ("1.5.0", 3, 1, 5)
    assert green.worst_reason == "CrashLoopBackOff"
    assert {p.name: p.reason for p in green.pods} == {
        "shop-green-5c4-0": None,
        "shop-green-5c4-1": "CrashLoopBackOff",
        "shop-green-5c4-2": "ImagePullBackOff",
    }
    # The emulator ignores selectors: what matters is what the adapter asked for, and with which identity.
    for resource in (DEPLOYMENTS, PODS):
        sent = [r.params.get("labelSelector") for r in kube.emulator[resource]]
        assert sent == [SELECTOR[Color.BLUE], SELECTOR[Color.GREEN]]
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in kube.emulator[PODS])
    assert all(f"/namespaces/{NS}/" in str(r.url) for r in kube.emulator[PODS])


async def test_a_color_without_deployment_is_disabled_and_its_pods_are_not_listed(kube: Kube) -> None:
    del kube.emulator.objects[DEPLOYMENTS, NS, "shop-green"]
    green = (await asyncio.to_thread(cluster(kube).color_states))[Color.GREEN]
    assert (green.enabled, green.version, green.desired, green.pods) == (False, None, 0, ())
    assert [r.params.get("labelSelector") for r in kube.emulator[PODS]] == [SELECTOR[Color.BLUE]]


async def test_observed_active_color_reads_the_live_selector(kube: Kube) -> None:
    adapter = cluster(kube)
    assert await asyncio.to_thread(adapter.observed_active_color) is Color.BLUE
    kube.emulator.objects[SERVICES, NS, "shop"].patch({"spec": {"selector": {"relui.dev/color": "green"}}})
    assert await asyncio.to_thread(adapter.observed_active_color) is Color.GREEN


async def test_warning_events_of_one_color_newest_first(kube: Kube) -> None:
    events = await asyncio.to_thread(cluster(kube).warning_events, Color.GREEN)
    assert events == [
        "BackOff: Back-off restarting failed container (shop-green-5c4-1)",
        "Failed: Failed to pull image shop:1.5.0 (shop-green-5c4-2)",
    ]
    (request,) = kube.emulator[kmock.resource("v1/events")]
    assert request.params.get("fieldSelector") == "type=Warning"


async def test_lease_lock_second_operator_is_refused_with_the_holder(kube: Kube) -> None:
    alice, bob = cluster(kube), cluster(kube)
    assert await asyncio.to_thread(alice.lock) is None
    taken = await asyncio.to_thread(alice.acquire_lock, "alice@bastion")
    with pytest.raises(LockHeld) as refused:
        await asyncio.to_thread(bob.acquire_lock, "bob@laptop")
    assert refused.value.lock.holder == "alice@bastion" and refused.value.lock.since == taken.since
    assert str(refused.value).startswith("lock held by alice@bastion since ")
    renewed = await asyncio.to_thread(alice.acquire_lock, "alice@bastion")
    assert renewed.since == taken.since and renewed.renewed is not None and renewed.renewed >= taken.since
    await asyncio.to_thread(bob.release_lock, "bob@laptop")  # not his: a no-op
    assert (await asyncio.to_thread(bob.lock)) == LockInfo("alice@bastion", taken.since, renewed.renewed)
    await asyncio.to_thread(alice.release_lock, "alice@bastion")
    assert await asyncio.to_thread(bob.lock) is None
    assert (await asyncio.to_thread(bob.acquire_lock, "bob@laptop")).holder == "bob@laptop"
    creates = kube.emulator["post", LEASES]
    patches = kube.emulator["patch", LEASES]
    assert len(creates) == 1 and creates[0].data["metadata"]["name"] == "relui-lock-prod"
    assert creates[0].data["spec"]["leaseDurationSeconds"] == 300
    assert all(p.headers.get("Content-Type") == "application/merge-patch+json" for p in patches)
    assert len(patches) == 3  # renew, release, bob's take-over


async def test_a_lock_is_held_by_principal_at_host_not_by_the_name_alone(kube: Kube) -> None:
    adapter = cluster(kube)
    taken = await asyncio.to_thread(adapter.acquire_lock, "carol")
    assert taken.holder == f"carol@{socket.gethostname()}"
    assert (await asyncio.to_thread(adapter.acquire_lock, "carol")).since == taken.since  # renewal
    # The same name on another bastion is another holder: it neither renews nor releases carol's lock.
    with pytest.raises(LockHeld):
        await asyncio.to_thread(adapter.acquire_lock, "carol@other-bastion")
    await asyncio.to_thread(adapter.release_lock, "carol@other-bastion")
    await asyncio.to_thread(adapter.release_lock, "carol@evil")
    assert (await asyncio.to_thread(adapter.lock)) is not None
    await asyncio.to_thread(adapter.release_lock, "carol")
    assert await asyncio.to_thread(adapter.lock) is None


def seed_lease(k: Kube, holder: str, renewed_ago: timedelta, version: str = "41") -> None:
    renewed = datetime.now(UTC) - renewed_ago
    k.emulator.objects[LEASES, NS, "relui-lock-prod"] = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "relui-lock-prod", "namespace": NS, "resourceVersion": version},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 300,
            "acquireTime": micro(renewed - timedelta(hours=1)),
            "renewTime": micro(renewed),
            "leaseTransitions": 2,
        },
    }


async def test_an_expired_lease_is_free_and_taken_over(kube: Kube) -> None:
    seed_lease(kube, "carol@gone", timedelta(minutes=6))
    adapter = cluster(kube)
    assert await asyncio.to_thread(adapter.lock) is None
    taken = await asyncio.to_thread(adapter.acquire_lock, "bob@laptop")
    assert taken.holder == "bob@laptop" and datetime.now(UTC) - taken.since < timedelta(minutes=1)
    (patch,) = kube.emulator["patch", LEASES]
    assert patch.data["metadata"]["resourceVersion"] == "41"
    assert patch.data["spec"]["leaseTransitions"] == 3


async def test_a_conflict_is_retried_once(kube: Kube) -> None:
    seed_lease(kube, "carol@gone", timedelta(hours=1))
    kube.emulator["patch", LEASES][:1] << 409 << status(409, "Conflict", "the object has been modified")
    taken = await asyncio.to_thread(cluster(kube).acquire_lock, "bob@laptop")
    assert taken.holder == "bob@laptop"
    assert len(kube.emulator["patch", LEASES]) == 2 and len(kube.emulator["get", LEASES]) == 2


async def test_a_conflict_twice_is_a_clear_error(kube: Kube) -> None:
    seed_lease(kube, "carol@gone", timedelta(hours=1))
    kube.emulator["patch", LEASES] << 409 << status(409, "Conflict", "the object has been modified")
    with pytest.raises(PortError, match="changed twice while taking it; another operator is racing you"):
        await asyncio.to_thread(cluster(kube).acquire_lock, "bob@laptop")


async def test_forbidden_names_the_user_the_verb_and_the_fix(kube: Kube) -> None:
    message = 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "shop-prod"'
    kube.emulator["get", PODS] << 403 << status(403, "Forbidden", message)
    with pytest.raises(PortError) as caught:
        await asyncio.to_thread(cluster(kube).color_states)
    assert str(caught.value) == (
        "RBAC: user alice cannot list pods in shop-prod; grant it with a Role allowing 'list' on pods "
        "(check: kubectl auth can-i list pods -n shop-prod)"
    )


async def test_unauthorized_says_log_in_again(kube: Kube) -> None:
    kube.emulator["get", SERVICES] << 401 << status(401, "Unauthorized", "Unauthorized")
    with pytest.raises(SourceUnavailable, match=r"rejected the credentials of prod-ctx \(401\): log in again"):
        await asyncio.to_thread(cluster(kube).observed_active_color)


async def test_a_missing_live_service_is_not_found(kube: Kube) -> None:
    del kube.emulator.objects[SERVICES, NS, "shop"]
    with pytest.raises(NotFound, match="get services shop in shop-prod: not found"):
        await asyncio.to_thread(cluster(kube).observed_active_color)


async def test_a_hung_api_server_times_out_as_one_line(kube: Kube) -> None:
    kube.emulator["get", SERVICES] << (lambda: asyncio.sleep(3))
    with pytest.raises(SourceUnavailable) as caught:
        await asyncio.to_thread(cluster(kube, timeout=(0.5, 0.5)).observed_active_color)
    assert str(caught.value) == (
        f"kubernetes API {kube.url} (prod-ctx) did not answer in time; check kube_context, VPN and the cluster"
    )


def test_a_refused_connection_is_one_line(tmp_path: Path) -> None:
    server = f"http://127.0.0.1:{closed_port()}"
    config = write_kubeconfig(tmp_path / "kubeconfig", server)
    with pytest.raises(SourceUnavailable) as caught:
        KubeCluster(kube_env(), kubeconfig=str(config)).color_states()
    assert str(caught.value) == (
        f"kubernetes API {server} (prod-ctx) refused the connection; check kube_context, VPN and the cluster"
    )


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1")
    adapter = KubeCluster(kube_env(kube_context="nope"), kubeconfig=str(config))  # no IO yet
    with pytest.raises(PortError, match="kube_context = 'nope' must be one of: prod-ctx, staging-ctx"):
        adapter.lock()


def test_no_kubeconfig_and_not_in_a_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(PortError, match=r"no kubeconfig at .* and not running in a cluster"):
        KubeCluster(kube_env(), kubeconfig=str(tmp_path / "absent")).lock()


async def test_diagnose_reports_reachability_and_missing_rbac(tmp_path: Path) -> None:
    async with kmock.KubernetesScaffold() as scaffold, kmock.Server(scaffold, host="127.0.0.1") as server:
        scaffold.resources.load_bundled()
        scaffold["get /version"] << VERSION  # not /version/: not every API server answers that
        verb = lambda req: req.data["spec"]["resourceAttributes"]["verb"]  # noqa: E731
        scaffold["post", SSAR] << (lambda req: {**req.data, "status": {"allowed": verb(req) != "patch"}})
        url = str(server.url)
        config = write_kubeconfig(tmp_path / "kubeconfig", url)
        reach, rbac = await asyncio.to_thread(diagnose, kube_env(), kubeconfig=str(config))
        asked = [(verb(r), r.data["spec"]["resourceAttributes"]["resource"]) for r in scaffold["post", SSAR]]
        versions = [r.url.path for r in scaffold if "version" in r.url.path]
    assert versions == ["/version"]
    assert reach.ok and reach.detail == f"prod-ctx: API v1.31.2 at {url}"
    assert not rbac.ok and rbac.detail == "cannot patch leases.coordination.k8s.io in shop-prod"
    assert rbac.fix == "bind a Role in shop-prod granting: patch leases.coordination.k8s.io"
    assert ("list", "pods") in asked and ("get", "services") in asked and ("create", "leases") in asked


def test_diagnose_of_an_unreachable_cluster_is_one_finding_with_a_fix(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{closed_port()}")
    (finding,) = diagnose(kube_env(), kubeconfig=str(config))
    assert not finding.ok and "refused the connection" in finding.detail
    assert finding.fix == "check kube_context, VPN and the cluster"


async def test_each_pod_carries_the_reason_an_operator_acts_on(kube: Kube) -> None:
    objects = kube.emulator.objects
    for name in list(n for (_, _, n) in objects if n.startswith("shop-green-5c4")):
        del objects[PODS, NS, name]
    config_error = pod("shop-green-5c4-3", "green", "1.5.0", ready=False, waiting="ContainerCreating")
    config_error["status"]["containerStatuses"].append(
        {"name": "sidecar", "image": "envoy", "imageID": "", "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "db" not found'}}}
    )  # fmt: skip
    pending = pod("shop-green-5c4-4", "green", "1.5.0", ready=False)
    pending["status"] = {
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient cpu."}],
    }  # fmt: skip
    pulled = pod("shop-green-5c4-5", "green", "1.5.0", ready=False, waiting="ErrImagePull")
    initialized = pod("shop-green-5c4-6", "green", "1.5.0")
    initialized["status"]["initContainerStatuses"] = [
        {"name": "migrate", "image": "shop", "imageID": "", "ready": False, "restartCount": 0,
         "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
    ]  # fmt: skip
    for p in (config_error, pending, pulled, initialized):
        objects[PODS, NS, p["metadata"]["name"]] = p
    green = (await asyncio.to_thread(cluster(kube).color_states))[Color.GREEN]
    assert {p.name: p.reason for p in green.pods} == {
        "shop-green-5c4-3": "CreateContainerConfigError",  # the hopeless container wins over a waiting one
        "shop-green-5c4-4": "Unschedulable",
        "shop-green-5c4-5": "ErrImagePull",
        "shop-green-5c4-6": None,  # a completed init container is no problem
    }
