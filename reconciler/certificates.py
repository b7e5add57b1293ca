"""Where TERMINATED_HTTPS listeners get their certificates and keys from.

A listener names TLS containers (``default_tls_container``, ``sni_containers``): a Barbican
container reference for Neutron, ``<namespace>__<secret>`` for kube-manager's Ingresses.
A :class:`CertificateSource` turns a container name into PEM bytes. The first source is a
directory holding ``<container>.crt`` and ``<container>.key``; Barbican or Kubernetes
secrets can follow behind the same interface. A missing or unreadable container is a reason
(shown as that listener's ERROR), never an exception out of a pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from reconciler.model.certificates import Certificate, container_name


class CertificateMissing(LookupError):
    """The source has no usable certificate for a container; the message says why."""


class CertificateSource(Protocol):
    def load(self, container: str) -> Certificate:
        """The container's certificate and key, or CertificateMissing with the reason."""
        ...


class NoSource:
    """No source configured: every TERMINATED_HTTPS listener says so."""

    def load(self, container: str) -> Certificate:
        raise CertificateMissing(
            "no certificate source is configured (set tls_certificate_dir in the "
            "reconciler's config)"
        )


class DirectorySource:
    """``<dir>/<container>.crt`` and ``<dir>/<container>.key``, PEM."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def load(self, container: str) -> Certificate:
        name = container_name(container)
        if name is None:
            raise CertificateMissing(f"{container!r} is not a usable TLS container name")
        files = [self.directory / f"{name}.crt", self.directory / f"{name}.key"]
        try:
            cert, key = (path.read_bytes() for path in files)
        except FileNotFoundError as exc:
            raise CertificateMissing(
                f"TLS container {container!r}: {Path(exc.filename).name} not found in "
                f"{self.directory}"
            ) from None
        except OSError as exc:
            raise CertificateMissing(f"TLS container {container!r}: {exc.strerror}") from None
        if b"-----BEGIN" not in cert or b"-----BEGIN" not in key:
            raise CertificateMissing(f"TLS container {container!r}: the files are not PEM")
        return Certificate(cert, key)


def source_from(directory: str) -> CertificateSource:
    return DirectorySource(directory) if directory else NoSource()


def load_all(source: CertificateSource, containers: Iterable[str]) -> dict[str, Certificate | str]:
    """Container → its certificate, or the reason it cannot be had (for translate)."""
    found: dict[str, Certificate | str] = {}
    for container in sorted(set(containers)):
        try:
            found[container] = source.load(container)
        except CertificateMissing as exc:
            found[container] = str(exc)
    return found
