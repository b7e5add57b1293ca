"""The status page's rendering, filters and routes (pure; the browser test drives a daemon)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.daemon import statuspage
from reconciler.daemon.health import make_app
from reconciler.daemon.metrics import Metrics

NOW = 1_800_000_000.0


def data() -> dict[str, Any]:
    return {
        "replica": "replica-0",
        "ready": False,
        "checks": {"initial_sync": True, "devices_reachable": False},
        "generated_at": NOW,
        "contrail_synced": True,
        "contrail_queue_depth": 0,
        "sets": [
            {
                "name": "f5",
                "uuid": "s1",
                "ownership": "this replica",
                "owner": None,
                "load_balancers": 2,
                "in_error": 1,
                "devices": [
                    {
                        "name": "bigip1",
                        "address": "10.0.0.1:443",
                        "worker": "bigip1",
                        "role": None,
                        "reachable": False,
                        "last_sync": NOW - 30,
                        "queue_depth": 2,
                        "error": "ConnectionError: reset",
                    }
                ],
            }
        ],
        "load_balancers": [
            {
                "uuid": "lb1",
                "name": "<script>alert(1)</script>",
                "project": "demo",
                "project_uuid": "p1",
                "sets": ["f5"],
                "vip": "10.1.0.5",
                "provisioning_status": "ERROR",
                "operating_status": "OFFLINE",
                "reason": 'listener "x" & <y>: bad protocol',
                "last_change": None,
            },
            {
                "uuid": "lb2",
                "name": "web",
                "project": "shop",
                "project_uuid": "p2",
                "sets": ["f5"],
                "vip": "10.1.0.6",
                "provisioning_status": "ACTIVE",
                "operating_status": "ONLINE",
                "reason": "",
                "last_change": {
                    "at": NOW - 5,
                    "device": "bigip1",
                    "count": 12,
                    "operations": ["+ ltm/pool /P/a"],
                },
            },
        ],
        "plans": [],
        "events": [
            {"at": NOW - 1, "kind": "lb-error", "level": "error", "message": "x", "lb": "lb1"},
            {"at": NOW - 2, "kind": "lb-active", "message": "y", "lb": "lb2", "project": "shop"},
            {"at": NOW - 3, "kind": "device-down", "level": "error", "message": "<b>"},
        ],
    }


def test_everything_is_escaped() -> None:
    page = statuspage.render(data(), now=NOW)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;x&quot; &amp; &lt;y&gt;" in page
    assert "<b>" not in page.split("<main>")[1]  # the event's message, escaped
    assert '<meta http-equiv="refresh" content="5">' in page
    assert 'data-reachable="false"' in page and "unreachable" in page
    assert "12 operation(s)" in page


def test_filters_narrow_load_balancers_and_events() -> None:
    errors = statuspage.select(data(), state="error")
    assert [lb["uuid"] for lb in errors["load_balancers"]] == ["lb1"]
    assert [e["kind"] for e in errors["events"]] == ["lb-error"]
    assert errors["load_balancers_total"] == 2
    shop = statuspage.select(data(), project="shop")
    assert [lb["uuid"] for lb in shop["load_balancers"]] == ["lb2"]
    assert [e["kind"] for e in shop["events"]] == ["lb-active"]
    assert statuspage.select(data(), project="p1")["load_balancers"][0]["uuid"] == "lb1"
    assert shop["choices"] == {
        "projects": ["demo", "shop"],
        "states": ["ACTIVE", "ERROR", "OFFLINE", "ONLINE"],
    }
    page = statuspage.render(shop, now=NOW)
    assert 'href="./?project=shop&amp;state=ERROR"' in page  # links keep the other filter
    assert "Load balancers (1 of 2)" in page


def test_an_empty_status_renders() -> None:
    page = statuspage.render({}, now=NOW)
    assert "no F5 service-appliance-set known yet" in page and "no reconcile yet" in page


def test_scrub_replaces_known_secrets_everywhere() -> None:
    raw = {"a": ["login failed for admin:s3cret-pw", {"s3cret-pw": 1}], "b": 3}
    clean = statuspage.scrub(raw, ["s3cret-pw", "", "ab"])
    assert "s3cret-pw" not in json.dumps(clean)
    assert clean["b"] == 3


def call(app: Any, path: str, query: str = "") -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "QUERY_STRING": query}, start_response))
    return seen["status"], seen["headers"], body


def test_the_routes_serve_the_page_and_its_json() -> None:
    app = make_app(lambda: {"ok": True}, Metrics(), data)
    status, headers, body = call(app, "/", "state=ERROR")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/html")
    assert b"Load balancers (1 of 2)" in body
    status, headers, body = call(app, "/status.json", "project=shop")
    assert headers["Content-Type"] == "application/json"
    assert [lb["uuid"] for lb in json.loads(body)["load_balancers"]] == ["lb2"]
    assert call(app, "/nothing")[0] == "404 Not Found"
    assert call(make_app(lambda: {}, Metrics()), "/")[0] == "404 Not Found"


def test_load_balancers_in_error_come_first_and_the_header_counts_them() -> None:
    raw = data()
    raw["load_balancers"].reverse()  # ACTIVE first in the data
    chosen = statuspage.select(raw)
    assert [lb["uuid"] for lb in chosen["load_balancers"]] == ["lb1", "lb2"]
    page = statuspage.render(chosen, now=NOW)
    header = page.split("</header>")[0]
    assert "1 in ERROR" in header and "1 device(s) unreachable" in header
    assert page.index('data-uuid="lb1"') < page.index('data-uuid="lb2"')


def test_search_finds_by_name_uuid_vip_or_reason() -> None:
    def found(q: str) -> list[str]:
        return [lb["uuid"] for lb in statuspage.select(data(), search=q)["load_balancers"]]

    assert found("web") == ["lb2"]
    assert found("10.1.0.5") == ["lb1"]
    assert found("BAD protocol") == ["lb1"]
    assert found("lb") == ["lb1", "lb2"] and found("nothing-like-it") == []
    page = statuspage.render(statuspage.select(data(), search="web"), now=NOW)
    assert 'name="q"' in page and 'value="web"' in page and "Load balancers (1 of 2)" in page


def test_names_lose_their_bidirectional_controls_and_statuses_come_from_a_fixed_set() -> None:
    raw = data()
    raw["load_balancers"][1]["name"] = "payroll\u202egnp.exe\u2066x\x07"
    raw["load_balancers"][1]["provisioning_status"] = "PENDING_UPDATE"
    raw["load_balancers"][1]["operating_status"] = "ERROR s-active"
    page = statuspage.render(raw, now=NOW)
    assert "payrollgnp.exex" in page and "\u202e" not in page and "\x07" not in page
    row = page.split('data-uuid="lb2"')[1].split("</tr>")[0]
    assert "s-active" not in row and "s-error" not in row and "ERROR s-active" not in page
    assert 'data-operating="UNKNOWN"' in page and ">UNKNOWN<" in page
    assert "ERROR s-active" not in statuspage.select(raw)["choices"]["states"]


def test_a_load_balancer_has_its_own_page_with_its_objects_plan_and_events() -> None:
    from reconciler.daemon.lbpage import render_load_balancer  # here: the old page had none

    raw = data()
    raw["plans"] = [
        {
            "device": "bigip1",
            "address": "10.0.0.1:443",
            "last": {
                "at": NOW,
                "key": "*",
                "summary": {"create": 1},
                "operations": [
                    {
                        "action": "create",
                        "kind": "ltm/pool",
                        "path": "/P/pool-of-lb2",
                        "loadbalancers": ["lb2"],
                    },
                    {
                        "action": "delete",
                        "kind": "ltm/pool",
                        "path": "/P/pool-of-lb1",
                        "loadbalancers": ["lb1"],
                    },
                ],
            },
        }
    ]
    objects = [
        {
            "device": "bigip1",
            "objects": [
                {
                    "kind": "ltm/virtual",
                    "path": "/P/vs",
                    "children": [
                        {
                            "kind": "ltm/pool",
                            "path": "/P/pool-of-lb2",
                            "state": "UP",
                            "detail": "available: 1 of 2 members active",
                            "children": [
                                {
                                    "kind": "ltm/pool/members",
                                    "path": "/P/pool m1",
                                    "state": "ACTIVE",
                                },
                                {
                                    "kind": "ltm/pool/members",
                                    "path": "/P/pool m2",
                                    "state": "DISABLED",
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ]
    page = render_load_balancer(raw, "lb2", objects, now=NOW)
    assert page is not None
    assert "web" in page and "10.1.0.6" in page and "… and 11 more" in page
    tree = page.split('id="objects"')[1].split("</section>")[0]
    assert tree.index("/P/vs") < tree.index("/P/pool-of-lb2") < tree.index("/P/pool m1")
    assert "1 of 2 members active" in tree and ">DISABLED<" in tree
    plans = page.split('id="plans"')[1].split("</section>")[0]
    assert "pool-of-lb2" in plans and "pool-of-lb1" not in plans
    events = page.split('id="events"')[1]
    assert "lb-active" in events and "lb-error" not in events
    assert render_load_balancer(raw, "no-such-lb") is None
    app = make_app(lambda: {}, Metrics(), data)
    assert call(app, "/", "lb=lb1")[0] == "200 OK"
    assert call(app, "/", "lb=nope")[0].startswith("404")
