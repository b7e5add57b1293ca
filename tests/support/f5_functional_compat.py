"""A pytest plugin that lets F5's f5-sdk functional tests (written for pytest 2/3) collect
under the pytest this project pins.

Those tests read options at import time through ``pytest.config`` (removed in pytest 5), e.g.
``pytest.mark.skipif(LooseVersion(pytest.config.getoption('--release')) < ...)``. Loaded with
``-p tests.support.f5_functional_compat`` next to f5-sdk's own plugin
(``f5sdk_plugins.fixtures``), it puts the running config back where they look for it.
Nothing of F5's is copied here.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    pytest.config = config  # type: ignore[attr-defined]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Python 2's ``BaseException.message``, which the tests read (``ex.value.message``)
    from f5-sdk's and requests' exceptions; on Python 3 it is ``str(exception)``."""
    import requests.exceptions
    from f5.sdk_exception import F5SDKError

    classes: tuple[type[BaseException], ...] = (F5SDKError, requests.exceptions.RequestException)
    for cls in classes:
        if not hasattr(cls, "message"):
            attribute = "message"  # a name, not an attribute access: mypy knows no such field
            setattr(cls, attribute, property(lambda self: str(self.args[0]) if self.args else ""))
