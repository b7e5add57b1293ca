"""What both status pages (the overview and a load balancer's own) are made of: escaping
that also drops the characters that would make a name lie (right-to-left overrides and other
controls), status badges whose CSS class comes only from a fixed set, links that keep the
filters, and the document around a page.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from reconciler.daemon.pagestyle import REFRESH_SECONDS, SCRIPT, STYLE

# C0/C1 controls (but tab and newline), and every bidirectional formatting character: a name
# with U+202E "gnp.exe" would display as "exe.png".
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)

#: The statuses Contrail's LBaaS v2 objects (and the devices' members) take; any other value
#: shows as UNKNOWN, so a value cannot choose its own CSS class.
STATUSES = frozenset(
    {
        "ACTIVE",
        "PENDING_CREATE",
        "PENDING_UPDATE",
        "PENDING_DELETE",
        "ERROR",
        "ONLINE",
        "OFFLINE",
        "DEGRADED",
        "NO_MONITOR",
        "DISABLED",
        "UP",
        "DOWN",
    }
)


def clean(value: Any) -> str:
    """``value`` as text, without controls or bidirectional overrides."""
    return _HIDDEN.sub("", "" if value is None else str(value))


def e(value: Any) -> str:
    """``value`` cleaned and HTML-escaped (attributes too)."""
    return html.escape(clean(value), quote=True)


def known_status(value: Any) -> str | None:
    """The status upper-cased when it is one of ``STATUSES``; None otherwise."""
    text = str(value or "").strip().upper()
    return text if text in STATUSES else None


def when(ts: Any, now: float) -> str:
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


def href(filters: Mapping[str, str], **change: str) -> str:
    query = {k: v for k, v in {**filters, **change}.items() if v}
    return "./" + ("?" + urlencode(query) if query else "")


def link(filters: Mapping[str, str], text: str, cls: str = "", **change: str) -> str:
    klass = f' class="{e(cls)}"' if cls else ""
    return f'<a href="{e(href(filters, **change))}"{klass}>{e(text)}</a>'


def badge(value: Any, filters: Mapping[str, str] | None = None) -> str:
    """A status as a badge (a filter link when ``filters`` is given); an unknown value is
    shown as UNKNOWN with the plain badge style."""
    if not value:
        return '<span class="badge">—</span>'
    status = known_status(value)
    if status is None:
        return '<span class="badge s-unknown">UNKNOWN</span>'
    cls = f"badge s-{status.lower()}"
    if filters is None:
        return f'<span class="{cls}">{status}</span>'
    return link(filters, status, cls, state=status, page="")


def yes_no(value: Any, yes: str, no: str, unknown: str = "unknown") -> str:
    if value is None:
        return f'<span class="badge">{e(unknown)}</span>'
    return (
        f'<span class="badge s-online">{e(yes)}</span>'
        if value
        else f'<span class="badge s-error">{e(no)}</span>'
    )


def document(title: str, header: list[str], body: list[str]) -> str:
    """A whole page: the live part (header and main) is what the script swaps on refresh."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<noscript><meta http-equiv="refresh" content="{REFRESH_SECONDS}"></noscript>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        '<div id="live">',
        *header,
        "<main>",
        *body,
        "</main></div>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def refresh_control() -> str:
    return (
        f'<label id="refresh"><input type="checkbox" id="pause"> pause refreshing '
        f"(every {REFRESH_SECONDS} s)</label>"
    )
