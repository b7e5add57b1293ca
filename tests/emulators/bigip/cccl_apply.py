"""One f5-cccl pass against a BIG-IP, as k8s-bigip-ctlr makes it (``apply_ltm_config``).

f5-cccl is not a package we install: ``test_cccl.py`` runs this script in a subprocess with
the pinned checkout on ``PYTHONPATH``::

    python cccl_apply.py HOST PORT PARTITION CONFIG.json

and reads one JSON line from stdout: ``{"remaining": N, "problems": [...]}``, where N is the
number of tasks f5-cccl could not complete and ``problems`` its log records at WARNING and
above (a device answer it did not expect: a refused write, a resource it could not parse).

One thing is adapted, and it is not f5-cccl's code: its LTM schema writes references as
``#definitions/x``, which the jsonschema 3 it pins resolves as the JSON pointer
``#/definitions/x`` and jsonschema 4 (ours) refuses. The schema is handed to f5-cccl through
its own ``schema_path`` parameter, with those references spelled ``#/definitions/x``: the
same schema, the same defaults and checks.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

import f5_cccl
from f5.bigip import ManagementRoot
from f5_cccl.api import F5CloudServiceManager, ltm_api_schema

USER_AGENT = "k8s-bigip-ctlr-emulator-test"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def main(argv: list[str]) -> int:
    host, port, partition, config_path = argv[1:5]
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    logging.getLogger().setLevel(logging.WARNING)
    with open(config_path) as handle:
        config = json.load(handle)
    schema = (Path(f5_cccl.__file__).parent / ltm_api_schema).read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as fixed:
        fixed.write(schema.replace('"#definitions/', '"#/definitions/'))
        fixed.flush()
        mgmt = ManagementRoot(host, "admin", "admin", port=int(port))
        manager = F5CloudServiceManager(
            mgmt, partition, user_agent=USER_AGENT, schema_path=fixed.name
        )
        remaining = manager.apply_ltm_config(config)
    print(json.dumps({"remaining": remaining, "problems": collect.records}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
