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

import html
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from reconciler.model.values import thaw
from reconciler.plan.model import DevicePlan, Operation

EVENTS_KEPT = 200  # the ring buffer of recent events
OPERATIONS_KEPT = 300  # per device plan: a first sync may plan thousands
LOAD_BALANCERS_SHOWN = 1000  # rows on the page (the JSON has them all); filter for the rest
REFRESH_SECONDS = 5
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


def select(data: Mapping[str, Any], project: str = "", state: str = "") -> dict[str, Any]:
    """The data narrowed to one project and/or one state (provisioning or operating status
    of a load balancer); ``filters`` says which, ``choices`` lists what there is to choose."""
    lbs = list(data.get("load_balancers", ()))
    projects = sorted({str(lb.get("project") or lb.get("project_uuid") or "") for lb in lbs})
    states = sorted(
        {
            str(lb.get(k))
            for lb in lbs
            for k in ("provisioning_status", "operating_status")
            if lb.get(k)
        }
    )
    shown = [
        lb
        for lb in lbs
        if (not project or _matches_project(lb, project))
        and (not state or _matches_state(lb, state))
    ]
    events = list(data.get("events", ()))
    if project:  # the events of that project's load balancers
        events = [e for e in events if _matches_project(e, project)]
    if state:  # the events of the load balancers shown
        uuids = {lb.get("uuid") for lb in shown}
        events = [e for e in events if e.get("lb") in uuids]
    return {
        **data,
        "load_balancers": shown,
        "load_balancers_total": len(lbs),
        "events": events,
        "filters": {"project": project, "state": state},
        "choices": {"projects": [p for p in projects if p], "states": states},
    }


# -- rendering --------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(ts: Any, now: float) -> str:
    if not isinstance(ts, int | float) or not ts:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
    ago = max(0.0, now - ts)
    if ago < 120:
        rel = f"{ago:.0f} s ago"
    elif ago < 7200:
        rel = f"{ago / 60:.0f} min ago"
    else:
        rel = f"{ago / 3600:.1f} h ago"
    return f"{stamp} ({rel})"


def _link(filters: Mapping[str, str], text: str, cls: str = "", **change: str) -> str:
    query = {k: v for k, v in {**filters, **change}.items() if v}
    href = "./" + ("?" + urlencode(query) if query else "")
    klass = f' class="{_e(cls)}"' if cls else ""
    return f'<a href="{_e(href)}"{klass}>{_e(text)}</a>'


def _badge(value: Any, filters: Mapping[str, str]) -> str:
    if not value:
        return '<span class="badge">—</span>'
    text = str(value)
    return _link(filters, text, f"badge s-{text.lower()}", state=text)


