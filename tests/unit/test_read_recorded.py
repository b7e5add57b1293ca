"""What the product makes of responses recorded from real BIG-IPs (F5's Ansible fixtures,
read from the pinned snapshot at test time — ``make upstream`` — never copied here): each
type's ``read_fields`` turns them into the canonical values our desired objects use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.model.bigip import BigIPObject
from reconciler.model.resources import LiveContext, resource_type
from tests.support.upstream import F5_ANSIBLE, checkout

FIXTURES = "ansible_collections/f5networks/f5_modules/tests/unit/modules/network/f5/fixtures"


@pytest.fixture(scope="module")
def recorded() -> Path:
    root = checkout(F5_ANSIBLE)
    if root is None:
        pytest.skip(f"needs {F5_ANSIBLE.describe()}")
    return root / FIXTURES


def read(recorded: Path, kind: str, fixture: str, **ctx: Any) -> BigIPObject:
    data = json.loads((recorded / fixture).read_text())
    item = data["items"][0] if "items" in data else data
    return resource_type(kind).from_wire(item, LiveContext(item.get("partition", "Common"), **ctx))


def test_a_virtual_reads_as_paths_in_canonical_order(recorded: Path) -> None:
    virtual = read(recorded, "ltm/virtual", "load_ltm_virtual_3.json")
    assert virtual.fields["destination"] == "/Common/10.10.10.10:443"
    assert virtual.fields["profiles"] == (
        "/Common/clientssl",
        "/Common/http",
        "/Common/tcp",
        "/Common/tcp-legacy",
    )
    assert virtual.fields["rules"] == ("/Common/web_logging",)
    assert virtual.fields["policies"] == ("/Common/policy1",)
    assert virtual.fields["sourceAddressTranslation"] == {"type": "automap"}
    assert virtual.fields["enabled"] is True and virtual.fields["pool"] == ""
    # what it uses, which the device keeps while it does
    assert "/Common/web_logging" in resource_type("ltm/virtual").uses(virtual)


def test_a_virtual_whose_profiles_are_only_a_link_has_none_read(recorded: Path) -> None:
    virtual = read(recorded, "ltm/virtual", "load_ltm_virtual_1.json")
    assert virtual.fields["profiles"] == () and virtual.fields["ipProtocol"] == "any"


def test_a_pool_monitor_rule_of_the_at_least_form_keeps_its_form(recorded: Path) -> None:
    pool = read(recorded, "ltm/pool", "load_ltm_pool.json")
    assert pool.fields["monitor"] == "min 1 of { /Common/http /Common/inband }"
    assert resource_type("ltm/pool").monitors_of(pool) == ("/Common/http", "/Common/inband")


def test_addresses_and_route_domains_read_canonically(recorded: Path) -> None:
    address = read(recorded, "ltm/virtual-address", "load_ltm_virtual_address_default.json")
    assert address.fields["address"] == "1.1.1.1" and address.fields["autoDelete"] == "true"
    self_ip = read(recorded, "net/self", "load_tm_net_self.json")
    assert self_ip.fields["address"] == "10.10.10.10%1/24"
    assert self_ip.fields["vlan"] == "/Common/net1"
    route_domain = read(recorded, "net/route-domain", "load_net_route_domain_1.json")
    assert route_domain.fields["id"] == 0
    assert route_domain.fields["vlans"] == tuple(sorted(route_domain.fields["vlans"]))


def test_a_monitor_and_a_snat_pool_read_what_we_manage(recorded: Path) -> None:
    monitor = read(recorded, "ltm/monitor/http", "load_ltm_monitor_http.json")
    assert monitor.fields["interval"] == 5 and monitor.fields["timeout"] == 16
    assert "password" not in monitor.fields  # never read, so never compared or shown
    snatpool = read(recorded, "ltm/snatpool", "load_ltm_snatpool.json")
    assert snatpool.fields["members"] == ("/Common/1.1.1.1", "/Common/2.2.2.2")
