"""F5's own declarative reconciler, f5-cccl (the core of k8s-bigip-ctlr), as the judge.

f5-cccl reads a partition, diffs it against a declared service configuration and writes the
difference. Run unmodified against a real BIG-IP, a second pass with the same declaration
writes nothing; so it must against the emulator. That only holds if the emulator answers as
a device does: names kept as created (``10.0.0.1%0:80``, node ``10.0.0.1%0``), addresses
canonical, members accepted inline in a pool body, every collection f5-cccl reads present.

f5-cccl is taken from its pinned git snapshot (``tests.support.upstream``) and run in a
subprocess with that checkout on ``PYTHONPATH`` (``cccl_apply.py``); it is never installed
into, nor copied into, this repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulators.http import EmulatorServer
from tests.emulators.bigip.conftest import control
from tests.support.upstream import F5_CCCL, checkout

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("cccl_apply.py")
P = "k8s"


@pytest.fixture(scope="module")
def cccl_src() -> Path:
    src = checkout(F5_CCCL)
    if src is None:
        pytest.skip(F5_CCCL.describe())
    return src


@pytest.fixture(params=[0, 2], ids=["rd0", "rd2"])
def k8s(request: pytest.FixtureRequest, mgmt: Any) -> int:
    """Partition k8s, as k8s-bigip-ctlr is given one; default route domain 0 or 2."""
    mgmt.tm.sys.folders.folder.create(name=P, subPath="/")
    if request.param:
        mgmt.tm.net.route_domains.route_domain.create(name="rd2", partition=P, id=request.param)
        mgmt.tm.auth.partitions.partition.load(name=P).modify(defaultRouteDomain=request.param)
    return int(request.param)


def service(
    web_members: list[tuple[str, int]] | None = None, web_interval: int = 5
) -> dict[str, Any]:
    """A declaration in f5-cccl's LTM schema: three virtuals, three pools, three monitors."""
    if web_members is None:
        web_members = [("172.16.0.1", 8080), ("172.16.0.2", 8080)]
    return {
        "virtualServers": [
            {
                "name": "web_80",
                "destination": f"/{P}/10.10.0.1:80",
                "pool": f"/{P}/web",
                "ipProtocol": "tcp",
                "enabled": True,
                "sourceAddressTranslation": {"type": "automap"},
                "profiles": [
                    {"name": "http", "partition": "Common", "context": "all"},
                    {"name": "tcp", "partition": "Common", "context": "all"},
                ],
            },
            {
                "name": "web_8443",
                "destination": f"/{P}/10.10.0.1:8443",
                "pool": f"/{P}/api",
                "ipProtocol": "tcp",
                "enabled": True,
                "sourceAddressTranslation": {"type": "automap"},
                "profiles": [{"name": "tcp", "partition": "Common", "context": "all"}],
            },
            {
                "name": "dns_53",
                "destination": f"/{P}/10.10.0.2:53",
                "pool": f"/{P}/dns",
                "ipProtocol": "udp",
                "enabled": True,
                "sourceAddressTranslation": {"type": "automap"},
                "profiles": [{"name": "udp", "partition": "Common", "context": "all"}],
            },
        ],
        "pools": [
            {
                "name": "web",
                "loadBalancingMode": "round-robin",
                "members": [{"address": a, "port": p} for a, p in web_members],
                "monitors": [f"/{P}/web_http"],
            },
            {
                "name": "api",
                "loadBalancingMode": "least-connections-member",
                "members": [
                    {"address": "172.16.0.1", "port": 9443},
                    {"address": "172.16.0.3", "port": 9443, "ratio": 2},
                ],
                "monitors": [f"/{P}/api_tcp"],
            },
            {
                "name": "dns",
                "members": [{"address": "172.16.1.53", "port": 53}],
                "monitors": [f"/{P}/dns_udp"],
            },
        ],
        "monitors": [
            {
                "name": "web_http",
                "type": "http",
                "interval": web_interval,
                "timeout": 16,
                "send": "GET /healthz HTTP/1.0\\r\\n\\r\\n",
                "recv": "200 OK",
            },
            {"name": "api_tcp", "type": "tcp", "interval": 10, "timeout": 31},
            {
                "name": "dns_udp",
                "type": "udp",
                "interval": 5,
                "timeout": 16,
                "send": "default send string",
            },
        ],
    }


