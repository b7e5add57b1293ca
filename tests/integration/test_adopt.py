"""Taking over a BIG-IP the old chain configured (agent 9.2, or the v1 driver), on the strict
device emulator, without a moment in which a live load balancer's VIP does not answer."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
)
from tests.integration.conftest import counters, device
from tests.support.oldchain import configure_like_agent, configure_like_v1, stale_agent_virtual

MEMBERS = [("10.2.0.11", 8080, 1), ("10.2.0.12", 8080, 1)]


def service(vnc: Any, topo: Any, name: str, monitor: bool = True) -> Any:
    pool = PoolSpec(members=MEMBERS, monitor=MonitorSpec("HTTP") if monitor else None)
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("HTTP", 80, pool=pool)])


def destinations(bigip: Any) -> set[str]:
    """host:port of every virtual on the device, whatever its partition or spelling."""
    found = set()
    for v in device(bigip).tm.ltm.virtuals.get_collection():
        host = v.destination.rsplit("/", 1)[-1]
        ip, _, port = host.rpartition(":")
        found.add(f"{ip.split('%')[0]}:{port}")
    return found


class Watcher:
    """Polls the device's virtuals while the adoption runs: every VIP must answer in every
    sample (the device commits each swap as one transaction)."""

    def __init__(self, bigip: Any, expected: set[str]) -> None:
        self.bigip, self.expected = bigip, expected
        self.missing: list[set[str]] = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            gone = self.expected - destinations(self.bigip)
            self.samples += 1
            if gone:
                self.missing.append(gone)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(10)


def test_agent_configuration_is_taken_over_without_an_outage(bigip, vnc, topo, cli) -> None:
    web, api = service(vnc, topo, "web"), service(vnc, topo, "api", monitor=False)
    mgmt = device(bigip)
    old = configure_like_agent(mgmt, vnc, "demo", web, 80)
    configure_like_agent(mgmt, vnc, "demo", api, 80)
    stale = stale_agent_virtual(mgmt, old, "10.1.99.99")
    expected = {f"{web.vip}:80", f"{api.vip}:80"}

    # Started beside it without adoption: the agent's objects hold the VIPs, so the pass
    # says so, names them and the command that takes them over, and sends nothing the
    # device would refuse.
    before = cli("--once", "--dry-run")
    assert before.code == 1, before.out + before.err
    assert "reconcile adopt --from agent" in before.out
    assert f"/{old}/Project_web_web-http-80" in before.out
    counters(bigip, reset=True)
    naive = cli("--once")
    assert naive.code == 1
    state = vnc.loadbalancer_read(id=web.loadbalancer).get_loadbalancer_properties()
    assert state.provisioning_status == "ERROR" and "/Project_demo/" in (state.status or "")
    assert "reconcile adopt --from agent" in (state.status or "")
    assert counters(bigip)["writes"] == 0

    counters(bigip, reset=True)
    plan = cli("adopt", "--from", "agent", "--dry-run")
    assert plan.code == 2, plan.out + plan.err
    # Their old pools have members on the same servers, so the same nodes: a device keeps one
    # node per address, so ours can only be made once those are gone, for both at once.
    both = sorted([("web", web.loadbalancer), ("api", api.loadbalancer)], key=lambda x: x[1])
    names = ", ".join(f"{name} ({uuid})" for name, uuid in both)
    assert f"Load balancers {names}: swap in one transaction (their old members share" in plan.out
    assert f"- ltm/virtual /{old}/Project_web_web-http-80" in plan.out
    lines = plan.out.splitlines()
    last_delete = max(n for n, line in enumerate(lines) if "- ltm/node" in line)
    first_pool = min(n for n, line in enumerate(lines) if line.strip().startswith("+ ltm/pool"))
    assert last_delete < first_pool  # the old nodes go before ours (and their nodes) are made
    assert stale in plan.out and "left alone" in plan.out
    assert counters(bigip)["writes"] == 0  # a dry run writes nothing

    with Watcher(bigip, expected) as watcher:
        run = cli("adopt", "--from", "agent")
        time.sleep(0.2)
    assert run.code == 0, run.out + run.err
    assert watcher.samples > 3 and watcher.missing == []  # every VIP answered throughout

    done = cli("--once")
    assert done.code == 0, done.out + done.err
    for ids in (web, api):
        props = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
        assert props.provisioning_status == "ACTIVE"
    names = {f"/{v.partition}/{v.name}" for v in mgmt.tm.ltm.virtuals.get_collection()}
    assert stale in names  # unmatched: untouched
    assert not any(n.startswith(f"/{old}/Project_web") for n in names)
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0  # a clean second pass
    assert cli("adopt", "--from", "agent", "--dry-run").code == 0  # nothing left to swap


def test_v1_configuration_is_taken_over(bigip, vnc, topo, cli) -> None:
    web = service(vnc, topo, "web")
    mgmt = device(bigip)
    configure_like_v1(mgmt, vnc, topo.project, web, 80)
    with Watcher(bigip, {f"{web.vip}:80"}) as watcher:
        run = cli("adopt", "--from", "v1")
    assert run.code == 0, run.out + run.err
    assert watcher.missing == []
    assert cli("--once").code == 0
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0


def test_a_virtual_named_for_the_listener_but_serving_elsewhere_is_left_alone(
    bigip, vnc, topo, cli
) -> None:
    service(vnc, topo, "web")
    mgmt = device(bigip)
    partition = "Project_demo"
    mgmt.tm.sys.folders.folder.create(name=partition, subPath="/")
    mgmt.tm.ltm.virtuals.virtual.create(
        name="Project_web_web-http-80",
        partition=partition,
        destination=f"/{partition}/10.1.77.77:80",
        ipProtocol="tcp",
    )
    other = service(vnc, topo, "other")
    configure_like_agent(mgmt, vnc, "demo", other, 80)
    run = cli("adopt", "--from", "agent")
    assert run.code == 1  # something was left alone: the operator should look
    assert "web" in run.out and "serves 10.1.77.77:80" in run.out
    assert f"Load balancer other ({other.loadbalancer}): swap" in run.out  # the rest went on
    assert f"/{partition}/Project_web_web-http-80" in {
        f"/{v.partition}/{v.name}" for v in mgmt.tm.ltm.virtuals.get_collection()
    }


def project_of_five(vnc: Any, topo: Any) -> list[Any]:
    """Five load balancers of one project, each with members of its own (five swaps)."""
    lbs = []
    for i in range(5):
        pool = PoolSpec(members=[(f"10.2.1.{10 + i}", 8080, 1)], monitor=MonitorSpec("HTTP"))
        spec = [ListenerSpec("HTTP", 80, pool=pool)]
        lbs.append(add_load_balancer(vnc, topo, f"svc{i}", listeners=spec))
    return lbs


@pytest.mark.parametrize("source", ["agent", "v1"])
def test_every_load_balancer_of_a_project_is_swapped_in_one_run(
    bigip, vnc, topo, cli, source
) -> None:
    lbs = project_of_five(vnc, topo)
    mgmt = device(bigip)
    for ids in lbs:
        if source == "agent":
            configure_like_agent(mgmt, vnc, "demo", ids, 80)
        else:
            configure_like_v1(mgmt, vnc, topo.project, ids, 80)
    expected = {f"{ids.vip}:80" for ids in lbs}

    dry = cli("adopt", "--from", source, "--dry-run", "--output", "json")
    assert dry.code == 2, dry.out + dry.err
    planned = dry.json()
    assert planned["summary"]["create"] > 0 and planned["summary"]["delete"] > 0
    counters(bigip, reset=True)
    with Watcher(bigip, expected) as watcher:
        run = cli("adopt", "--from", source)
    assert run.code == 0, run.out + run.err
    assert watcher.missing == []  # every VIP answered throughout
    assert "swapped 5 load balancers" in run.out
    assert "already exists" not in run.out
    assert cli("--once").code == 0
    for ids in lbs:
        props = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
        assert props.provisioning_status == "ACTIVE"
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0  # a second pass writes nothing
    assert cli("adopt", "--from", source, "--dry-run").code == 0


def test_v1_unmatched_objects_are_deleted_on_request(bigip, vnc, topo, cli) -> None:
    web = service(vnc, topo, "web")
    mgmt = device(bigip)
    partition = configure_like_v1(mgmt, vnc, topo.project, web, 80)
    # A service Contrail no longer has: its virtual address was made by the device
    # (autoDelete), and goes with its last virtual.
    mgmt.tm.ltm.pools.pool.create(name="uuid_gone-pool", partition=partition)
    mgmt.tm.ltm.virtuals.virtual.create(
        name="uuid_gone",
        partition=partition,
        destination=f"/{partition}/10.1.88.88%0:80",
        pool=f"/{partition}/uuid_gone-pool",
        ipProtocol="tcp",
    )
    run = cli("adopt", "--from", "v1", "--delete-unmatched")
    assert run.code == 0, run.out + run.err
    names = {f"/{v.partition}/{v.name}" for v in mgmt.tm.ltm.virtuals.get_collection()}
    assert f"/{partition}/uuid_gone" not in names
    pools = {p.name for p in mgmt.tm.ltm.pools.get_collection() if p.partition == partition}
    assert "uuid_gone-pool" not in pools
    assert not [
        a for a in mgmt.tm.ltm.virtual_address_s.get_collection() if a.partition == partition
    ]


def test_a_swap_whose_old_pool_an_operators_virtual_uses_is_predicted_refused(
    bigip, vnc, topo, cli
) -> None:
    web, api = service(vnc, topo, "web"), service(vnc, topo, "api", monitor=False)
    mgmt = device(bigip)
    old = configure_like_agent(mgmt, vnc, "demo", web, 80)
    configure_like_agent(mgmt, vnc, "demo", api, 80)
    # The operator's own virtual, on the old pool of web: it stays, and so must the pool.
    mgmt.tm.ltm.virtuals.virtual.create(
        name="operator-canary",
        partition=old,
        destination=f"/{old}/10.1.66.66:80",
        pool=f"/{old}/Project_web_web-http-80-pool",
        ipProtocol="tcp",
    )
    dry = cli("adopt", "--from", "agent", "--dry-run")
    assert dry.code == 1, dry.out + dry.err
    assert "operator-canary" in dry.out and "refused" in dry.out
    counters(bigip, reset=True)
    run = cli("adopt", "--from", "agent")
    assert run.code == 1, run.out + run.err
    assert "01070265" not in run.out  # predicted, not sent to be refused
    names = {f"/{v.partition}/{v.name}" for v in mgmt.tm.ltm.virtuals.get_collection()}
    assert f"/{old}/operator-canary" in names
    assert f"/{old}/Project_web_web-http-80" in names  # web's swap was not attempted
