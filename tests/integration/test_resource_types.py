"""Each BIG-IP resource type, on its own: what translate produces is within the fields the
type manages, and what the product writes reads back as the same value (the f5-ansible
style of per-module tests, with the strict device emulator as the device)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest

from reconciler.bigip.applier import apply_plan
from reconciler.bigip.client import DeviceClient
from reconciler.bigip.reader import read_live
from reconciler.model.bigip import BigIPObject
from reconciler.model.certificates import Certificate
from reconciler.model.contrail import OwnedInstanceIp, Subnet, VirtualNetwork
from reconciler.model.resources import RESOURCE_TYPES, resource_type
from reconciler.model.values import FrozenDict, Secret
from reconciler.plan.diff import diff
from reconciler.settings import DeviceSettings, settings_for
from reconciler.translate import networking
from reconciler.translate.desired import Options, translate
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER
from tests.unit.builders import PROJECT, World, f5_set

CERT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
SUBNET = "5f0e7a1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


def _every_kind() -> list[BigIPObject]:
    """One translation that uses every type: monitors of each kind, app-cookie persistence,
    TLS termination, an Ingress-style policy, and L3 mode's network objects."""
    world = World()
    lb = world.lb()
    web = world.listener(lb, "HTTP", 80)
    pool = world.pool(web, session_persistence="APP_COOKIE", persistence_cookie_name="sid")
    world.member(pool, "10.2.0.1")
    world.monitor(pool, "HTTP", http_method="GET", url_path="/health", expected_codes="200")
    world.monitor(world.pools[pool.uuid], "TCP")
    tls = world.listener(lb, "TERMINATED_HTTPS", 443)
    world.listeners[tls.uuid] = tls = replace(tls, default_tls_container="web-tls")
    secure = world.pool(tls, protocol="HTTP")
    world.member(secure, "10.2.0.2")
    world.monitor(secure, "HTTPS")
    world.monitor(world.pools[secure.uuid], "PING")
    ingress = world.listener(lb, "HTTP", 8080)
    for kind, path in (("default", ""), ("acl", "/api")):
        routed = world.pool(
            ingress, annotations=FrozenDict({"type": kind, "host": "a.example", "path": path})
        )
        world.member(routed, "10.2.0.3")
    snapshot = world.snapshot()
    settings = settings_for(
        f5_set(global_routed_mode="false", interface_mapping="external:1.1:tagged")
    )
    vn = VirtualNetwork("vn-ext", "external", ("d", "demo", "external"), PROJECT, (), 7)
    needs = networking.Needs()
    needs.subnets[PROJECT][SUBNET] = (vn, Subnet(SUBNET, "10.1.1.0/24"))
    owned = {
        f"Contrail_f5_self_{d.name}_{SUBNET}": OwnedInstanceIp("i1", "n", "10.1.1.5", SUBNET, "v")
        for d in settings.devices
    }
    owned[f"Contrail_f5_snat_{SUBNET}_0"] = OwnedInstanceIp("i2", "n", "10.1.1.6", SUBNET, "v")
    common, per_device, snat_pools, problems = networking.network_objects(
        settings, "Contrail", needs, {PROJECT: 3}, owned
    )
    assert not problems
    options = Options(
        certificates=FrozenDict({"web-tls": Certificate(CERT, KEY)}),
        route_domains=FrozenDict({PROJECT: 3}),
        snat_pools=FrozenDict(snat_pools),
    )
    desired = translate(snapshot, settings, options)
    assert not desired.errors, desired.errors
    extra = [*common, *(o for objs in per_device.values() for o in objs)]
    return [*desired.objects.values(), *extra]


OBJECTS = _every_kind()
BY_KIND: dict[str, list[BigIPObject]] = defaultdict(list)
for _obj in OBJECTS:
    BY_KIND[_obj.kind].append(_obj)


def test_the_translation_covers_every_type() -> None:
    # Nodes are made by the device for our members (the type is there to read them).
    assert set(BY_KIND) == set(RESOURCE_TYPES) - {"ltm/node"}


@pytest.mark.parametrize("kind", sorted(BY_KIND))
def test_translate_produces_only_managed_fields(kind: str) -> None:
    rtype = resource_type(kind)
    for obj in BY_KIND[kind]:
        assert set(obj.fields) <= set(rtype.managed), obj.path


@pytest.fixture(scope="module")
def read_back() -> Any:
    """Everything written once through the product's applier, then read back."""
    from emulators.bigip import start

    server = start(user=DEVICE_USER, password=DEVICE_PASSWORD)
    client = DeviceClient(
        DeviceSettings("bigip1", "127.0.0.1", server.port, DEVICE_USER, Secret(DEVICE_PASSWORD)),
        timeout=5,
    )
    desired = translate(World().snapshot(), settings_for(f5_set()), Options())
    desired = replace(desired, objects=type(desired.objects)(OBJECTS))
    plan = diff(desired, type(desired.objects)(), "bigip1", "127.0.0.1", "Contrail")
    applied = apply_plan(client, plan)
    assert applied.ok, applied.errors
    live = read_live(client, "Contrail").objects
    yield live
    server.stop()


@pytest.mark.parametrize("kind", sorted(BY_KIND))
def test_what_is_written_reads_back_as_the_same_value(kind: str, read_back: Any) -> None:
    for obj in BY_KIND[kind]:
        have = read_back.get(obj.key)
        assert have is not None, f"{obj.path} was not read back"
        assert resource_type(kind).differences(obj, have) == {}, obj.path
