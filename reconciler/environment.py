"""Which ``CONTRAIL_F5_*`` environment variables are settings, and which are Kubernetes'.

The kubelet injects, for every Service of the pod's namespace (unless the pod says
``enableServiceLinks: false``), variables named after the Service: upper case, ``-`` as
``_`` (pkg/kubelet/envvars): ``<SVC>_SERVICE_HOST``, ``<SVC>_SERVICE_PORT``,
``<SVC>_SERVICE_PORT_<PORT NAME>`` and the Docker-links family ``<SVC>_PORT``
(``tcp://<ip>:<port>``), ``<SVC>_PORT_<n>_<PROTO>`` and its ``_PROTO``, ``_PORT``,
``_ADDR``. A Service named ``contrail-f5-…`` therefore produces variables that start with
our prefix; they are not settings and must not stop the daemon. Any other unknown variable
still does, named as it was set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

ENV_PREFIX = "CONTRAIL_F5_"

_PROTOCOLS = "TCP|UDP|SCTP"
#: Names that only the kubelet makes (no setting ends like this).
_LINK_NAME = re.compile(
    rf"(_SERVICE_HOST|_SERVICE_PORT(_[A-Z0-9_]+)?|_PORT_\d+_({_PROTOCOLS})(_PROTO|_PORT|_ADDR)?)$"
)
#: ``<SVC>_PORT``: a setting may end in ``_PORT`` too (``rabbit_port``), so the value decides.
_LINK_URL = re.compile(rf"({_PROTOCOLS.lower()})://\S+:\d+")


def is_service_link(name: str, value: str) -> bool:
    """Is this variable one the kubelet injected for a Service (not one of our settings)?"""
    if _LINK_NAME.search(name):
        return True
    return name.endswith("_PORT") and _LINK_URL.fullmatch(value.strip()) is not None


def settings_from(environ: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """``(variable, key, value)`` for each ``CONTRAIL_F5_<KEY>`` that is meant as a setting."""
    for name, value in environ.items():
        if name.startswith(ENV_PREFIX) and not is_service_link(name, value):
            yield name, name[len(ENV_PREFIX) :].lower(), value
