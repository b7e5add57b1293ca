"""Software we did not write, used as the judge of the emulators: F5's f5-sdk functional
tests (F5Networks/f5-common-python) and F5's declarative reconciler (f5devcentral/f5-cccl).

Neither ships in a package registry in a usable form — f5-sdk's sdist leaves its functional
tests out, and f5-cccl is not on PyPI — and neither may be copied into this repository. So the
tests take them from a git snapshot on the machine, pinned to a ref, and export that ref into
a cache directory outside the checkout:

- ``$UPSTREAM_MIRROR/<owner>+<name>/repo`` (a bare git directory), where ``UPSTREAM_MIRROR``
  defaults to ``/work/.mirror`` (where this workplace's ``fetch`` puts snapshots); or
- ``$UPSTREAM_<NAME>_SRC`` pointing at a plain checkout already at the right ref
  (``UPSTREAM_F5_COMMON_PYTHON_SRC``, ``UPSTREAM_F5_CCCL_SRC``).

A test that finds neither skips, saying which repository and ref it needs.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Upstream:
    owner: str
    name: str
    ref: str

    @property
    def env_var(self) -> str:
        return "UPSTREAM_" + self.name.upper().replace("-", "_") + "_SRC"

    def describe(self) -> str:
        return (
            f"{self.owner}/{self.name} at {self.ref}: put a git snapshot at "
            f"{_mirror_root()}/{self.owner}+{self.name}/repo or a checkout in ${self.env_var}"
        )


F5_COMMON_PYTHON = Upstream("F5Networks", "f5-common-python", "v3.0.21")
# f5-cccl has no release tag matching f5-sdk 3.0.21's era on every snapshot; pin the commit.
F5_CCCL = Upstream("f5devcentral", "f5-cccl", "cea3121")


def _mirror_root() -> Path:
    return Path(os.environ.get("UPSTREAM_MIRROR", "/work/.mirror"))


def _cache_root() -> Path:
    return Path(os.environ.get("UPSTREAM_CACHE", Path(tempfile.gettempdir()) / "upstream-src"))


def checkout(upstream: Upstream) -> Path | None:
    """A directory holding ``upstream`` at its pinned ref, or None when none can be had."""
    explicit = os.environ.get(upstream.env_var)
    if explicit:
        path = Path(explicit)
        return path if path.is_dir() else None
    git_dir = _mirror_root() / f"{upstream.owner}+{upstream.name}" / "repo"
    if not git_dir.is_dir():
        return None
    target = _cache_root() / f"{upstream.name}-{upstream.ref}"
    done = target / ".exported"
    if done.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", upstream.ref],
        check=False,
        capture_output=True,
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    done.touch()
    return target