def apply(server: EmulatorServer, src: Path, config: dict[str, Any], tmp_path: Path) -> dict:
    """One f5-cccl pass; returns its answer and the device writes it made."""
    path = tmp_path / "service.json"
    path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    control(server, "writes", method="DELETE")
    done = subprocess.run(
        [sys.executable, str(DRIVER), "127.0.0.1", str(server.port), P, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["writes"] = [
        f"{w['method']} {w['path']} {w['status']}"
        for w in control(server, "writes", method="GET")["items"]
    ]
    return answer


def device_state(mgmt: Any) -> dict[str, Any]:
    params = {"params": f"$filter=partition eq {P}&expandSubcollections=true"}
    pools = {
        p.name: (
            p.loadBalancingMode,
            p.monitor.strip(),
            sorted(m["name"] for m in p.membersReference.get("items", [])),
        )
        for p in mgmt.tm.ltm.pools.get_collection(requests_params=params)
    }
    virtuals = {
        v.name: (v.destination, v.pool, v.ipProtocol)
        for v in mgmt.tm.ltm.virtuals.get_collection(requests_params=params)
    }
    by_partition = {"params": f"$filter=partition eq {P}"}
    nodes = sorted(
        (n.name, n.address) for n in mgmt.tm.ltm.nodes.get_collection(requests_params=by_partition)
    )
    addresses = sorted(
        (a.name, a.address)
        for a in mgmt.tm.ltm.virtual_address_s.get_collection(requests_params=by_partition)
    )
    monitors = {
        m.name: m.interval
        for collection in (
            mgmt.tm.ltm.monitor.https,
            mgmt.tm.ltm.monitor.tcps,
            mgmt.tm.ltm.monitor.udps,
        )
        for m in collection.get_collection(requests_params=by_partition)
    }
    return {
        "pools": pools,
        "virtuals": virtuals,
        "nodes": nodes,
        "addresses": addresses,
        "monitors": monitors,
    }


def expected_state(rd: int, web: list[str], web_interval: int = 5) -> dict[str, Any]:
    def addr(ip: str) -> str:  # an address field: the partition's default %RD left out
        return ip

    def name(ip: str) -> str:  # a name f5-cccl gives: always with the route domain
        return f"{ip}%{rd}"

    node_ips = sorted({m.split(":")[0] for m in web} | {"172.16.0.1", "172.16.0.3", "172.16.1.53"})
    return {
        "pools": {
            "web": (
                "round-robin",
                f"/{P}/web_http",
                sorted(f"{name(m.split(':')[0])}:{m.split(':')[1]}" for m in web),
            ),
            "api": (
                "least-connections-member",
                f"/{P}/api_tcp",
                [f"{name('172.16.0.1')}:9443", f"{name('172.16.0.3')}:9443"],
            ),
            "dns": ("round-robin", f"/{P}/dns_udp", [f"{name('172.16.1.53')}:53"]),
        },
        "virtuals": {
            "web_80": (f"/{P}/{addr('10.10.0.1')}:80", f"/{P}/web", "tcp"),
            "web_8443": (f"/{P}/{addr('10.10.0.1')}:8443", f"/{P}/api", "tcp"),
            "dns_53": (f"/{P}/{addr('10.10.0.2')}:53", f"/{P}/dns", "udp"),
        },
        "nodes": sorted((name(ip), addr(ip)) for ip in node_ips),
        "addresses": [(name("10.10.0.1"), "10.10.0.1"), (name("10.10.0.2"), "10.10.0.2")],
        "monitors": {"web_http": web_interval, "api_tcp": 10, "dns_udp": 5},
    }


def test_cccl_converges_and_a_second_pass_writes_nothing(
    server: EmulatorServer, mgmt: Any, k8s: int, cccl_src: Path, tmp_path: Path
) -> None:
    first = apply(server, cccl_src, service(), tmp_path)
    assert first["problems"] == []
    assert first["remaining"] == 0
    assert device_state(mgmt) == expected_state(k8s, ["172.16.0.1:8080", "172.16.0.2:8080"])
    # 3 monitors, 3 pools (members inline), 3 virtuals: nothing else, nothing twice.
    assert sorted(w.split()[0] for w in first["writes"]) == ["POST"] * 9, first["writes"]

    second = apply(server, cccl_src, service(), tmp_path)
    assert (second["remaining"], second["problems"], second["writes"]) == (0, [], [])


def test_cccl_changed_declaration_converges_with_a_minimal_change(
    server: EmulatorServer, mgmt: Any, k8s: int, cccl_src: Path, tmp_path: Path
) -> None:
    apply(server, cccl_src, service(), tmp_path)
    changed = service(web_members=[("172.16.0.1", 8080), ("172.16.0.9", 8080)], web_interval=7)
    answer = apply(server, cccl_src, changed, tmp_path)
    assert (answer["remaining"], answer["problems"]) == (0, [])
    assert device_state(mgmt) == expected_state(
        k8s, ["172.16.0.1:8080", "172.16.0.9:8080"], web_interval=7
    )
    # The monitor and the pool are replaced in place; the node of the member that left goes.
    assert sorted(answer["writes"]) == sorted(
        [
            f"PUT /mgmt/tm/ltm/monitor/http/~{P}~web_http/ 200",
            f"PUT /mgmt/tm/ltm/pool/~{P}~web/ 200",
            f"DELETE /mgmt/tm/ltm/node/~{P}~172.16.0.2%{k8s}/ 200",
        ]
    )
    again = apply(server, cccl_src, changed, tmp_path)
    assert (again["remaining"], again["problems"], again["writes"]) == (0, [], [])
