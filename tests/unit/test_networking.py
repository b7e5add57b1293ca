"""L3 mode's Contrail-side addresses: a set releases only its own, and only when unneeded."""

from __future__ import annotations

from reconciler.model.contrail import ContrailSnapshot, OwnedInstanceIp
from reconciler.model.values import FrozenDict
from reconciler.plan.allocations import address_changes
from tests.unit.builders import f5_set

SUBNET = "5f0e7a1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


def owned(*names: str) -> ContrailSnapshot:
    ips = {n: OwnedInstanceIp(f"uuid-{n}", n, "10.0.0.9", SUBNET, "vn") for n in names}
    return ContrailSnapshot(owned_ips=FrozenDict(ips))


def test_a_set_releases_its_unneeded_addresses_and_never_another_sets() -> None:
    from reconciler.settings import settings_for

    ours = [f"Contrail_f5_self_f5_{SUBNET}", f"Contrail_f5_snat_{SUBNET}_0"]
    theirs = [f"Contrail_f5_b_self_f5_b_{SUBNET}", f"Contrail_f5_b_snat_{SUBNET}_0"]
    snapshot = owned(*ours, *theirs)
    allocations, releases = address_changes(snapshot, settings_for(f5_set("f5")), "Contrail", [])
    assert allocations == []
    assert sorted(change.fq_name[-1] for change in releases) == sorted(ours)


def test_a_vlan_tag_comes_from_configuration_or_a_usable_network_id() -> None:
    """Contrail allocates virtual_network_network_id itself (R2005 alloc_vn_id, 24 bits):
    past 4094 it is no VLAN tag, and the network is named in the error."""
    from reconciler.model.contrail import Subnet, VirtualNetwork
    from reconciler.settings import settings_for
    from reconciler.translate.networking import Needs, network_objects

    def vlans(mapping: str, network_id: int) -> tuple[list[object], list[str]]:
        settings = settings_for(f5_set(global_routed_mode="false", interface_mapping=mapping))
        vn = VirtualNetwork("vn", "external", ("d", "p", "external"), "proj", (), network_id)
        needs = Needs()
        needs.subnets["proj"][SUBNET] = (vn, Subnet(SUBNET, "10.1.1.0/24"))
        common, _per_device, _snat, problems = network_objects(
            settings, "Contrail", needs, {"proj": 2}, {}
        )
        return [o.fields["tag"] for o in common if o.kind == "net/vlan"], problems

    assert vlans("external:1.1:tagged", 42) == ([42], [])
    tags, problems = vlans("external:1.1:tagged", 5000)
    assert tags == [] and "network external" in problems[0] and "5000" in problems[0]
    assert vlans("external:1.1:tagged=100", 5000) == ([100], [])
    assert vlans("external:1.1", 5000) == ([None], [])  # untagged: no tag needed
