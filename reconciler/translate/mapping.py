"""docs/MAPPING.md's tables as data, and the checks a Contrail value must pass (pure).

translate.py walks the Contrail objects; what each protocol, algorithm, persistence and
monitor type becomes on the BIG-IP is read from here, so a reader comparing the code with
docs/MAPPING.md finds every row in one place.
"""

from __future__ import annotations

import re
from typing import Any

PROTOCOLS = ("HTTP", "HTTPS", "TCP", "UDP", "TERMINATED_HTTPS")
PROFILES = {
    "TCP": ("/Common/fastL4",),
    "HTTPS": ("/Common/fastL4",),  # pass-through: the device never sees inside TLS
    "HTTP": ("/Common/http", "/Common/oneconnect"),
    "TERMINATED_HTTPS": ("/Common/http", "/Common/oneconnect"),  # + client-ssl profiles
    "UDP": ("/Common/udp",),
}
METHODS = {
    "ROUND_ROBIN": ("round-robin", "ratio-member"),
    "LEAST_CONNECTIONS": ("least-connections-member", "ratio-least-connections-member"),
    "SOURCE_IP": ("least-connections-node", "least-connections-node"),
}
MONITOR_KINDS = {
    "PING": "ltm/monitor/gateway-icmp",
    "TCP": "ltm/monitor/tcp",
    "HTTP": "ltm/monitor/http",
    "HTTPS": "ltm/monitor/https",
}
PERSISTENCE = {"SOURCE_IP": "/Common/source_addr", "HTTP_COOKIE": "/Common/cookie"}
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
# RFC 6265 cookie-name token: it is pasted into an iRule, so nothing else may pass.
COOKIE_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
URL_PATH = re.compile(r"^/[^\s\"\\]*$")
APP_COOKIE_RULE = """when HTTP_REQUEST {{
  if {{ [HTTP::cookie exists "{cookie}"] }} {{
    persist uie [HTTP::cookie "{cookie}"] 3600
  }}
}}
when HTTP_RESPONSE {{
  if {{ [HTTP::cookie exists "{cookie}"] }} {{
    persist add uie [HTTP::cookie "{cookie}"] 3600
  }}
}}"""


def as_int(value: Any, default: int | None = None) -> int | None:
    """An integer from what Contrail holds (kube-manager writes ports as strings), or None."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def port_number(value: Any) -> int | None:
    """A TCP/UDP port (1-65535), or None."""
    port = as_int(value)
    return port if port is not None and 0 < port < 65536 else None


def expected_codes_regex(text: str) -> str | None:
    """``200`` → ``HTTP/1.(0|1) 200``; ``200,202`` → ``(200|202)``; ``200-204`` → all five."""
    codes: list[int] = []
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return None
        first, last = int(low), int(high or low)
        if not 100 <= first <= last <= 599:
            return None
        codes.extend(range(first, last + 1))
    unique = sorted(set(codes))
    if not unique:
        return None
    body = str(unique[0]) if len(unique) == 1 else "(" + "|".join(map(str, unique)) + ")"
    return f"HTTP/1.(0|1) {body}"
