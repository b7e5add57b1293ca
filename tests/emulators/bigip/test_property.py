"""Random sequences of valid and invalid operations: no 500s, no dangling references, and the
dump/load of the configuration round-trips."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emulators.bigip as bigip

NAMES = st.sampled_from(["a", "b", "c"])
IPS = st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.1%2", "10.0.0.300", "fe80::1"])
PORTS = st.sampled_from([80, 443, 70000])
PARTS = st.sampled_from(["P", "Common", "Missing"])


def pool_url(part, name):
    return f"/mgmt/tm/ltm/pool/~{part}~{name}"


OPS = st.one_of(
    st.tuples(
        st.just("POST"),
        st.just("/mgmt/tm/ltm/pool"),
        st.fixed_dictionaries(
            {"name": NAMES, "partition": PARTS},
            optional={"monitor": st.sampled_from(["/P/m", "/Common/http", "x"])},
        ),
    ),
    st.builds(
        lambda p, n, ip, port: (
            "POST",
            pool_url(p, n) + "/members",
            {"name": f"{ip}:{port}", "partition": p},
        ),
        PARTS,
        NAMES,
        IPS,
        PORTS,
    ),
    st.builds(lambda p, n: ("DELETE", pool_url(p, n), None), PARTS, NAMES),
    st.builds(
        lambda p, ip: ("DELETE", f"/mgmt/tm/ltm/node/~{p}~{ip.replace('%', '%25')}", None),
        PARTS,
        IPS,
    ),
    st.builds(
        lambda p, n, ip, port, pool: (
            "POST",
            "/mgmt/tm/ltm/virtual",
            {"name": n, "partition": p, "destination": f"{ip}:{port}", "pool": pool},
        ),
        PARTS,
        NAMES,
        IPS,
        PORTS,
        st.sampled_from(["", "a", "/P/b", "/Common/c"]),
    ),
    st.builds(
        lambda p, n, pool: ("PATCH", f"/mgmt/tm/ltm/virtual/~{p}~{n}", {"pool": pool}),
        PARTS,
        NAMES,
        st.sampled_from(["", "a", "/P/b"]),
    ),
    st.builds(lambda p, n: ("DELETE", f"/mgmt/tm/ltm/virtual/~{p}~{n}", None), PARTS, NAMES),
    st.builds(
        lambda i, t: (
            "POST",
            "/mgmt/tm/ltm/monitor/http",
            {"name": "m", "partition": "P", "interval": i, "timeout": t},
        ),
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    st.just(("DELETE", "/mgmt/tm/ltm/monitor/http/~P~m", None)),
    st.builds(
        lambda p, n, ip: (
            "POST",
            "/mgmt/tm/ltm/virtual-address",
            {"name": n, "partition": p, "address": ip},
        ),
        PARTS,
        NAMES,
        IPS,
    ),
    st.builds(
        lambda p, ip: (
            "DELETE",
            f"/mgmt/tm/ltm/virtual-address/~{p}~{ip.replace('%', '%25')}",
            None,
        ),
        PARTS,
        IPS,
    ),
    st.builds(
        lambda p, n, body: ("PUT", pool_url(p, n), body),
        PARTS,
        NAMES,
        st.one_of(
            st.just([1, 2]),
            st.just("x"),
            st.dictionaries(
                st.sampled_from(["monitor", "members", "kind", "generation"]),
                st.sampled_from(["", "/P/m", 3, None, []]),
            ),
        ),
    ),
    st.just(("DELETE", "/mgmt/tm/sys/folder/~P", None)),
    st.just(("DELETE", "/mgmt/tm/net/route-domain/~P~P", None)),
)


@pytest.fixture(scope="module")
def device():
    srv = bigip.start()
    session = requests.Session()
    session.auth = ("admin", "admin")
    session.verify = False
    yield srv, session
    session.close()
    srv.stop()


def send(srv, session, method, path, body):
    data = json.dumps(body) if body is not None else None
    return session.request(
        method, srv.url + path, data=data, timeout=10, headers={"Content-Type": "application/json"}
    )


def dangling(config):
    objects = config["objects"]
    paths = {t: {o["fullPath"] for o in objs} for t, objs in objects.items()}
    problems = []
    for vs in objects["ltm/virtual"]:
        if vs.get("pool") and vs["pool"] not in paths["ltm/pool"]:
            problems.append(("virtual pool", vs["fullPath"], vs["pool"]))
    default_rd = {
        p["name"]: int(p.get("defaultRouteDomain", 0) or 0) for p in objects["auth/partition"]
    }

    def ip_rd(text: str, partition: str) -> tuple[str, int]:
        ip, _, rd = text.partition("%")
        return ip, int(rd) if rd else default_rd.get(partition, 0)

    # A virtual address is unique per IP and route domain on the whole device (0107176c): a
    # virtual may stand on one in another partition (f5-appsvcs-extension #741).
    addresses = {ip_rd(va["address"], va["partition"]) for va in objects["ltm/virtual-address"]}
    for vs in objects["ltm/virtual"]:
        part, _, rest = vs["destination"][1:].partition("/")
        host = rest.rsplit(".", 1)[0] if rest.count(":") > 1 else rest.rsplit(":", 1)[0]
        if ip_rd(host, part) not in addresses:
            problems.append(("virtual address", vs["fullPath"], host))
    nodes = {(n["partition"], n["address"]) for n in objects["ltm/node"]}
    pools = {p["fullPath"] for p in objects["ltm/pool"]}
    monitors = {
        m["fullPath"] for t, objs in objects.items() if t.startswith("ltm/monitor/") for m in objs
    }
    for member in objects["ltm/pool/members"]:
        if (member["partition"], member["address"]) not in nodes or member["_parent"] not in pools:
            problems.append(("member", member["fullPath"]))
    for pool in objects["ltm/pool"]:
        for word in str(pool.get("monitor", "")).split():
            if word.startswith("/") and word not in monitors:
                problems.append(("monitor", pool["fullPath"], word))
    for part in objects["auth/partition"]:
        if "/" + part["name"] not in paths["sys/folder"]:
            problems.append(("partition folder", part["name"]))
    return problems


@pytest.mark.slow
@settings(
    max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_random_operations_keep_the_device_consistent(device, ops):
    srv, session = device
    session.post(srv.url + "/_emulator/reboot", json={"mode": "wipe"})
    assert send(srv, session, "POST", "/mgmt/tm/sys/folder", {"name": "P", "subPath": "/"}).ok
    assert send(
        srv, session, "POST", "/mgmt/tm/net/route-domain", {"name": "P", "partition": "P", "id": 2}
    ).ok
    assert send(srv, session, "PATCH", "/mgmt/tm/auth/partition/P", {"defaultRouteDomain": 2}).ok
    for method, path, body in ops:
        response = send(srv, session, method, path, body)
        assert response.status_code < 500, (method, path, body, response.text)
        if not response.ok:
            assert "message" in response.json()
    config = session.get(srv.url + "/_emulator/dump").json()
    assert dangling(config) == []
    assert session.post(srv.url + "/_emulator/load", json=config).ok
    assert session.get(srv.url + "/_emulator/dump").json() == config
