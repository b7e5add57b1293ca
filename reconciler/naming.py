"""Every name we give, and the one rule that says what is ours (pure).

Names carry the configured prefix (default ``Contrail``) and the uuid of the Contrail object
behind them, so a name can be read back into the objects it stands for:

| BIG-IP object | name |
|---|---|
| partition (folder), route domain, SNAT pool | ``<prefix>_<project uuid>`` |
| virtual address, virtual, pool, monitor, policy | ``<prefix>_<uuid of the LB / listener / pool / monitor>`` |
| pool member | ``<address>%<rd>:<port>`` inside a pool of ours |
| node | ``<address>%<rd>``, made by the device for a member of ours (no description), or described as ours (``NODE_DESCRIPTION``, by earlier versions) |
| app-cookie rule and persistence profile | ``<prefix>_app_cookie_<listener uuid>`` |
| client-ssl profile, certificate, key | ``<prefix>_<TLS container>`` (+ ``.crt`` / ``.key``) |
| VLAN | ``<prefix>_<network uuid>`` |
| self IP | ``<prefix>_self_<device>_<subnet uuid>`` |
| SNAT translation | ``<prefix>_snat_<subnet uuid>_<i>`` |

| Contrail object | name / mark |
|---|---|
| VIP route table | ``<prefix>_vip_routes_<set>``, annotation ``managed-by=contrail-f5-reconciler`` |
| self-IP / SNAT instance-ip | ``<prefix>_<set>_self_<device>_<subnet uuid>``, ``<prefix>_<set>_snat_<subnet uuid>_<i>``, display name ``contrail-f5-reconciler`` |

**Ours** (DESIGN.md invariant 3): a partition named exactly ``<prefix>_<uuid>`` (so
``Contrail_dc2_<uuid>`` is not ``Contrail``'s), and inside it a name with the prefix, a
member of a pool of ours, or a node we described as ours or the device made (no
description) — such a node is deleted only with the last member of ours that used it. Objects of ours whose Contrail
objects another F5 service-appliance-set claims are that set's (``SetClaims``): a set's pass
never changes or deletes them, even when two sets share a device and a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.model.bigip import BigIPObject, destination_host, full_path, split_path
from reconciler.model.resources import resource_type
from reconciler.model.values import FrozenDict

# Paths are built and parsed in one place, the lowest layer (``model.bigip``); they are
# exported here with the names they join.
__all__ = [
    "COMMON",
    "MANAGED_BY",
    "NODE_DESCRIPTION",
    "OLD_CHAIN_PREFIXES",
    "OWNED_MARK",
    "UUID",
    "Naming",
    "SetClaims",
    "destination_host",
    "full_path",
    "old_chain_source",
    "split_path",
]

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

#: Nodes carry this description so we can tell ours from nodes a person (or a foreign pool's
#: member) created: node names are addresses, so the name prefix cannot say it.
NODE_DESCRIPTION = "managed by contrail-f5-reconciler"

#: Contrail objects we create carry this mark (instance-ip display name, route table
#: annotation value).
OWNED_MARK = "contrail-f5-reconciler"
MANAGED_BY = ("managed-by", OWNED_MARK)

_TLS_SUFFIXES = (".crt", ".key")

#: The device's own partition: shared profiles and monitors, and where operators make
#: objects by hand (never ours; read for what uses ours or shares our VIPs).
COMMON = "Common"


#: The partitions of the chain this project replaces, by ``reconcile adopt --from`` source:
#: F5's LBaaS agent behind svc-monitor's v2 shim, and svc-monitor's v1 driver.
OLD_CHAIN_PREFIXES = {"agent": "Project_", "v1": "uuid_"}


def old_chain_source(partition: str) -> str | None:
    """``agent`` or ``v1`` for a partition the old chain made, else None."""
    return next((s for s, p in OLD_CHAIN_PREFIXES.items() if partition.startswith(p)), None)


@dataclass(frozen=True)
class Naming:
    """The names of one environment (one prefix)."""

    prefix: str = "Contrail"

    # -- BIG-IP names -------------------------------------------------------------------

    @property
    def mark(self) -> str:
        return f"{self.prefix}_"

    def partition(self, project_uuid: str) -> str:
        return f"{self.prefix}_{project_uuid}"

    def object(self, uuid: str) -> str:
        """A virtual address, virtual, pool, monitor or policy: the Contrail object's uuid."""
        return f"{self.prefix}_{uuid}"

    def app_cookie(self, listener_uuid: str) -> str:
        return f"{self.prefix}_app_cookie_{listener_uuid}"

    def tls(self, container: str) -> str:
        """The client-ssl profile of a TLS container (``container`` already a safe name)."""
        return f"{self.prefix}_{container}"

    def vlan(self, network_uuid: str) -> str:
        return f"{self.prefix}_{network_uuid}"

    def self_ip(self, device: str, subnet_uuid: str) -> str:
        return f"{self.prefix}_self_{device}_{subnet_uuid}"

    def snat_translation(self, subnet_uuid: str, index: int) -> str:
        return f"{self.prefix}_snat_{subnet_uuid}_{index}"

    # -- Contrail names -----------------------------------------------------------------

    def vip_route_table(self, sas_name: str) -> str:
        return f"{self.prefix}_vip_routes_{sas_name}"

    def instance_ip_base(self, sas_name: str) -> str:
        return f"{self.prefix}_{sas_name}"

    def self_instance_ip(self, sas_name: str, device: str, subnet_uuid: str) -> str:
        return f"{self.instance_ip_base(sas_name)}_self_{device}_{subnet_uuid}"

    def snat_instance_ip(self, sas_name: str, subnet_uuid: str, index: int) -> str:
        return f"{self.instance_ip_base(sas_name)}_snat_{subnet_uuid}_{index}"

    def instance_ip_pattern(self, sas_name: str, devices: Iterable[str]) -> re.Pattern[str]:
        """This set's instance-ip names exactly: a set named ``f5`` must not take set
        ``f5_b``'s addresses for its own."""
        base = re.escape(self.instance_ip_base(sas_name))
        device_names = "|".join(re.escape(d) for d in devices) or "(?!)"
        return re.compile(
            base + rf"_(?:self_(?:{device_names})_{UUID}|snat_{UUID}_\d+)",
        )

    # -- reading names back ---------------------------------------------------------------

    def is_partition(self, name: str) -> bool:
        """``<prefix>_<project uuid>`` exactly: with prefixes ``Contrail`` and
        ``Contrail_dc2`` on one device, ``Contrail_dc2_<uuid>`` is not ``Contrail``'s."""
        return re.fullmatch(re.escape(self.prefix) + "_" + UUID, name) is not None

    def project_of(self, partition: str) -> str | None:
        return partition[len(self.mark) :] if self.is_partition(partition) else None

    def uuid_of(self, name: str) -> str | None:
        """The Contrail uuid an object name of ours carries (``<prefix>_<uuid>``), or None."""
        if not name.startswith(self.mark):
            return None
        rest = name[len(self.mark) :]
        return rest if re.fullmatch(UUID, rest) else None

    def tokens(self, obj: BigIPObject) -> tuple[str, ...]:
        """What identifies the Contrail objects behind one of our BIG-IP objects: uuids
        (load balancer, listener, pool, monitor) or TLS container names. Empty for the shared
        objects (folders, nodes, networking), which are kept while anything uses them."""
        rtype = resource_type(obj.kind)
        name = obj.parent if rtype.parent_kind else obj.name
        if not name.startswith(self.mark) or rtype.shared:
            return ()
        rest = name[len(self.mark) :]
        if rest.startswith("app_cookie_"):
            return (rest[len("app_cookie_") :],)
        if rest.startswith(("self_", "snat_")) or rtype.networking:
            return ()
        for suffix in _TLS_SUFFIXES:
            if rtype.installs and rest.endswith(suffix):
                return (rest[: -len(suffix)],)
        return (rest,)

    def owns(self, obj: BigIPObject) -> bool:
        """Did we create it? Our partition; the name carries the prefix; members belong to
        our pools; nodes are described as ours, or carry no description (the device made
        them for our members)."""
        if not self.is_partition(obj.partition):
            return False
        rtype = resource_type(obj.kind)
        if rtype.is_partition:
            return True
        if rtype.parent_kind:
            return obj.parent.startswith(self.mark)
        if rtype.shared:  # a node: its name is its address, so the prefix cannot say
            description = obj.fields.get("description")
            return description == NODE_DESCRIPTION or not description
        return obj.name.startswith(self.mark)


@dataclass(frozen=True)
class SetClaims:
    """Which F5 service-appliance-set each Contrail object (by name token) belongs to, so
    one set's pass leaves another set's objects alone on a shared device."""

    this_set: str = ""
    by_token: Mapping[str, frozenset[str]] = FrozenDict()  # token → sets claiming it

    def other_owner(self, tokens: Iterable[str]) -> str | None:
        """The other set an object belongs to, or None when it is this set's (or nobody's:
        a stale object of a deleted load balancer, which the set writing here removes)."""
        others: set[str] = set()
        for token in tokens:
            sets = self.by_token.get(token, frozenset())
            if self.this_set in sets:
                return None
            others |= sets
        return min(others) if others else None
