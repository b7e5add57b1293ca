"""A TLS container's certificate and key as a value, and how a container reference becomes
a name on the device (pure; ``reconciler.certificates`` reads them from their source)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

#: What a container name may look like to become a file name and a BIG-IP object name.
CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,180}$")


@dataclass(frozen=True)
class Certificate:
    cert: bytes = field(repr=False)
    key: bytes = field(repr=False)  # never logged, rendered or put in an error

    @staticmethod
    def checksum(data: bytes) -> str:
        """BIG-IP's spelling of a crypto file's checksum: ``SHA1:<size>:<hex>``."""
        return f"SHA1:{len(data)}:{hashlib.sha1(data).hexdigest()}"  # noqa: S324 (device's)


def container_name(container: str) -> str | None:
    """The last path element of a container reference (Barbican refs are URLs), if usable."""
    name = str(container or "").rstrip("/").rsplit("/", 1)[-1]
    return name if CONTAINER_NAME.match(name) else None
