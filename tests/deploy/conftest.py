"""The image test uses the same emulators, broker vhost and topology as the daemon's."""

from tests.daemon.conftest import broker, contrail, vhost  # noqa: F401
from tests.integration.conftest import bigip, bigip_version, topo, vnc  # noqa: F401