def _yes_no(value: Any, yes: str, no: str, unknown: str = "unknown") -> str:
    if value is None:
        return f'<span class="badge">{_e(unknown)}</span>'
    return (
        f'<span class="badge s-online">{_e(yes)}</span>'
        if value
        else f'<span class="badge s-error">{_e(no)}</span>'
    )


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 18px}
header h1{font-size:18px;margin:0 0 4px}
header a{color:#9cc3ff}
main{padding:6px 18px 24px}
h2{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}
code,.mono{font-family:ui-monospace,monospace;font-size:12px}
.small{color:#5b6475;font-size:12px}
.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#e3e6ea;color:#1d2330;
 text-decoration:none;font-size:12px}
.s-active,.s-online{background:#d5f2dc;color:#14532d}
.s-error,.s-offline{background:#fbd5d5;color:#7f1d1d}
.s-degraded,.s-pending_create,.s-pending_update{background:#fdecc8;color:#713f12}
.filters{background:#fff;border:1px solid #e3e6ea;padding:6px 10px;margin-top:10px}
.filters a{margin-right:4px}
.filters .current{font-weight:700}
.lvl-error td{background:#fff3f3}
.lvl-warning td{background:#fffaf0}
.op-create{color:#166534}.op-update{color:#854d0e}.op-delete{color:#991b1b}
details{background:#fff;border:1px solid #e3e6ea;margin:4px 0;padding:4px 8px}
summary{cursor:pointer}
"""


def _header(data: Mapping[str, Any], now: float) -> list[str]:
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
    return [
        "<header>",
        "<h1>contrail-f5-reconciler</h1>",
        '<div class="small" style="color:#c9d1e0">',
        f'replica <b id="replica">{_e(data.get("replica") or "?")}</b> · ',
        f'<span id="readiness">{_e(state)}</span> · ',
        f"Contrail {'synced' if data.get('contrail_synced') else 'not synced yet'}, "
        f"queue {_e(data.get('contrail_queue_depth', 0))} · ",
        f"as of {_e(_when(data.get('generated_at'), now))} · refreshes every "
        f"{REFRESH_SECONDS} s · ",
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
            items.append(f'<option value="{_e(value)}"{selected}>{_e(value)}</option>')
        return f'<select name="{name}" id="filter-{name}">{"".join(items)}</select>'

    def links(key: str, values: list[str], current: str) -> str:
        out = [_link(filters, "all", "" if current else "current", **{key: ""})]
        out += [_link(filters, v, "current" if v == current else "", **{key: v}) for v in values]
        return " ".join(out)

    projects, states = list(choices.get("projects", ())), list(choices.get("states", ()))
    return [
        '<nav class="filters" id="filters">',
        f'<div class="project-links">Project: {links("project", projects, current_project)}</div>',
        f'<div class="state-links">State: {links("state", states, current_state)}</div>',
        '<form method="get" action="./">',
        f"{options('project', projects, current_project)} ",
        f"{options('state', states, current_state)} ",
        '<button type="submit">filter</button> <a href="./">clear</a>',
        "</form>",
        "</nav>",
    ]


def _sets(data: Mapping[str, Any], now: float) -> list[str]:
    out = [
        '<section id="sets"><h2>Service-appliance-sets and devices</h2>',
        "<table><thead><tr><th>set</th><th>owned by</th><th>device</th><th>address</th>"
        "<th>role</th><th>reachable</th><th>last full sync</th><th>queue</th>"
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
                f' class="device" data-set="{_e(sas.get("name"))}" data-device="{_e(name)}"'
                f' data-reachable="{_e("unknown" if reachable is None else str(reachable).lower())}"'
                if dev
                else f' class="set-only" data-set="{_e(sas.get("name"))}"'
            )
            owner = sas.get("ownership", "")
            if sas.get("owner"):
                owner = f"{owner}: {sas['owner']}"
            elif owner.startswith("this replica") and data.get("replica"):
                owner = f"{owner} ({data['replica']})"
            out.append(
                f"<tr{attrs}>"
                f"<td>{_e(sas.get('name')) if first else ''}</td>"
                f"<td>{_e(owner) if first else ''}</td>"
                f"<td>{_e(name or '—')}</td>"
                f"<td class=mono>{_e(dev.get('address') or '')}</td>"
                f"<td>{_e(dev.get('role') or '—') if dev else ''}</td>"
                f"<td>{_yes_no(reachable, 'reachable', 'unreachable') if dev else ''}</td>"
                f"<td>{_e(_when(dev.get('last_sync'), now)) if dev else ''}</td>"
                f"<td>{_e(dev.get('queue_depth', '')) if dev else ''}</td>"
                f"<td>{_e(lbs) if first else ''}</td>"
                f'<td class="small">{_e(dev.get("error") or "")}</td>'
                "</tr>"
            )
    if not data.get("sets"):
        out.append('<tr><td colspan="10">no F5 service-appliance-set known yet</td></tr>')
    out.append("</tbody></table></section>")
    return out


def _load_balancers(data: Mapping[str, Any], now: float) -> list[str]:
    filters = data.get("filters") or {}
    lbs = list(data.get("load_balancers", ()))
    total = data.get("load_balancers_total", len(lbs))
    shown = lbs[:LOAD_BALANCERS_SHOWN]
    more = (
        f" — the first {len(shown)}; narrow with a filter, or see status.json"
        if len(lbs) > len(shown)
        else ""
    )
    out = [
        '<section id="load-balancers">',
        f"<h2>Load balancers ({len(lbs)} of {total}){_e(more)}</h2>",
        "<table><thead><tr><th>load balancer</th><th>project</th><th>set</th><th>VIP</th>"
        "<th>provisioning</th><th>operating</th><th>reason</th><th>last change applied</th>"
        "</tr></thead><tbody>",
    ]
    for lb in shown:
        change = lb.get("last_change") or {}
        if change:
            ops = list(change.get("operations", ()))
            count = int(change.get("count", len(ops)))
            listed = "<br>".join(f"<code>{_e(o)}</code>" for o in ops)
            if count > len(ops):
                listed += f"<br>… and {count - len(ops)} more"
            applied = (
                f"{_e(_when(change.get('at'), now))} on {_e(change.get('device'))}"
                f'<details class="small"><summary>{count} operation(s)</summary>{listed}'
                "</details>"
            )
        else:
            applied = '<span class="small">none seen by this replica</span>'
        project = lb.get("project") or lb.get("project_uuid") or ""
        source = ""
        if lb.get("source") and not str(lb["source"]).startswith("reconciled"):
            source = f'<div class="small">{_e(lb["source"])}</div>'
        out.append(
            f'<tr class="lb" data-uuid="{_e(lb.get("uuid"))}" data-name="{_e(lb.get("name"))}"'
            f' data-provisioning="{_e(lb.get("provisioning_status"))}"'
            f' data-operating="{_e(lb.get("operating_status"))}">'
            f'<td>{_e(lb.get("name"))}<div class="small mono">{_e(lb.get("uuid"))}</div></td>'
            f"<td>{_link(filters, project, project=project) if project else ''}</td>"
            f"<td>{_e(', '.join(lb.get('sets', ())))}</td>"
            f'<td class="mono">{_e(lb.get("vip") or "—")}</td>'
            f"<td>{_badge(lb.get('provisioning_status'), filters)}</td>"
            f"<td>{_badge(lb.get('operating_status'), filters)}</td>"
            f'<td class="reason">{_e(lb.get("reason") or "")}{source}</td>'
            f"<td>{applied}</td>"
            "</tr>"
        )
    if not shown:
        out.append('<tr><td colspan="8">no load balancer matches</td></tr>')
    out.append("</tbody></table></section>")
    return out


def _plan_ops(entry: Mapping[str, Any]) -> list[str]:
    ops = list(entry.get("operations", ()))
    if not ops:
        return ['<div class="small">no changes</div>']
    out = [
        "<table><thead><tr><th></th><th>kind</th><th>object</th><th>changes</th>"
        "<th>for</th></tr></thead><tbody>"
    ]
    for op in ops:
        action = str(op.get("action", ""))
        changes = "<br>".join(_e(c) for c in op.get("changes", ()))
        if op.get("members"):
            changes += f"{'<br>' if changes else ''}with {_e(op['members'])} member(s)"
        reason = f'<div class="small">{_e(op["reason"])}</div>' if op.get("reason") else ""
        out.append(
            f'<tr class="op op-{_e(action)}"><td class="mono">{_e(SYMBOLS.get(action, action))}'
            f"</td><td>{_e(op.get('kind'))}</td><td class=mono>{_e(op.get('path'))}{reason}</td>"
            f'<td class="small">{changes}</td><td class="small">{_e(op.get("source") or "")}</td>'
            "</tr>"
        )
    extra = int(entry.get("operations_total", len(ops))) - len(ops)
    if extra > 0:
        out.append(f'<tr><td colspan="5">… and {extra} more operations</td></tr>')
    out.append("</tbody></table>")
    return out


def _summary(entry: Mapping[str, Any]) -> str:
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
            f'<details class="plan" data-device="{_e(plan.get("device"))}" open>'
            f"<summary><b>{_e(plan.get('device'))}</b> "
            f'<span class="mono small">{_e(plan.get("address"))}</span> — last plan '
            f"{_e(_when(last.get('at'), now))} ({_e(scope)}): {_e(_summary(last))}</summary>"
        )
        if changed and changed is not last and changed.get("at") != last.get("at"):
            out.append(
                f'<div class="small">last plan with changes: '
                f"{_e(_when(changed.get('at'), now))}: {_e(_summary(changed))}</div>"
            )
            out += _plan_ops(changed)
        else:
            out += _plan_ops(last)
        out.append("</details>")
    out.append("</section>")
    return out


def _events(data: Mapping[str, Any], now: float) -> list[str]:
    events = list(data.get("events", ()))
    out = [
        f'<section id="events"><h2>Recent events ({len(events)})</h2>',
        "<table><thead><tr><th>when</th><th>what</th><th>event</th></tr></thead><tbody>",
    ]
    for event in events:
        level = str(event.get("level") or "info")
        out.append(
            f'<tr class="event lvl-{_e(level)}" data-kind="{_e(event.get("kind"))}">'
            f'<td class="small">{_e(_when(event.get("at"), now))}</td>'
            f"<td>{_e(event.get('kind'))}</td><td>{_e(event.get('message'))}</td></tr>"
        )
    if not events:
        out.append('<tr><td colspan="3">none</td></tr>')
    out.append("</tbody></table></section>")
    return out


def render(data: Mapping[str, Any], now: float | None = None) -> str:
    """The page, from ``select``'s output (or the raw status: no filter then)."""
    if "filters" not in data:
        data = select(data)
    now = time.time() if now is None else now
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>contrail-f5-reconciler — status</title>",
        f"<style>{STYLE}</style></head><body>",
        *_header(data, now),
        "<main>",
        *_filters(data),
        *_sets(data, now),
        *_load_balancers(data, now),
        *_events(data, now),
        *_plans(data, now),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"
