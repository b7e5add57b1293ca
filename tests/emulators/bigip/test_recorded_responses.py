"""Responses recorded from real BIG-IPs as the judge of the emulator's answers.

F5's Ansible modules keep what real devices (TMOS 11.5–13.1) answered as unit-test fixtures
(F5Networks/f5-ansible, ``.../tests/unit/modules/network/f5/fixtures/load_*.json``). They are
read at test time from the pinned snapshot (``tests.support.upstream``, ``make upstream``),
never copied here. For each recording of a type the product uses, the objects it shows are
created on the emulator with the fields a user set (``body``), read back, and compared field
by field with the recording:

- a field agrees when both have it with the same JSON type and, unless the user set it or it
  names this very object (name, links, generation), the same value: a default;
- ``*Reference`` links agree when both are links of the same shape;
- the score of a type is the share of the fields of either side that agree, and must be at
  least 95 %. What still differs is listed, with its reason, in docs/emulators/bigip.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from emulators.http import EmulatorServer, self_signed_pem
from tests.emulators.bigip.conftest import raw
from tests.support.upstream import F5_ANSIBLE, checkout

FIXTURES = "ansible_collections/f5networks/f5_modules/tests/unit/modules/network/f5/fixtures"
THRESHOLD = 0.95
# Fields naming the object itself, or numbering it as the device chose: their values are
# the object's, only their type is judged.
OWN = frozenset({"name", "fullPath", "generation", "selfLink", "partition", "ifIndex", "vsIndex"})
# What describes one particular certificate or key file (its bytes, when it was installed).
FILE = frozenset(
    {
        "checksum",
        "size",
        "createTime",
        "lastUpdateTime",
        "issuer",
        "subject",
        "serialNumber",
        "expirationDate",
        "expirationString",
    }
)
# Fields a type gained after the version a recording was made on: not judged (the emulator
# presents 13.1 at the oldest). Listed in docs/emulators/bigip.md.
NEWER = {"pool_members_subcollection.json": {"ephemeral", "fqdn"}}  # 11.5.4; FQDN: TMOS 12


@dataclass(frozen=True)
class Case:
    label: str  # the type, as the issue lists them
    fixture: str
    path: str  # collection under /mgmt/tm/ the object is created in
    body: dict[str, Any]
    read: str = ""  # the object's URL under /mgmt/tm/, if not <path>/~Common~<name>
    setup: tuple[tuple[str, dict[str, Any]], ...] = ()  # (collection, body) created first
    item: Callable[[Any], Any] = field(default=lambda recorded: recorded)
    own: frozenset[str] = OWN


def _first_item(recorded: Any) -> Any:
    items = recorded["items"] if isinstance(recorded, dict) else recorded
    return items[0]


CASES = (
    Case(
        "virtual",
        "load_ltm_virtual_1.json",
        "ltm/virtual",
        {
            "name": "my-virtual-server",
            "destination": "/Common/10.10.10.10:443",
            "ipProtocol": "any",
            "sourceAddressTranslation": {"type": "automap"},
        },
    ),
    Case(
        "virtual-address",
        "load_ltm_virtual_address_default.json",
        "ltm/virtual-address",
        {"name": "1.1.1.1", "address": "1.1.1.1"},
    ),
    Case(
        "pool",
        "load_ltm_pool.json",
        "ltm/pool",
        {
            "name": "test_pool",
            "description": "test",
            "monitor": "min 1 of { /Common/http /Common/inband }",
            "serviceDownAction": "reselect",
        },
    ),
    Case(
        "member",
        "pool_members_subcollection.json",
        "ltm/pool/~Common~test_pool/members",
        {"name": "1.1.1.1:80", "session": "user-disabled"},
        read="ltm/pool/~Common~test_pool/members/~Common~1.1.1.1:80",
        setup=(("ltm/pool", {"name": "test_pool", "monitor": "/Common/http"}),),
        item=_first_item,
    ),
    Case(
        "node",
        "load_ltm_node_1.json",
        "ltm/node",
        {"name": "foo", "address": "1.2.3.4", "description": "my description of node"},
    ),
    Case(
        "monitor http",
        "load_ltm_monitor_http.json",
        "ltm/monitor/http",
        {
            "name": "asdf",
            "description": "this is a description",
            "destination": "1.1.1.1:389",
            "recv": "hello world",
            "reverse": "enabled",
            "username": "john",
            "password": "secret",
        },
    ),
    Case(
        "monitor https",
        "load_ltm_monitor_https.json",
        "ltm/monitor/https",
        {
            "name": "asdf",
            "description": "this is a description",
            "destination": "1.1.1.1:389",
            "recv": "hello world",
            "username": "john",
            "password": "secret",
        },
    ),
    Case(
        "monitor tcp",
        "load_ltm_monitor_tcp.json",
        "ltm/monitor/tcp",
        {
            "name": "foo",
            "destination": "10.10.10.10:80",
            "interval": 20,
            "timeout": 30,
            "timeUntilUp": 60,
            "recv": "this is a receive string",
            "send": "this is a send string",
        },
    ),
    Case(
        "snatpool",
        "load_ltm_snatpool.json",
        "ltm/snatpool",
        {"name": "asdasd", "members": ["/Common/1.1.1.1", "/Common/2.2.2.2"]},
    ),
    Case(
        "self",
        "load_tm_net_self.json",
        "net/self",
        {
            "name": "net1",
            "address": "10.10.10.10%1/24",
            "vlan": "/Common/net1",
            "allowService": ["tcp:80", "udp:53", "gre:0"],
        },
        setup=(
            ("net/vlan", {"name": "net1"}),
            ("net/route-domain", {"name": "rd1", "id": 1, "vlans": ["/Common/net1"]}),
        ),
    ),
    Case("vlan", "load_vlan.json", "net/vlan", {"name": "somevlan"}),
    Case(
        "vlan interfaces",
        "load_vlan_interfaces.json",
        "net/vlan/~Common~vlan1/interfaces",
        {"name": "1.2", "tagged": True},
        read="net/vlan/~Common~vlan1/interfaces/1.2",
        setup=(("net/vlan", {"name": "vlan1"}),),
        item=_first_item,
    ),
    Case(
        "route-domain",
        "load_net_route_domain_1.json",
        "",
        {},
        read="net/route-domain/~Common~0",
        setup=(
            *(("net/vlan", {"name": n}) for n in ("net1", "internal", "net2")),
            *(("net/tunnels/tunnel", {"name": n}) for n in ("socks-tunnel", "http-tunnel")),
        ),
    ),
    Case(
        "partition",
        "load_tm_auth_partition.json",
        "auth/partition",
        {"name": "foo", "description": "my description"},
        read="auth/partition/foo",
    ),
    Case(
        "client-ssl",
        "load_ltm_profile_clientssl.json",
        "ltm/profile/client-ssl",
        {"name": "foo", "description": "none"},
    ),
    Case(
        "crypto cert",
        "load_tm_sys_file_ssl_cert_no_password.json",
        "",
        {},
        read="sys/file/ssl-cert/~Common~cert1.crt",
        own=OWN | FILE,
    ),
    Case(
        "crypto key",
        "load_tm_sys_file_ssl_key_no_password.json",
        "",
        {},
        read="sys/file/ssl-key/~Common~cert1.key",
        own=OWN | FILE,
    ),
)


@pytest.fixture(scope="module")
def recordings() -> Path:
    src = checkout(F5_ANSIBLE)
    if src is None:
        pytest.skip(F5_ANSIBLE.describe())
    folder = src / FIXTURES
    missing = [c.fixture for c in CASES if not (folder / c.fixture).is_file()]
    if missing:
        pytest.skip(f"{F5_ANSIBLE.describe()}; missing {', '.join(missing)}")
    return folder


def _same_type(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return True
    return type(a) is type(b)


def _link_shape(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple(sorted({k for v in value for k in v})))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(k for k in value if k != "items")))
    return type(value).__name__


def compare(recorded: dict[str, Any], answered: dict[str, Any], case: Case) -> dict[str, str]:
    """field → why it differs, for every field of either side that does not agree."""
    differs = {}
    judged = set(recorded) | set(answered)
    for key in sorted(judged - NEWER.get(case.fixture, set())):
        if key not in answered:
            differs[key] = "missing"
        elif key not in recorded:
            differs[key] = "not recorded"
        elif key.endswith("Reference"):
            if _link_shape(recorded[key]) != _link_shape(answered[key]):
                differs[key] = f"link {_link_shape(answered[key])}"
        elif not _same_type(recorded[key], answered[key]):
            differs[key] = f"type {type(answered[key]).__name__}"
        elif _encrypted(recorded[key]) and not _encrypted(answered[key]):
            differs[key] = "shown in clear, recorded encrypted ($M$...)"
        elif (
            key not in case.own
            and key not in case.body
            and _unversioned(recorded[key]) != _unversioned(answered[key])
        ):
            differs[key] = f"value {answered[key]!r}, recorded {recorded[key]!r}"
    return differs


def _encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$M$")


def _unversioned(value: Any) -> Any:
    """Links inside values without their ``?ver=``: the emulator is not the recorded TMOS."""
    if isinstance(value, str):
        return re.sub(r"\?ver=[0-9.]+", "", value)
    if isinstance(value, list):
        return [_unversioned(v) for v in value]
    if isinstance(value, dict):
        return {k: _unversioned(v) for k, v in value.items()}
    return value


def answer(server: EmulatorServer, case: Case) -> dict[str, Any]:
    for collection, body in case.setup:
        made = raw(server, "POST", f"/mgmt/tm/{collection}", json=body)
        assert made.ok, made.text
    if case.path:
        made = raw(server, "POST", f"/mgmt/tm/{case.path}", json=case.body)
        assert made.ok, made.text
    read = case.read or f"{case.path}/~Common~{case.body['name']}"
    got = raw(server, "GET", f"/mgmt/tm/{read}")
    assert got.ok, got.text
    return dict(got.json())


def _certificate(server: EmulatorServer) -> None:
    """cert1.crt / cert1.key installed from uploads, as F5's certificate module does."""
    cert, key = self_signed_pem("cert1.domain.local")
    for name, data in (("cert1.crt", cert), ("cert1.key", key)):
        headers = {"Content-Range": f"0-{len(data) - 1}/{len(data)}"}
        uploaded = raw(
            server,
            "POST",
            f"/mgmt/shared/file-transfer/uploads/{name}",
            data=data,
            headers=headers,
        )
        assert uploaded.ok, uploaded.text
        kind = "cert" if name.endswith(".crt") else "key"
        installed = raw(
            server,
            "POST",
            f"/mgmt/tm/sys/crypto/{kind}",
            json={
                "command": "install",
                "name": name,
                "from-local-file": f"/var/config/rest/downloads/{name}",
            },
        )
        assert installed.ok, installed.text


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_the_emulator_answers_as_the_recorded_device(
    recordings: Path, server: EmulatorServer, case: Case
) -> None:
    recorded = case.item(json.loads((recordings / case.fixture).read_text()))
    if case.label.startswith("crypto"):
        _certificate(server)
    answered = answer(server, case)
    differs = compare(recorded, answered, case)
    fields = (set(recorded) | set(answered)) - NEWER.get(case.fixture, set())
    score = 1 - len(differs) / len(fields)
    assert score >= THRESHOLD, (
        f"{case.label}: {score:.0%} of {len(fields)} fields agree with {case.fixture}; "
        f"differing: {json.dumps(differs, indent=1)}"
    )
