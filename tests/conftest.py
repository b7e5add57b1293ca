"""Process-wide test setup.

requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override ``session.verify = False``
(psf/requests#3829). f5-sdk turns verification off on its session, so on a machine whose
environment names a CA bundle, f5-sdk would reject the emulator's self-signed certificate
— as it would a real BIG-IP's. The tests drop those variables; the product handles the same
quirk itself (its device session does not trust the environment for TLS settings).
"""

from __future__ import annotations

import os

for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_var, None)
