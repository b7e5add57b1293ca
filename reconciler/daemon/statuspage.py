"""The status page (``/``) and its JSON (``/status.json``): pure, data in → HTML out.

The data is ``Controller.status()`` (plain, JSON-able values; see there) with what the
process adds (replica, readiness). This module turns it into one server-rendered HTML page
that refreshes itself every few seconds and needs no JavaScript: every set and device, every
load balancer, the last plan per device and the recent events; ``?project=`` and ``?state=``
narrow the load balancers (and the events) to one project or one status, and every project
and status on the page is a link to that filter. Every value is escaped; credentials are
never part of the data (``StatusBoard.status`` also scrubs any it knows of).

The few helpers the controller uses to record what the page shows (a device plan, the
operations applied per load balancer) are here too, so the controller keeps plain dicts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.daemon.pagehtml import (
    badge,
    document,
    e,
    href,
    known_status,
    link,
    refresh_control,
    when,
    yes_no,
)
from reconciler.model.values import thaw
from reconciler.plan.model import DevicePlan, Operation

EVENTS_KEPT = 200  # the ring buffer of recent events
OPERATIONS_KEPT = 300  # per device plan: a first sync may plan thousands
PAGE_SIZE = 100  # load balancers per page (``?page=``); /status.json pages with ?offset=
OPERATIONS_SHOWN = 25  # per device plan on the overview (a load balancer's page: all of its)
EVENTS_SHOWN = 50  # on the overview (status.json and a load balancer's page: all kept)
SYMBOLS = {"create": "+", "update": "~", "delete": "-"}

# -- recording (used by the controller) -------------------------------------------------------


def _value(value: Any) -> str:
    value = thaw(value)
    if value is None or value == "":
        return "(none)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def operation_entry(op: Operation) -> dict[str, Any]:
    """One planned operation, as the page lists it (the object's fields are not copied:
    the plan's own JSON has them; file payloads, such as keys, never are)."""
    return {
        "action": op.action,
        "kind": op.obj.kind,
        "path": op.obj.path,
        "reason": op.reason or None,
        "changes": [f"{c.name}: {_value(c.old)} → {_value(c.new)}" for c in op.changes],
        "members": len(op.children),
        "loadbalancers": sorted(op.lbs),
        "source": str(op.source) if op.source else None,
    }


def plan_entry(device_plan: DevicePlan, worker: str, key: str, at: float) -> dict[str, Any]:
    """One device's plan from one reconcile: the counts and (the first) operations."""
    counts = {"create": 0, "update": 0, "delete": 0}
    for op in device_plan.operations:
        counts[op.action] += op.objects
    return {
        "device": device_plan.device,
        "address": device_plan.address,
        "worker": worker,
        "key": key,
        "at": at,
        "summary": counts,
        "error": device_plan.error or None,
        "guard": device_plan.guard or None,
        "foreign": len(device_plan.foreign),
        "operations_total": len(device_plan.operations),
        "operations": [operation_entry(op) for op in device_plan.operations[:OPERATIONS_KEPT]],
    }


def applied_by_load_balancer(operations: Iterable[Operation]) -> dict[str, list[str]]:
    """Load balancer uuid → the operations applied for it (``+ ltm/pool /P/name``)."""
    found: dict[str, list[str]] = {}
    for op in operations:
        for lb in op.lbs:
            found.setdefault(lb, []).append(f"{SYMBOLS[op.action]} {op.obj.kind} {op.obj.path}")
    return found


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of a secret in any string replaced by ``***``
    (belt and braces: no credential is put into the data in the first place)."""
    known = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not known:
        return value

    def clean(v: Any) -> Any:
        if isinstance(v, str):
            for secret in known:
                if secret in v:
                    v = v.replace(secret, "***")
            return v
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return clean(value)


# -- filtering --------------------------------------------------------------------------------


def _matches_project(lb: Mapping[str, Any], project: str) -> bool:
    return project in (lb.get("project"), lb.get("project_uuid"))


def _matches_state(lb: Mapping[str, Any], state: str) -> bool:
    state = state.upper()
    return state in (
        str(lb.get("provisioning_status") or "").upper(),
        str(lb.get("operating_status") or "").upper(),
    )


def _matches_search(lb: Mapping[str, Any], words: list[str]) -> bool:
    """Every word is in the name, uuid, project, VIP, sets or reason (any case)."""
    text = " ".join(
        str(lb.get(k) or "") for k in ("name", "uuid", "project", "project_uuid", "vip", "reason")
    )
    text = (text + " " + " ".join(lb.get("sets", ()))).casefold()
    return all(word in text for word in words)


def urgency(lb: Mapping[str, Any]) -> int:
    """0: in ERROR; 1: not serving well (OFFLINE, DEGRADED, ERROR operating); 2: pending; 3: fine.
    The page lists load balancers in this order, so the ones to look at come first."""
    provisioning = str(lb.get("provisioning_status") or "").upper()
    operating = str(lb.get("operating_status") or "").upper()
    if provisioning == "ERROR":
        return 0
    if operating in ("OFFLINE", "DEGRADED", "ERROR"):
        return 1
    if provisioning.startswith("PENDING"):
        return 2
    return 3


def tally(lbs: Iterable[Mapping[str, Any]], sets: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The header's counts: load balancers in error, not serving well, and devices down."""
    counts = {"load_balancers": 0, "error": 0, "impaired": 0, "devices_unreachable": 0}
    for lb in lbs:
        counts["load_balancers"] += 1
        rank = urgency(lb)
        counts["error"] += rank == 0
        counts["impaired"] += rank == 1
    counts["devices_unreachable"] = sum(
        1 for s in sets for d in s.get("devices", ()) if d.get("reachable") is False
    )
    return counts


def select(
    data: Mapping[str, Any], project: str = "", state: str = "", search: str = ""
) -> dict[str, Any]:
    """The data narrowed to one project, one state (provisioning or operating status of a
    load balancer) and/or a search (every word in name, uuid, project, VIP or reason), load
    balancers in error first; ``filters`` says which, ``choices`` lists what there is to
    choose, ``counts`` the header's tallies over all load balancers."""
    lbs = list(data.get("load_balancers", ()))
    projects = sorted({str(lb.get("project") or lb.get("project_uuid") or "") for lb in lbs})
    states = sorted(
        {
            status
            for lb in lbs
            for k in ("provisioning_status", "operating_status")
            if (status := known_status(lb.get(k)))
        }
    )
    words = search.casefold().split()
    shown = [
        lb
        for lb in lbs
        if (not project or _matches_project(lb, project))
        and (not state or _matches_state(lb, state))
        and (not words or _matches_search(lb, words))
    ]
    shown.sort(key=urgency)  # stable: within a rank, the status's own order
    events = list(data.get("events", ()))
    if project:  # the events of that project's load balancers
        events = [e for e in events if _matches_project(e, project)]
    if state or words:  # the events of the load balancers shown
        uuids = {lb.get("uuid") for lb in shown}
        events = [e for e in events if e.get("lb") in uuids]
    return {
        **data,
        "load_balancers": shown,
        "load_balancers_total": len(lbs),
        "events": events,
        "filters": {"project": project, "state": state, "q": search},
        "choices": {"projects": [p for p in projects if p], "states": states},
        "counts": tally(lbs, data.get("sets", ())),
    }


def window(data: Mapping[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """``select``'s output with ``limit`` load balancers from ``offset`` (``/status.json``):
    ``load_balancers_matched`` counts them all, ``next_offset`` is where the next page
    starts (None on the last)."""
    lbs = list(data.get("load_balancers", ()))
    end = offset + limit
    return {
        **data,
        "load_balancers": lbs[offset:end],
        "load_balancers_matched": len(lbs),
        "offset": offset,
        "limit": limit,
        "next_offset": end if end < len(lbs) else None,
    }


# -- rendering --------------------------------------------------------------------------------


def _counts(data: Mapping[str, Any]) -> str:
    counts = data.get("counts") or tally(data.get("load_balancers", ()), data.get("sets", ()))
    parts = []
    if counts["error"]:
        parts.append(
            f'<span class="alarm" id="count-error"><a href="./?state=ERROR">'
            f"{counts['error']} in ERROR</a></span>"
        )
    if counts["impaired"]:
        parts.append(
            f'<span class="alarm" id="count-impaired">{counts["impaired"]} impaired</span>'
        )
    if counts["devices_unreachable"]:
        parts.append(
            f'<span class="alarm" id="count-devices">{counts["devices_unreachable"]} '
            "device(s) unreachable</span>"
        )
    if not parts:
        parts.append('<span class="calm" id="count-error">no errors</span>')
    return f"{counts['load_balancers']} load balancers: " + " ".join(parts)


def header(data: Mapping[str, Any], now: float, home: bool = True) -> list[str]:
    checks = data.get("checks") or {}
    ready = data.get("ready")
    failing = [k for k, v in checks.items() if not v]
    state = (
        "ready"
        if ready
        else "not ready" + (f" ({', '.join(failing)})" if failing else "")
        if ready is not None
        else ""
    )
    title = "contrail-f5-reconciler" if home else '<a href="./">contrail-f5-reconciler</a>'
    return [
        "<header>",
        refresh_control(),
        f"<h1>{title}</h1>",
        f'<div id="counts">{_counts(data)}</div>',
        '<div class="small meta">',
        f'replica <b id="replica">{e(data.get("replica") or "?")}</b> · ',
        f'<span id="readiness">{e(state)}</span> · ',
        f"Contrail {'synced' if data.get('contrail_synced') else 'not synced yet'}, "
        f"queue {e(data.get('contrail_queue_depth', 0))} · ",
        f"as of {e(when(data.get('generated_at'), now))} · ",
        '<a href="status.json">status.json</a> · <a href="metrics">metrics</a> · '
        '<a href="readyz">readyz</a>',
        "</div>",
        "</header>",
    ]


def _filters(data: Mapping[str, Any]) -> list[str]:
    filters = data.get("filters") or {}
    choices = data.get("choices") or {}
    current_project, current_state = filters.get("project", ""), filters.get("state", "")

    def options(name: str, values: list[str], current: str) -> str:
        items = [f'<option value=""{" selected" if not current else ""}>all</option>']
        for value in values:
            selected = " selected" if value == current else ""
            items.append(f'<option value="{e(value)}"{selected}>{e(value)}</option>')
        return f'<select name="{name}" id="filter-{name}">{"".join(items)}</select>'

    def links(key: str, values: list[str], current: str) -> str:
        out = [link(filters, "all", "" if current else "current", **{key: ""}, page="")]
        out += [
            link(filters, v, "current" if v == current else "", **{key: v}, page="") for v in values
        ]
        return " ".join(out)

    projects, states = list(choices.get("projects", ())), list(choices.get("states", ()))
    return [
        '<nav class="filters" id="filters">',
        f'<div class="project-links">Project: {links("project", projects, current_project)}</div>',
        f'<div class="state-links">State: {links("state", states, current_state)}</div>',
        '<form method="get" action="./" id="search-form">',
        f'<input type="search" name="q" id="search" value="{e(filters.get("q", ""))}" '
        'placeholder="name, uuid, VIP, reason…"> ',
        f"{options('project', projects, current_project)} ",
        f"{options('state', states, current_state)} ",
        '<button type="submit">search</button> <a href="./">clear</a>',
        "</form>",
        "</nav>",
    ]


def _sets(data: Mapping[str, Any], now: float) -> list[str]:
    out = [
        '<section id="sets"><h2>Service-appliance-sets and devices</h2><div class="scroll">',
        '<table class="cards"><thead><tr><th>set</th><th>owned by</th><th>device</th>'
        "<th>address</th><th>role</th><th>reachable</th><th>last full sync</th><th>queue</th>"
        "<th>load balancers</th><th>last error</th></tr></thead><tbody>",
    ]
    for sas in data.get("sets", ()):
        devices = list(sas.get("devices", ())) or [{}]
        lbs = f"{sas.get('load_balancers', 0)} ({sas.get('in_error', 0)} in error)"
        for i, dev in enumerate(devices):
            first = i == 0
            name = dev.get("name")
            reachable = dev.get("reachable") if dev else None
            attrs = (
                f' class="device" data-set="{e(sas.get("name"))}" data-device="{e(name)}"'
                f' data-reachable="{e("unknown" if reachable is None else str(reachable).lower())}"'
                if dev
                else f' class="set-only" data-set="{e(sas.get("name"))}"'
            )
            owner = sas.get("ownership", "")
            if sas.get("owner"):
                owner = f"{owner}: {sas['owner']}"
            elif owner.startswith("this replica") and data.get("replica"):
                owner = f"{owner} ({data['replica']})"
            out.append(
                f"<tr{attrs}>"
                f'<td data-label="set">{e(sas.get("name")) if first else ""}</td>'
                f'<td data-label="owned by">{e(owner) if first else ""}</td>'
                f'<td data-label="device">{e(name or "—")}</td>'
                f'<td class="mono" data-label="address">{e(dev.get("address") or "")}</td>'
                f'<td data-label="role">{e(dev.get("role") or "—") if dev else ""}</td>'
                f"<td>{yes_no(reachable, 'reachable', 'unreachable') if dev else ''}</td>"
                f'<td data-label="last full sync">'
                f"{e(when(dev.get('last_sync'), now)) if dev else ''}</td>"
                f'<td data-label="queue">{e(dev.get("queue_depth", "")) if dev else ""}</td>'
                f'<td data-label="load balancers">{e(lbs) if first else ""}</td>'
                f'<td class="small">{e(dev.get("error") or "")}</td>'
                "</tr>"
            )
    if not data.get("sets"):
        out.append('<tr><td colspan="10">no F5 service-appliance-set known yet</td></tr>')
    out.append("</tbody></table></div></section>")
    return out


def _columns(*percent: int) -> str:
    """Fixed column widths: a 4,000-character name wraps in its column instead of taking the
    table's width from the others."""
    return "<colgroup>" + "".join(f'<col class="w{p}">' for p in percent) + "</colgroup>"


def _pager(filters: Mapping[str, str], page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    parts = [f"<span>page {page} of {pages}</span>"]
    if page > 1:
        parts.append(link(filters, "« previous", "prev", page=str(page - 1) if page > 2 else ""))
    if page < pages:
        parts.append(link(filters, "next »", "next", page=str(page + 1)))
    return f'<nav class="pager">{"".join(parts)}</nav>'


def applied_cell(lb: Mapping[str, Any], now: float, listed: bool = False) -> str:
    """The last change this replica applied for a load balancer: when, where, how many
    operations — and, ``listed`` (its own page), which."""
    change = lb.get("last_change") or {}
    if not change:
        return '<span class="small">none seen by this replica</span>'
    ops = list(change.get("operations", ()))
    count = int(change.get("count", len(ops)))
    text = f"{e(when(change.get('at'), now))} on {e(change.get('device'))}: {count} operation(s)"
    if not listed:
        return text
    items = "".join(f"<li><code>{e(o)}</code></li>" for o in ops)
    if count > len(ops):
        items += f"<li>… and {count - len(ops)} more</li>"
    return f'{text}<ul class="tree">{items}</ul>'


def _load_balancers(data: Mapping[str, Any], now: float, page: int) -> list[str]:
    filters = data.get("filters") or {}
    lbs = list(data.get("load_balancers", ()))
    total = data.get("load_balancers_total", len(lbs))
    pages = max(1, math.ceil(len(lbs) / PAGE_SIZE))
    page = min(page, pages)
    shown = lbs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pager = _pager(filters, page, pages)
    out = [
        '<section id="load-balancers">',
        f"<h2>Load balancers ({len(lbs)} of {total})</h2>",
        pager,
        '<table class="cards fixed">',
        _columns(22, 9, 7, 10, 10, 9, 18, 15),
        "<thead><tr><th>load balancer</th><th>project</th><th>set</th>"
        "<th>VIP</th><th>provisioning</th><th>operating</th><th>reason</th>"
        "<th>last change applied</th></tr></thead><tbody>",
    ]
    for lb in shown:
        project = lb.get("project") or lb.get("project_uuid") or ""
        source = ""
        if lb.get("source") and not str(lb["source"]).startswith("reconciled"):
            source = f'<div class="small">{e(lb["source"])}</div>'
        error = " lb-error" if urgency(lb) == 0 else ""
        target = href({}, lb=str(lb.get("uuid") or ""))
        out.append(
            f'<tr class="lb{error}" data-uuid="{e(lb.get("uuid"))}" data-name="{e(lb.get("name"))}"'
            f' data-provisioning="{e(known_status(lb.get("provisioning_status")) or "UNKNOWN")}"'
            f' data-operating="{e(known_status(lb.get("operating_status")) or "UNKNOWN")}">'
            f'<td class="name"><a href="{e(target)}">{e(lb.get("name"))}</a>'
            f'<span class="small mono uuid" title="{e(lb.get("uuid"))}">{e(lb.get("uuid"))}</span>'
            "</td>"
            f'<td data-label="project">'
            f"{link(filters, project, project=project, page='') if project else ''}</td>"
            f'<td data-label="set">{e(", ".join(lb.get("sets", ())))}</td>'
            f'<td class="mono" data-label="VIP">{e(lb.get("vip") or "—")}</td>'
            f'<td class="status">{badge(lb.get("provisioning_status"), filters)}</td>'
            f'<td class="status">{badge(lb.get("operating_status"), filters)}</td>'
            f'<td class="reason">{e(lb.get("reason") or "")}{source}</td>'
            f"<td>{applied_cell(lb, now)}</td>"
            "</tr>"
        )
    if not shown:
        out.append('<tr><td colspan="8">no load balancer matches</td></tr>')
    out.append(f"</tbody></table>{pager}</section>")
    return out


def plan_ops(entry: Mapping[str, Any], lb: str | None = None) -> list[str]:
    """A plan's operations as a table (only those for load balancer ``lb`` when given)."""
    kept = list(entry.get("operations", ()))
    if lb is not None:
        ops = [op for op in kept if lb in op.get("loadbalancers", ())]
    else:
        ops = kept[:OPERATIONS_SHOWN]
    if not ops:
        return ['<div class="small">no changes</div>']
    out = [
        '<div class="scroll"><table><thead><tr><th></th><th>kind</th><th>object</th>'
        "<th>changes</th><th>for</th></tr></thead><tbody>"
    ]
    for op in ops:
        action = str(op.get("action", ""))
        changes = "<br>".join(e(c) for c in op.get("changes", ()))
        if op.get("members"):
            changes += f"{'<br>' if changes else ''}with {e(op['members'])} member(s)"
        reason = f'<div class="small">{e(op["reason"])}</div>' if op.get("reason") else ""
        css = f"op op-{action}" if action in SYMBOLS else "op"
        out.append(
            f'<tr class="{css}"><td class="mono">{e(SYMBOLS.get(action, action))}'
            f"</td><td>{e(op.get('kind'))}</td><td class=mono>{e(op.get('path'))}{reason}</td>"
            f'<td class="small">{changes}</td><td class="small">{e(op.get("source") or "")}</td>'
            "</tr>"
        )
    extra = int(entry.get("operations_total", len(kept))) - len(ops)
    if extra > 0 and lb is None:
        out.append(
            f'<tr><td colspan="5">… and {extra} more operations (a load balancer\'s page '
            "lists all of its own)</td></tr>"
        )
    out.append("</tbody></table></div>")
    return out


def plan_summary(entry: Mapping[str, Any]) -> str:
    counts = entry.get("summary") or {}
    text = (
        f"{counts.get('create', 0)} to create, {counts.get('update', 0)} to update, "
        f"{counts.get('delete', 0)} to delete"
    )
    if entry.get("error"):
        text += f" — device not read: {entry['error']}"
    if entry.get("guard"):
        text += f" — refused: {entry['guard']}"
    return text


def _plans(data: Mapping[str, Any], now: float) -> list[str]:
    out = ['<section id="plans"><h2>Last plan per device</h2>']
    plans = list(data.get("plans", ()))
    if not plans:
        out.append('<div class="small">no reconcile yet</div>')
    for plan in plans:
        last = plan.get("last") or {}
        changed = plan.get("last_with_changes")
        scope = "whole set" if last.get("key") == "*" else f"load balancer {last.get('key')}"
        out.append(
            f'<details class="plan" id="plan-{e(plan.get("device"))}" '
            f'data-device="{e(plan.get("device"))}">'
            f"<summary><b>{e(plan.get('device'))}</b> "
            f'<span class="mono small">{e(plan.get("address"))}</span> — last plan '
            f"{e(when(last.get('at'), now))} ({e(scope)}): {e(plan_summary(last))}</summary>"
        )
        if changed and changed is not last and changed.get("at") != last.get("at"):
            out.append(
                f'<div class="small">last plan with changes: '
                f"{e(when(changed.get('at'), now))}: {e(plan_summary(changed))}</div>"
            )
            out += plan_ops(changed)
        else:
            out += plan_ops(last)
        out.append("</details>")
    out.append("</section>")
    return out


def events_table(
    events: list[Mapping[str, Any]], now: float, shown: int | None = None
) -> list[str]:
    """The events, newest first (the first ``shown`` of them when given)."""
    heading = f"Recent events ({len(events)})"
    if shown is not None and len(events) > shown:
        heading = f"Recent events (the last {shown} of {len(events)}; all in status.json)"
        events = events[:shown]
    out = [
        f'<section id="events"><h2>{heading}</h2>',
        f'<table class="cards fixed">{_columns(22, 12, 66)}<thead><tr><th>when</th><th>what</th>'
        "<th>event</th></tr></thead><tbody>",
    ]
    for event in events:
        level = str(event.get("level") or "info")
        css = f"event lvl-{level}" if level in ("info", "warning", "error") else "event"
        out.append(
            f'<tr class="{css}" data-kind="{e(event.get("kind"))}">'
            f'<td class="small">{e(when(event.get("at"), now))}</td>'
            f"<td>{e(event.get('kind'))}</td><td>{e(event.get('message'))}</td></tr>"
        )
    if not events:
        out.append('<tr><td colspan="3">none</td></tr>')
    out.append("</tbody></table></section>")
    return out


def render(data: Mapping[str, Any], now: float | None = None, page: int = 1) -> str:
    """The page, from ``select``'s output (or the raw status: no filter then); ``page``: which
    ``PAGE_SIZE`` load balancers (in error first)."""
    if "filters" not in data:
        data = select(data)
    now = time.time() if now is None else now
    return document(
        "contrail-f5-reconciler — status",
        header(data, now),
        [
            *_filters(data),
            *_load_balancers(data, now, page),
            *_sets(data, now),
            *events_table(list(data.get("events", ())), now, EVENTS_SHOWN),
            *_plans(data, now),
        ],
    )
