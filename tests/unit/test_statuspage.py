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
    assert "… and 11 more" in page


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
