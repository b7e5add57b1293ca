"""Translate (pure): every row of docs/MAPPING.md's field mapping, and per-object errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.model.bigip import BigIPObject
from reconciler.model.values import FrozenDict
from reconciler.translate.desired import Desired, Options, translate
from tests.unit.builders import PROJECT, World

P = f"Contrail_{PROJECT}"


def run(world: World) -> Desired:
    return translate(world.snapshot(), world.settings, Options())


def only(desired: Desired, kind: str) -> list[BigIPObject]:
    return [o for o in desired.objects.values() if o.kind == kind]


def one(desired: Desired, kind: str) -> BigIPObject:
    found = only(desired, kind)
    assert len(found) == 1, f"expected one {kind}, got {found}"
    return found[0]


def test_seed_use_case_produces_every_object_with_its_name() -> None:
    world = World()
    lb, listener, pool = world.service(members=3)
    desired = run(world)
    assert not desired.errors
    names = {(o.kind, o.name) for o in desired.objects.values()}
    hm = pool.monitor_uuids[0]
    assert names == {
        ("sys/folder", P),
        ("ltm/virtual-address", f"Contrail_{lb.uuid}"),
        ("ltm/virtual", f"Contrail_{listener.uuid}"),
        ("ltm/pool", f"Contrail_{pool.uuid}"),
        ("ltm/monitor/http", f"Contrail_{hm}"),
        ("ltm/pool/members", "10.2.0.1:8080"),
        ("ltm/pool/members", "10.2.0.2:8080"),
        ("ltm/pool/members", "10.2.0.3:8080"),
    }
    assert all(o.partition == P for o in desired.objects.values())
    assert desired.load_balancers == (lb.uuid,)


def test_virtual_server_fields() -> None:
    world = World()
    lb, listener, pool = world.service()
    vs = one(run(world), "ltm/virtual").fields
    assert vs["destination"] == f"/{P}/10.1.1.10:80"
    assert vs["mask"] == "255.255.255.255"
    assert vs["ipProtocol"] == "tcp"
    assert vs["enabled"] is True
    assert vs["pool"] == f"/{P}/Contrail_{pool.uuid}"
    assert vs["profiles"] == ("/Common/http", "/Common/oneconnect")
    assert vs["sourceAddressTranslation"] == {"type": "automap"}
    assert vs["connectionLimit"] == 0


def test_virtual_address_is_not_auto_deleted() -> None:
    world = World()
    world.service()
    va = one(run(world), "ltm/virtual-address").fields
    assert va["address"] == "10.1.1.10" and va["autoDelete"] == "false" and va["enabled"] == "yes"


@pytest.mark.parametrize(
    ("protocol", "profiles", "ip_protocol"),
    [
        ("TCP", ("/Common/fastL4",), "tcp"),
        ("HTTPS", ("/Common/fastL4",), "tcp"),
        ("HTTP", ("/Common/http", "/Common/oneconnect"), "tcp"),
        ("UDP", ("/Common/udp",), "udp"),
    ],
)
def test_listener_protocol_maps_to_profiles(
    protocol: str, profiles: tuple, ip_protocol: str
) -> None:
    world = World()
    lb = world.lb()
    world.listener(lb, protocol=protocol, port=53)
    vs = one(run(world), "ltm/virtual").fields
    assert vs["profiles"] == profiles and vs["ipProtocol"] == ip_protocol


def test_ipv6_vip_uses_dot_port_and_128_mask() -> None:
    world = World()
    lb = world.lb(vip="2001:db8::10")
    world.listener(lb, protocol="TCP", port=443)
    vs = one(run(world), "ltm/virtual").fields
    assert vs["destination"] == f"/{P}/2001:db8::10.443"
    assert vs["mask"] == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"


@pytest.mark.parametrize(
    ("lb_up", "listener_up", "enabled"),
    [(True, True, True), (False, True, False), (True, False, False)],
)
def test_admin_state_of_listener_and_load_balancer(
    lb_up: bool, listener_up: bool, enabled: bool
) -> None:
    world = World()
    lb = world.lb(admin_state=lb_up)
    world.listener(lb, admin_state=listener_up)
    desired = run(world)
    assert one(desired, "ltm/virtual").fields["enabled"] is enabled
    assert one(desired, "ltm/virtual-address").fields["enabled"] == ("yes" if lb_up else "no")


@pytest.mark.parametrize(("limit", "expected"), [(None, 0), (-1, 0), (0, 0), (500, 500)])
def test_connection_limit(limit: int | None, expected: int) -> None:
    world = World()
    world.listener(world.lb(), connection_limit=limit)
    assert one(run(world), "ltm/virtual").fields["connectionLimit"] == expected


@pytest.mark.parametrize(
    ("method", "weights", "mode"),
    [
        ("ROUND_ROBIN", (1, 1), "round-robin"),
        ("ROUND_ROBIN", (1, 3), "ratio-member"),
        ("LEAST_CONNECTIONS", (1, 1), "least-connections-member"),
        ("LEAST_CONNECTIONS", (2, 1), "ratio-least-connections-member"),
        ("SOURCE_IP", (1, 1), "least-connections-node"),
    ],
)
def test_pool_algorithm(method: str, weights: tuple, mode: str) -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()), method=method)
    for i, weight in enumerate(weights):
        world.member(pool, f"10.2.0.{i + 1}", weight=weight)
    assert one(run(world), "ltm/pool").fields["loadBalancingMode"] == mode


def test_source_ip_algorithm_adds_source_address_persistence() -> None:
    world = World()
    world.pool(world.listener(world.lb()), method="SOURCE_IP")
    assert one(run(world), "ltm/virtual").fields["persist"] == ("/Common/source_addr",)


@pytest.mark.parametrize(
    ("weight", "admin", "ratio", "session"),
    [
        (1, True, 1, "user-enabled"),
        (5, True, 5, "user-enabled"),
        (0, True, 1, "user-disabled"),
        (3, False, 3, "user-disabled"),
    ],
)
def test_member_weight_and_admin_state(weight: int, admin: bool, ratio: int, session: str) -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()))
    world.member(pool, "10.2.0.9", weight=weight, admin_state=admin)
    member = one(run(world), "ltm/pool/members")
    assert member.parent == f"Contrail_{pool.uuid}"
    assert (member.fields["ratio"], member.fields["session"]) == (ratio, session)


@pytest.mark.parametrize(
    ("persistence", "expected"),
    [("SOURCE_IP", ("/Common/source_addr",)), ("HTTP_COOKIE", ("/Common/cookie",))],
)
def test_persistence_profiles(persistence: str, expected: tuple) -> None:
    world = World()
    world.pool(world.listener(world.lb()), session_persistence=persistence)
    assert one(run(world), "ltm/virtual").fields["persist"] == expected


def test_app_cookie_persistence_builds_an_irule_and_universal_profile() -> None:
    world = World()
    listener = world.listener(world.lb())
    world.pool(listener, session_persistence="APP_COOKIE", persistence_cookie_name="JSESSIONID")
    desired = run(world)
    name = f"Contrail_app_cookie_{listener.uuid}"
    rule = one(desired, "ltm/rule")
    assert rule.name == name and 'HTTP::cookie "JSESSIONID"' in rule.fields["apiAnonymous"]
    profile = one(desired, "ltm/persistence/universal")
    assert profile.fields["rule"] == f"/{P}/{name}"
    assert one(desired, "ltm/virtual").fields["persist"] == (f"/{P}/{name}",)


def test_app_cookie_name_that_would_inject_into_the_irule_is_an_error() -> None:
    world = World()
    listener = world.listener(world.lb())
    world.pool(listener, session_persistence="APP_COOKIE", persistence_cookie_name='x"] } ; drop')
    desired = run(world)
    assert [e.field for e in desired.errors] == [
        "loadbalancer_pool_properties.persistence_cookie_name"
    ]
    assert not only(desired, "ltm/rule")


@pytest.mark.parametrize(
    ("monitor_type", "kind"),
    [
        ("PING", "ltm/monitor/gateway-icmp"),
        ("TCP", "ltm/monitor/tcp"),
        ("HTTP", "ltm/monitor/http"),
        ("HTTPS", "ltm/monitor/https"),
    ],
)
def test_monitor_types(monitor_type: str, kind: str) -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()))
    world.monitor(pool, monitor_type=monitor_type, delay=7, max_retries=2)
    monitor = one(run(world), kind)
    assert monitor.fields["interval"] == 7
    assert monitor.fields["timeout"] == 15  # delay * max_retries + 1: always > interval
    assert one(run(world), "ltm/pool").fields["monitor"] == f"/{P}/{monitor.name}"


def test_timeout_is_always_greater_than_interval() -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()))
    world.monitor(pool, delay=10, max_retries=1)
    fields = one(run(world), "ltm/monitor/http").fields
    assert fields["timeout"] > fields["interval"]


@pytest.mark.parametrize(
    ("method", "path", "codes", "send", "recv"),
    [
        (None, None, None, "GET / HTTP/1.0\\r\\n\\r\\n", "HTTP/1.(0|1) 200"),
        (
            "HEAD",
            "/health",
            "200,202",
            "HEAD /health HTTP/1.0\\r\\n\\r\\n",
            "HTTP/1.(0|1) (200|202)",
        ),
        ("GET", "/", "200-204", "GET / HTTP/1.0\\r\\n\\r\\n", "HTTP/1.(0|1) (200|201|202|203|204)"),
    ],
)
def test_http_monitor_send_and_recv(method, path, codes, send, recv) -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()))
    world.monitor(pool, http_method=method, url_path=path, expected_codes=codes)
    fields = one(run(world), "ltm/monitor/http").fields
    assert (fields["send"], fields["recv"]) == (send, recv)


def test_kube_member_address_comes_from_its_pod_port() -> None:
    world = World()
    pool = world.pool(world.listener(world.lb()))
    pod = world.port("10.47.255.3")
    world.member(pool, None, port="8080", annotations=FrozenDict({"vmi": pod.uuid}))
    assert one(run(world), "ltm/pool/members").name == "10.47.255.3:8080"


def test_vip_comes_from_the_vip_port_when_the_property_is_empty() -> None:
    world = World()
    port = world.port("10.1.1.77")
    lb = world.lb(vip=None, vmi_uuids=(port.uuid,))
    world.listener(lb, protocol="TCP", port="443")  # kube-manager's string port
    desired = run(world)
    assert one(desired, "ltm/virtual").fields["destination"] == f"/{P}/10.1.1.77:443"


@pytest.mark.parametrize(
    ("breakage", "field"),
    [
        (
            lambda w, lb: w.lbs.update({lb.uuid: replace(lb, vip_address=None)}),
            "loadbalancer_properties.vip_address",
        ),
        (
            lambda w, lb: w.lbs.update({lb.uuid: replace(lb, vip_address="10.1.1.300")}),
            "loadbalancer_properties.vip_address",
        ),
        (
            lambda w, lb: w.listener(lb, protocol="SCTP"),
            "loadbalancer_listener_properties.protocol",
        ),
        (
            lambda w, lb: w.listener(lb, port="http"),
            "loadbalancer_listener_properties.protocol_port",
        ),
        (
            lambda w, lb: w.member(w.pool(w.listener(lb, port=81)), "not-an-ip"),
            "loadbalancer_member_properties.address",
        ),
        (
            lambda w, lb: w.pool(w.listener(lb, port=82), monitor_uuids=("missing-hm",)),
            "loadbalancer_healthmonitor_refs",
        ),
    ],
)
def test_broken_load_balancer_is_an_error_naming_the_field_and_others_still_translate(
    breakage, field
) -> None:
    world = World()
    good, _listener, _pool = world.service()
    bad = world.lb(vip="10.1.1.20")
    world.listener(bad, protocol="TCP", port=443)
    breakage(world, world.lbs[bad.uuid])
    desired = run(world)
    assert [e.field for e in desired.errors] == [field]
    assert desired.errors[0].lb_uuid == bad.uuid
    assert desired.load_balancers == (good.uuid,)
    assert f"Contrail_{good.uuid}" in {o.name for o in desired.objects.values()}
    assert bad.uuid in desired.held  # what it has on a device is left as it is
    assert f"Contrail_{bad.uuid}" not in {o.name for o in desired.objects.values()}


def test_load_balancers_of_other_providers_are_ignored() -> None:
    world = World()
    world.lb(provider="opencontrail", sas_uuids=())
    desired = run(world)
    assert not desired.objects and not desired.errors


def test_description_carries_kubernetes_namespace_and_name() -> None:
    world = World()
    lb = world.lb(annotations=FrozenDict({"namespace": "shop", "name": "web", "kind": "Service"}))
    world.listener(lb, protocol="TCP")
    assert one(run(world), "ltm/virtual-address").fields["description"].startswith("shop/web")


def test_a_member_error_names_its_load_balancer() -> None:
    world = World()
    lb = world.lb(name="shop")
    world.member(world.pool(world.listener(lb)), "not-an-ip")
    (error,) = run(world).errors
    assert "loadbalancer-member" in str(error) and "(load balancer shop)" in str(error)


def test_a_pool_of_another_project_is_an_error_naming_the_field() -> None:
    world = World()
    lb = world.lb(name="shop")
    listener = world.listener(lb)
    pool = world.pool(listener)
    world.pools[pool.uuid] = replace(pool, project_uuid="another-project")
    (error,) = run(world).errors
    assert error.field == "loadbalancer_listener_refs" and "another-project" in error.reason
