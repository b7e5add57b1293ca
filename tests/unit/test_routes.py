"""VIP route tables as values: what the table should hold and the changes to get there."""

from __future__ import annotations

from dataclasses import replace

from reconciler.model.contrail import Port, Route, RouteTable
from reconciler.model.values import FrozenDict
from reconciler.naming import MANAGED_BY
from reconciler.plan.routes import route_changes
from tests.unit.builders import World, f5_set

FQ = ("default-domain", "demo", "Contrail_vip_routes_f5")


def world_with_vltm() -> tuple[World, str]:
    world = World()
    world.sets["sas-f5"] = f5_set(external_vmi="vmi-ext")
    world.ports["vmi-ext"] = Port("vmi-ext", "ext", (), (), (), ("default-domain", "demo", "ext"))
    return world, "vmi-ext"


def table(*prefixes: str) -> RouteTable:
    routes = tuple(Route(p) for p in prefixes)
    return RouteTable(
        "rt-1", "interface", FQ[-1], FQ, routes, ("vmi-ext",), FrozenDict([MANAGED_BY])
    )


def test_floating_ips_of_the_vip_port_are_routed_with_the_vip() -> None:
    world, _ = world_with_vltm()
    vip_port = world.port("10.1.0.5")
    world.ports[vip_port.uuid] = replace(vip_port, floating_ips=("203.0.113.7",))
    lb = world.lb(vip=None, vmi_uuids=(vip_port.uuid,))
    changes, problems = route_changes(world.snapshot(), world.sets["sas-f5"], "Contrail", [lb.uuid])
    assert problems == []
    (create,) = changes
    assert (create.action, create.fq_name) == ("create", FQ)
    assert create.fields["routes"] == ("10.1.0.5/32", "203.0.113.7/32")


def test_routes_of_a_load_balancer_in_error_are_kept_and_gone_ones_removed() -> None:
    world, _ = world_with_vltm()
    broken = world.lb(vip="10.1.0.6")
    world.route_tables = {"rt-1": table("10.1.0.6/32", "10.1.0.9/32")}
    snapshot = replace(world.snapshot(), route_tables=FrozenDict(world.route_tables))
    changes, _ = route_changes(snapshot, world.sets["sas-f5"], "Contrail", [], [broken.uuid])
    (update,) = changes
    assert update.changes[0].new == ("10.1.0.6/32",)  # 10.1.0.9 belonged to a deleted LB
    held, _ = route_changes(snapshot, world.sets["sas-f5"], "Contrail", [], [], False)
    assert held == []  # a suspicious read never takes a route away


def test_missing_external_vmi_is_a_set_level_problem_not_a_crash() -> None:
    world = World()
    world.sets["sas-f5"] = f5_set(vip_route_mode="interface")
    lb = world.lb()
    changes, problems = route_changes(world.snapshot(), world.sets["sas-f5"], "Contrail", [lb.uuid])
    assert changes == [] and "external_vmi" in problems[0]


def test_each_new_route_names_its_load_balancer_and_goes_only_if_it_is_in_place() -> None:
    """The plan says which load balancers a route change depends on; the apply drops the
    new routes of those the device refused from the plan alone, and keeps the held ones."""
    from reconciler.plan.routes import without_routes_of

    world, _ = world_with_vltm()
    old, refused, fine = (world.lb(vip=f"10.1.0.{i}") for i in (6, 7, 8))
    snapshot = replace(world.snapshot(), route_tables=FrozenDict({"rt-1": table("10.1.0.6/32")}))
    lbs = [old.uuid, refused.uuid, fine.uuid]
    (update,) = route_changes(snapshot, world.sets["sas-f5"], "Contrail", lbs)[0]
    assert update.lbs == {refused.uuid, fine.uuid}  # 10.1.0.6 is held: it depends on nobody
    kept = without_routes_of(update, {refused.uuid})
    assert kept is not None and kept.lbs == {fine.uuid}
    assert kept.fields["routes"] == ("10.1.0.6/32", "10.1.0.8/32")
    assert without_routes_of(update, {refused.uuid, fine.uuid}) is None  # nothing left to do
    assert without_routes_of(update, {old.uuid}) == update  # a held route stays
