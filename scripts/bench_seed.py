"""Seed the Contrail emulator with N load balancers over P projects, fast.

Creating 5,000 load balancers through ``vnc_api`` one object at a time costs ~80,000 creates
plus the builders' reads (minutes). Instead we build **one** project and **one** load balancer
with the ordinary topology builders (``seed_topology`` + ``add_load_balancer``, i.e. through
``vnc_api`` against an in-process emulator), dump that state, and clone it: every uuid of the
template gets a fresh uuid, names get the clone's index, VIP and member addresses are
renumbered, ``id_perms.uuid`` is recomputed. The result is loaded with ``/_emulator/load``.
Every object therefore has exactly the shape ``vnc_api`` + the emulator gave the template:
same types, fields, refs, parents, subnet key/values and instance-ip bookkeeping.

Each load balancer: a VIP port (VMI + instance-ip on the project's ``external`` network), the
load balancer, 1 HTTP listener on port 80, 1 ROUND_ROBIN pool, 10 members (weights 1–3, so
the pool is ratio-weighted; port 8080, addresses on ``internal``) and 1 HTTP health monitor — 16 Contrail objects.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

MEMBERS = 10
TEMPLATE_PROJECT = "benchproj"
TEMPLATE_LB = "BENCHLB"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Template:
    base: list[dict[str, Any]]  # defaults + the service-appliance-set: kept as they are
    project: list[dict[str, Any]]  # project + its 4 networks
    lb: list[dict[str, Any]]  # the 16 objects of one load balancer
    kv: dict[str, str]  # subnet uuid -> "vn-uuid cidr" for the template project
    keep: frozenset[str]  # uuids that are never renamed (domain, ipam, set, ...)


def build_template(sas_kv: dict[str, str], members: int = MEMBERS) -> Template:
    """One project + one load balancer (``members`` members), made by the topology builders
    through vnc_api."""
    import emulators.contrail as contrail_emulator
    from emulators.contrail.topology import (
        ListenerSpec,
        MonitorSpec,
        PoolSpec,
        add_load_balancer,
        seed_topology,
    )

    server = contrail_emulator.start()
    try:
        vnc = contrail_emulator.client(server)
        defaults = {o["uuid"] for o in server.app.dump()["objects"]}
        topo = seed_topology(vnc, project=TEMPLATE_PROJECT, sas_kv=sas_kv)
        after_topology = server.app.dump()
        pool = PoolSpec(
            "ROUND_ROBIN",
            members=[(f"10.2.0.{i}", 8080, 1 + i % 3) for i in range(1, members + 1)],
            monitor=MonitorSpec("HTTP"),
        )
        add_load_balancer(vnc, topo, TEMPLATE_LB, listeners=[ListenerSpec("HTTP", 80, pool=pool)])
        state = server.app.dump()
    finally:
        server.stop()
    before_lb = {o["uuid"] for o in after_topology["objects"]}
    sas = {o["uuid"] for o in state["objects"] if o["type"] == "service-appliance-set"}
    base = [o for o in state["objects"] if o["uuid"] in defaults or o["uuid"] in sas]
    project = [o for o in state["objects"] if o["uuid"] in before_lb - defaults - sas]
    lb = [o for o in state["objects"] if o["uuid"] not in before_lb]
    return Template(
        base=base,
        project=project,
        lb=lb,
        kv=dict(state["kv"]),
        keep=frozenset(defaults | sas),
    )


def _renamed(text: str, mapping: dict[str, str], keep: frozenset[str]) -> str:
    def sub(match: re.Match[str]) -> str:
        old = match.group(0)
        if old in keep:
            return old
        new = mapping.get(old)
        if new is None:
            new = mapping[old] = str(uuidlib.uuid4())
        return new

    return UUID_RE.sub(sub, text)


def _fix_id_perms(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        perms = obj["props"].get("id_perms")
        if perms and perms.get("uuid"):
            value = uuidlib.UUID(obj["uuid"]).int
            perms["uuid"] = {"uuid_mslong": value >> 64, "uuid_lslong": value & ((1 << 64) - 1)}


def member_address(index: int, member: int) -> str:
    """Distinct member addresses across all projects (10.64.0.0/10 holds 10,000 load
    balancers' 100,000): in global routed mode every project is in route domain 0, where a
    device keeps one node per address whatever the partition (0107003a)."""
    return str(ipaddress.ip_address("10.64.0.0") + 16 + index * MEMBERS + member)


def vip_address(index: int) -> str:
    """One VIP per load balancer across all projects: in global routed mode every project is
    in route domain 0, and a device refuses one address twice (plan/conflicts.py)."""
    return str(ipaddress.ip_address("10.1.0.0") + 16 + index)


def generate(template: Template, n: int, projects: int) -> dict[str, Any]:
    """The emulator state (``/_emulator/load`` body) with ``n`` load balancers."""
    objects: list[dict[str, Any]] = copy.deepcopy(template.base)
    kv: dict[str, str] = {}
    project_text = json.dumps(template.project)
    kv_text = json.dumps(template.kv)
    lb_text = json.dumps(template.lb)
    per_project = [n // projects + (1 if p < n % projects else 0) for p in range(projects)]
    first = 0  # the global index of the project's first load balancer
    for p, count in enumerate(per_project):
        name = f"bench-{p:03d}"
        mapping: dict[str, str] = {}
        text = _renamed(project_text, mapping, template.keep)
        project_objects = json.loads(text.replace(TEMPLATE_PROJECT, name))
        _fix_id_perms(project_objects)
        objects.extend(project_objects)
        kv.update(json.loads(_renamed(kv_text, mapping, template.keep)))
        for i in range(count):
            lb_mapping = dict(mapping)  # project, networks and subnets stay this project's
            text = _renamed(lb_text, lb_mapping, template.keep)
            text = text.replace(TEMPLATE_PROJECT, name).replace(TEMPLATE_LB, f"lb-{p:03d}-{i:04d}")
            lb_objects = json.loads(text)
            _fix_id_perms(lb_objects)
            for obj in lb_objects:
                props = obj["props"]
                if obj["type"] == "instance-ip":
                    props["instance_ip_address"] = vip_address(first + i)
                elif obj["type"] == "loadbalancer":
                    props["loadbalancer_properties"]["vip_address"] = vip_address(first + i)
                elif obj["type"] == "loadbalancer-member":
                    k = int(obj["fq_name"][-1].rsplit("-", 1)[1])
                    props["loadbalancer_member_properties"]["address"] = member_address(
                        first + i, k
                    )
            objects.extend(lb_objects)
        first += count
    return {"objects": objects, "kv": kv}


def spread_over_sets(state: dict[str, Any], sets: dict[str, dict[str, str]]) -> None:
    """Replace the template's one service-appliance-set of ``state`` (from ``generate``) by
    one per name in ``sets`` (name -> kv pairs: address, port, user, password), and give
    each set an equal run of consecutive projects: a project's load balancers all go to one
    set (its provider and its set ref), as a cloud whose tenants each use one F5 pair.

    ``generate`` must have made a multiple of ``len(sets)`` projects of equal size for the
    sets to hold equal numbers of load balancers."""
    objects = state["objects"]
    template = next(o for o in objects if o["type"] == "service-appliance-set")
    made = []
    for name, kv in sets.items():
        sas = copy.deepcopy(template)
        sas["uuid"] = str(uuidlib.uuid4())
        sas["fq_name"] = [*template["fq_name"][:-1], name]
        sas["props"]["display_name"] = name
        pairs = [{"key": k, "value": v} for k, v in kv.items()]
        sas["props"]["service_appliance_set_properties"] = {"key_value_pair": pairs}
        made.append(sas)
    _fix_id_perms(made)
    projects = [  # generate's, in order (the template's defaults hold one more)
        o["uuid"]
        for o in objects
        if o["type"] == "project" and o["fq_name"][-1].startswith("bench-")
    ]
    per_set = max(1, len(projects) // len(sets))
    set_of = {p: made[min(i // per_set, len(made) - 1)] for i, p in enumerate(projects)}
    for obj in objects:
        if obj["type"] == "loadbalancer":
            sas = set_of[obj["parent_uuid"]]
            obj["props"]["loadbalancer_provider"] = sas["fq_name"][-1]
            obj["refs"]["service_appliance_set_refs"] = [{"uuid": sas["uuid"], "attr": None}]
    state["objects"] = [o for o in objects if o is not template] + made


def summary(state: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in state["objects"]:
        counts[obj["type"]] = counts.get(obj["type"], 0) + 1
    return counts
