"""One load balancer's own page (``/?lb=<uuid>``): what the overview's row says, its objects
on each device as a tree (virtual → pool → members, with the state the device reported),
the operations of each device's last plan that were for it, and its events.

The tree comes from ``device_objects`` (the daemon's copy of what each device holds, see
``Controller.device_objects``): plain values, so this module stays data in → HTML out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.daemon.pagehtml import badge, document, e, known_status, when
from reconciler.daemon.statuspage import applied_cell, events_table, header, plan_ops, plan_summary


def _node(obj: Mapping[str, Any]) -> str:
    """One object of the tree: its kind, path, state (from the fixed set) and children."""
    state = obj.get("state")
    shown = badge(state) if known_status(state) or state else ""
    detail = f' <span class="small">{e(obj["detail"])}</span>' if obj.get("detail") else ""
    children = list(obj.get("children", ()))
    inner = ""
    if children:
        inner = '<ul class="tree">' + "".join(_node(c) for c in children) + "</ul>"
    kind = e(obj.get("kind"))
    return (
        f'<li class="object" data-kind="{kind}"><span class="small">{kind}</span> '
        f'<span class="mono">{e(obj.get("path"))}</span> {shown}{detail}{inner}</li>'
    )


def _devices(device_objects: Sequence[Mapping[str, Any]]) -> list[str]:
    out = ['<section id="objects"><h2>On the devices</h2>']
    if not device_objects:
        out.append('<div class="small">this replica holds no device object for it</div>')
    for device in device_objects:
        roots = list(device.get("objects", ()))
        out.append(
            f'<details class="device-objects" id="objects-{e(device.get("device"))}" open>'
            f"<summary><b>{e(device.get('device'))}</b> ({len(roots)} top-level object(s))"
            "</summary>"
        )
        if roots:
            out.append('<ul class="tree">' + "".join(_node(r) for r in roots) + "</ul>")
        else:
            out.append('<div class="small">nothing on this device</div>')
        out.append("</details>")
    out.append("</section>")
    return out


def _plans(data: Mapping[str, Any], uuid: str, now: float) -> list[str]:
    out = [
        '<section id="plans"><h2>Last plan per device: its operations for this load balancer</h2>'
    ]
    for plan in data.get("plans", ()):
        changed = plan.get("last_with_changes") or plan.get("last") or {}
        out.append(
            f'<details class="plan" id="plan-{e(plan.get("device"))}" open>'
            f"<summary><b>{e(plan.get('device'))}</b> — the last plan with changes, "
            f"{e(when(changed.get('at'), now))}: {e(plan_summary(changed))}</summary>"
        )
        out += plan_ops(changed, lb=uuid)
        out.append("</details>")
    if not data.get("plans"):
        out.append('<div class="small">no reconcile yet</div>')
    out.append("</section>")
    return out


def render_load_balancer(
    data: Mapping[str, Any],
    uuid: str,
    device_objects: Sequence[Mapping[str, Any]] | None = None,
    now: float | None = None,
) -> str | None:
    """The page of load balancer ``uuid``; None when the status does not list it."""
    lb = next((x for x in data.get("load_balancers", ()) if x.get("uuid") == uuid), None)
    if lb is None:
        return None
    now = time.time() if now is None else now
    facts = [
        ("uuid", f'<span class="mono">{e(lb.get("uuid"))}</span>'),
        ("project", e(lb.get("project") or lb.get("project_uuid"))),
        ("sets", e(", ".join(lb.get("sets", ())))),
        ("VIP", f'<span class="mono">{e(lb.get("vip") or "—")}</span>'),
        ("provisioning", badge(lb.get("provisioning_status"))),
        ("operating", badge(lb.get("operating_status"))),
        ("reason", f'<span class="reason">{e(lb.get("reason") or "—")}</span>'),
        ("status from", e(lb.get("source"))),
        ("last change applied", applied_cell(lb, now, listed=True)),
    ]
    rows = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts)
    events = [x for x in data.get("events", ()) if x.get("lb") == uuid]
    body = [
        f'<section id="load-balancer" data-uuid="{e(uuid)}">',
        f'<h2>Load balancer <span class="lb-name">{e(lb.get("name"))}</span></h2>',
        f"<table>{rows}</table>",
        '<div class="small"><a href="./">« all load balancers</a></div>',
        "</section>",
        *_devices(list(device_objects or ())),
        *_plans(data, uuid, now),
        *events_table(events, now),
    ]
    return document(
        f"{lb.get('name')} — contrail-f5-reconciler", header(data, now, home=False), body
    )
