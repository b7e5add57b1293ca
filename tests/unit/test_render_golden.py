"""The plan as a person and a program read it, held against golden files: every section the
renderers have (creates with inline members, updates, deletes, a labelled transaction, kept,
left-alone and another set's objects, a guard's refusal, an unreachable device, Contrail
changes, errors). A change of format shows here as a diff to review; ``UPDATE_GOLDEN=1``
writes the new files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.model.bigip import BigIPObject
from reconciler.model.contrail import ObjectError, ObjectRef
from reconciler.plan.model import ContrailChange, DevicePlan, FieldChange, Operation, Plan
from reconciler.plan.render import plan_to_json, render_text

GOLDEN = Path(__file__).parent / "golden"
P = "Contrail_0b6c5a2e-1111-4222-8333-444455556666"
LB = "5a1e0c3d-0000-4000-8000-000000000001"


def obj(kind: str, name: str, fields: dict, partition: str = P, parent: str = "") -> BigIPObject:
    source = ObjectRef("loadbalancer", LB, "web") if kind == "ltm/virtual-address" else None
    return BigIPObject.make(kind, partition, name, fields, parent=parent, source=source)


def sample() -> Plan:
    lbs = frozenset({LB})
    pool = obj("ltm/pool", "Contrail_pool-1", {"loadBalancingMode": "round-robin"})
    member = obj("ltm/pool/members", "10.2.0.1:8080", {"ratio": 1}, parent="Contrail_pool-1")
    virtual = obj("ltm/virtual", "Contrail_listener-1", {"destination": f"/{P}/10.1.1.10:80"})
    operations = (
        Operation("create", obj("sys/folder", P, {}, partition=P), lbs=lbs),
        Operation("create", pool, lbs=lbs, children=(member,)),
        Operation(
            "create",
            obj("ltm/virtual-address", "Contrail_" + LB, {"address": "10.1.1.10"}),
            lbs=lbs,
        ),
        Operation(
            "update",
            virtual,
            (FieldChange("connectionLimit", 0, 100),),
            lbs=lbs,
        ),
        Operation("delete", obj("ltm/pool", "Contrail_pool-gone", {}), reason="not in Contrail"),
    )
    swap = "Load balancer web (5a1e0c3d): swap in one transaction"
    adoption = (
        Operation(
            "delete",
            obj("ltm/virtual", "Project_web_http", {}, partition="Project_demo"),
            reason="replaced",
            code="replace",
            lbs=lbs,
            transaction=swap,
        ),
        Operation(
            "create",
            virtual,
            reason="replaces /Project_demo/Project_web_http",
            lbs=lbs,
            transaction=swap,
        ),
    )
    operator = obj("ltm/virtual", "operator-canary", {}, partition="Common")
    return Plan(
        devices=(
            DevicePlan(
                "bigip1",
                "10.0.0.1:443",
                operations=operations,
                foreign=(operator,),
                kept=((obj("ltm/pool", "Contrail_pool-held", {}), ("/Common/operator-canary",)),),
                others=((obj("ltm/pool", "Contrail_pool-b", {}), "f5-b"),),
            ),
            DevicePlan("bigip2", "10.0.0.2:443", operations=adoption),
            DevicePlan(
                "bigip3",
                "10.0.0.3:443",
                guard="refusing 1 deletes: more than 50% of our 1 objects",
                refused=(Operation("delete", obj("ltm/pool", "Contrail_pool-x", {})),),
            ),
            DevicePlan("bigip4", "10.0.0.4:443", error="connection refused"),
        ),
        errors=(
            ObjectError(
                ObjectRef("loadbalancer-member", "m-1", "m1"), "address", "is not an IP", LB, "web"
            ),
        ),
        notes=("service-appliance-set f5: no device of the HA pair is active",),
        contrail=(
            ContrailChange(
                "create",
                "interface-route-table",
                ("default-domain", "demo", "Contrail_f5_vip_routes"),
                fields={"routes": ("10.1.1.10/32",)},
                source="service-appliance-set f5",
            ),
            ContrailChange(
                "create",
                "instance-ip",
                ("Contrail_f5_snat_subnet-1_0",),
                fields={"address": "10.0.0.12"},
                done=True,
            ),
        ),
    )


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{name} changed: review, then UPDATE_GOLDEN=1"


def test_the_text_plan_matches_its_golden_file() -> None:
    check("plan.txt", render_text(sample()) + "\n")


def test_the_json_plan_matches_its_golden_file() -> None:
    check("plan.json", json.dumps(plan_to_json(sample()), indent=2) + "\n")
