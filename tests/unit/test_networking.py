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
