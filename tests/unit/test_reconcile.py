"""``SetReconciler`` — observe, allocate, plan, apply — against an in-memory device and
Contrail: allocations made once and learnt at once, a refusal costing one load balancer,
a failover between plan and apply, and the verdict each pass gives its work queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.model.contrail import Subnet, VirtualNetwork
from reconciler.model.values import FrozenDict, Secret
from reconciler.plan.diff import DeleteGuard
from reconciler.reconcile import Request, SetReconciler, Target, Verdict, plan_set
from reconciler.settings import DeviceSettings, settings_for
from reconciler.translate.desired import Options
from tests.unit.builders import PROJECT, World, f5_set
from tests.unit.fakes import FakeContrail, FakeDevice

P = f"Contrail_{PROJECT}"
SUBNET = "5f0e7a1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


def device(name: str = "f5", active: bool = True) -> FakeDevice:
    return FakeDevice(DeviceSettings(name, "10.84.31.99", 443, "admin", Secret("pw")), active)


def request(world: World, settings: Any = None, **kw: Any) -> Request:
    settings = settings or world.settings
    return Request(world.snapshot(), settings, Options(), DeleteGuard(), **kw)


def test_a_pass_creates_everything_and_a_second_writes_nothing() -> None:
    world = World()
    world.service()
    bigip = device()
    reconciler = SetReconciler(FakeContrail(), [Target(bigip)])  # type: ignore[arg-type]
    first = reconciler.run(request(world))
    assert first.verdict is Verdict.DONE and first.ok
    assert bigip.names("ltm/virtual", P) and bigip.saves == 1
    writes = len(bigip.writes)
    second = reconciler.run(request(world, read_devices=True))
    assert second.verdict is Verdict.DONE
    assert not second.plan.has_changes and len(bigip.writes) == writes


def test_planning_is_a_value_of_what_was_observed_and_allocated() -> None:
    """The same inputs give the same plan, and planning touches neither edge."""
    world = World()
    world.service()
    bigip = device()
    reconciler = SetReconciler(FakeContrail(), [Target(bigip)])  # type: ignore[arg-type]
    req = request(world)
    observed = reconciler.observe(req)
    allocations = reconciler.allocate(req, observed)
    before = list(bigip.writes)
    one, two = plan_set(req, observed, allocations), plan_set(req, observed, allocations)
    assert one.plan == two.plan and one.plan.has_changes
    assert bigip.writes == before  # nothing written while planning


def test_the_device_refusing_one_load_balancer_holds_only_that_one() -> None:
    world = World()
    good, _l, _p = world.service()
    bad = world.lb(vip="10.1.1.20")
    pool = world.pool(world.listener(bad, port=81))
    world.member(pool, "10.2.9.1")
    bigip = device()
    bigip.refuse[f"Contrail_{pool.uuid}"] = "01070712:3: refused by the device"
    reconciler = SetReconciler(FakeContrail(), [Target(bigip)])  # type: ignore[arg-type]
    result = reconciler.run(request(world))
    assert result.lb_results[good.uuid] is None
    assert "01070712" in (result.lb_results[bad.uuid] or "")
    assert result.verdict is Verdict.RETRY  # the device may accept it later: back off
    assert f"Contrail_{pool.uuid}" not in bigip.names("ltm/pool", P)
    assert bigip.names("ltm/virtual", P)  # the other load balancer's objects went on


def test_a_failover_between_plan_and_apply_writes_nothing_and_plans_again() -> None:
    world = World()
    world.service()
    settings = replace(world.settings, sync_mode="config-sync")
    one, two = device("bigip1"), device("bigip2", active=False)
    reconciler = SetReconciler(
        FakeContrail(),
        [Target(one), Target(two)],  # type: ignore[arg-type]
        config_sync=True,
    )
    req = request(world, settings)
    observed = reconciler.observe(req)
    set_plan = reconciler.plan(req, observed, reconciler.allocate(req, observed))
    assert [d.device for d in set_plan.plan.devices] == ["bigip1"]
    one.active, two.active = False, True  # the pair fails over before the apply
    result = reconciler.apply(req, set_plan)
    assert result.verdict is Verdict.REQUEUE and not one.writes and not two.writes
    again = reconciler.run(req)
    assert again.verdict is Verdict.DONE
    assert not one.writes and two.names("ltm/virtual", P)
    assert [t.client for t in reconciler.written_targets()] == [two]


def l3_world() -> tuple[World, Any]:
    world = World()
    world.sets["sas-f5"] = f5_set(global_routed_mode="false", interface_mapping="net:1.1")
    lb, _listener, _pool = world.service()
    world.lbs[lb.uuid] = replace(lb, vip_subnet_id=SUBNET)
    network = VirtualNetwork(
        "vn-1", "net", ("default-domain", "demo", "net"), PROJECT, (Subnet(SUBNET, "10.1.1.0/24"),)
    )
    snapshot = replace(world.snapshot(), networks=FrozenDict({"vn-1": network}))
    return world, snapshot


class L3Pass:
    """An L3 set of one load balancer, its reconciler, and what it learnt it owns."""

    def __init__(self) -> None:
        world, self.snapshot = l3_world()
        self.settings = settings_for(world.sets["sas-f5"])
        self.contrail = FakeContrail()
        self.learnt: dict[str, Any] = {}
        self.bigip = device()
        self.reconciler = SetReconciler(
            self.contrail,
            [Target(self.bigip)],  # type: ignore[arg-type]
            on_owned=self.learnt.update,
        )


def test_l3_addresses_are_allocated_before_planning_once_and_learnt_at_once() -> None:
    l3 = L3Pass()
    dry = l3.reconciler.run(
        Request(l3.snapshot, l3.settings, Options(), DeleteGuard(), dry_run=True)
    )
    assert l3.contrail.creates == 0 and not l3.learnt  # a dry run only lists them
    assert [c.action for c in dry.plan.contrail if c.type == "instance-ip"] == ["create"] * 2

    result = l3.reconciler.run(Request(l3.snapshot, l3.settings, Options(), DeleteGuard()))
    assert result.verdict is Verdict.DONE and l3.contrail.creates == 2
    assert sorted(l3.learnt) == sorted(ip.name for ip in l3.contrail.ips.values())
    addresses = {i["address"].split("%")[0] for i in l3.bigip.collection("net/self")}
    assert addresses and addresses <= {
        ip.get_instance_ip_address() for ip in l3.contrail.ips.values()
    }

    # A pass on a l3.snapshot that has not seen them (a read that began before the write)
    # takes the instance-ips Contrail already has, instead of losing the subnet.
    again = l3.reconciler.run(Request(l3.snapshot, l3.settings, Options(), DeleteGuard()))
    assert l3.contrail.creates == 2 and again.verdict is Verdict.DONE
    assert not any("allocation failed" in n for n in again.plan.notes)
    assert not [op for d in again.plan.devices for op in d.operations if op.action == "delete"]


def test_l3_addresses_are_released_when_the_last_load_balancer_goes() -> None:
    l3 = L3Pass()
    l3.reconciler.run(Request(l3.snapshot, l3.settings, Options(), DeleteGuard()))
    with_ips = replace(l3.snapshot, owned_ips=FrozenDict({k: v for k, v in l3.learnt.items() if v}))
    empty = replace(
        with_ips,
        load_balancers=FrozenDict(),
        listeners=FrozenDict(),
        pools=FrozenDict(),
        members=FrozenDict(),
        monitors=FrozenDict(),
        projects=frozenset({PROJECT}),
    )
    guard = DeleteGuard(contrail_empty=True, known_projects=frozenset({PROJECT}))
    result = l3.reconciler.run(Request(empty, l3.settings, Options(), guard, read_devices=True))
    assert result.verdict is Verdict.DONE
    assert l3.contrail.ips == {}  # released, so Contrail lets the network be deleted
    assert all(v is None for k, v in l3.learnt.items() if k.startswith("Contrail_f5_"))
    assert not l3.bigip.names("net/self", P)


def test_a_deletion_guard_refusal_is_terminal_until_the_input_changes() -> None:
    world = World()
    lbs = []
    for i in range(3):
        lbs.append(lb := world.lb(vip=f"10.1.1.{10 + i}"))
        world.member(world.pool(world.listener(lb)), f"10.2.0.{i + 1}")
    bigip = device()
    reconciler = SetReconciler(FakeContrail(), [Target(bigip)])  # type: ignore[arg-type]
    reconciler.run(request(world))
    for lb in lbs[:2]:
        del world.lbs[lb.uuid]
    guard = DeleteGuard(max_fraction=0.1, min_objects=1)
    req = Request(world.snapshot(), world.settings, Options(), guard, read_devices=True)
    verdicts = [reconciler.run(req).verdict for _ in range(3)]
    assert verdicts == [Verdict.TERMINAL] * 3  # not retried: the queue forgets the key
    assert len(bigip.names("ltm/virtual", P)) == 3  # nothing deleted
    allowed = replace(req, guard=replace(guard, allow=True))  # the operator's say-so
    assert reconciler.run(allowed).verdict is Verdict.DONE
    assert len(bigip.names("ltm/virtual", P)) == 1


def test_a_pass_saves_only_the_partitions_it_wrote() -> None:
    """A whole ``save sys config`` holds a large device for seconds: a change in one
    project's partition saves that partition alone."""
    world = World()
    _lb, _listener, pool = world.service()
    bigip = device()
    reconciler = SetReconciler(FakeContrail(), [Target(bigip)])  # type: ignore[arg-type]
    reconciler.run(request(world))
    assert P in (bigip.saved_partitions[-1] or ())
    world.member(pool, "10.0.0.99")
    reconciler.run(request(world, read_devices=True))
    assert bigip.saved_partitions[-1] == (P,)
