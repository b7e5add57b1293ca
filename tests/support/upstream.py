"""Software and data we did not write, used as the judges of the emulators: F5's f5-sdk
functional tests (F5Networks/f5-common-python), F5's declarative reconciler
(f5devcentral/f5-cccl) and the device responses F5's Ansible modules keep as unit-test
fixtures (F5Networks/f5-ansible).

None of them ships in a package registry in a usable form — f5-sdk's sdist leaves its
functional tests out, f5-cccl is not on PyPI, the Ansible fixtures are test data — and none
may be copied into this repository. So each is pinned here to a commit, and ``make upstream``
(``scripts/upstream.py``) exports that commit from its public git repository (or from a local
mirror, ``UPSTREAM_MIRROR``) into a per-user cache outside the checkout:
``$UPSTREAM_CACHE``, by default ``~/.cache/contrail-f5-reconciler/upstream``, one directory
per repository and commit. ``make test`` tries the same first and goes on without it when the
machine is offline.

A test that finds its judge missing from the cache skips, naming the command that fetches it.
``$UPSTREAM_<NAME>_SRC`` (``UPSTREAM_F5_COMMON_PYTHON_SRC``, ``UPSTREAM_F5_CCCL_SRC``,
``UPSTREAM_F5_ANSIBLE_SRC``) may instead point at a plain checkout already at the pinned commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FETCH_COMMAND = "make upstream"
DONE_MARKER = ".exported"


@dataclass(frozen=True)
class Upstream:
    owner: str
    name: str
    ref: str  # what people call it (a tag, a short commit)
    commit: str  # the full commit the ref names, which a clone is checked against

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}.git"

    @property
    def env_var(self) -> str:
        return "UPSTREAM_" + self.name.upper().replace("-", "_") + "_SRC"

    @property
    def directory(self) -> Path:
        """Where ``make upstream`` puts this repository's tree at the pinned commit."""
        return cache_root() / f"{self.name}-{self.ref}"

    def describe(self) -> str:
        return (
            f"{self.owner}/{self.name} at {self.ref} is not in {cache_root()}: run "
            f"`{FETCH_COMMAND}` (offline: `UPSTREAM_MIRROR=<dir of <owner>+<name>/repo bare "
            f"git mirrors> {FETCH_COMMAND}`), or point ${self.env_var} at a checkout"
        )


F5_COMMON_PYTHON = Upstream(
    "F5Networks", "f5-common-python", "v3.0.21", "7e67d5acd757a60e3d5f8c88c534bd72208f5494"
)
# f5-cccl has no release tag matching f5-sdk 3.0.21's era; pin the commit.
F5_CCCL = Upstream("f5devcentral", "f5-cccl", "cea3121", "cea31215b187cd4d88365dc5edb1aa181d9f1221")
# The devel branch at its 1.34.1 release.
F5_ANSIBLE = Upstream(
    "F5Networks", "f5-ansible", "da26e796a738", "da26e796a73862f198a6de190102ce3c4a005265"
)
ALL = (F5_COMMON_PYTHON, F5_CCCL, F5_ANSIBLE)


def cache_root() -> Path:
    explicit = os.environ.get("UPSTREAM_CACHE")
    if explicit:
        return Path(explicit)
    return Path.home() / ".cache" / "contrail-f5-reconciler" / "upstream"


def checkout(upstream: Upstream) -> Path | None:
    """A directory holding ``upstream`` at its pinned commit, or None when there is none."""
    explicit = os.environ.get(upstream.env_var)
    if explicit:
        path = Path(explicit)
        return path if path.is_dir() else None
    return cached(upstream)


def cached(upstream: Upstream) -> Path | None:
    """The cache's tree of ``upstream`` if it holds the pinned commit, complete."""
    marker = upstream.directory / DONE_MARKER
    if marker.is_file() and marker.read_text().strip() == upstream.commit:
        return upstream.directory
    return None


class FetchError(Exception):
    pass


def mirror_git_dir(upstream: Upstream, mirror: Path) -> Path:
    return mirror / f"{upstream.owner}+{upstream.name}" / "repo"


def fetch(upstream: Upstream, mirror: Path | None = None, timeout: float = 600) -> Path:
    """Put ``upstream`` at its pinned commit into the cache, from ``mirror``'s bare git
    directory when it has one, else by cloning its public repository; the cache's directory.

    The tree is exported next to its place and renamed into it, so a reader (or a second
    ``make``) never sees half of it.
    """
    found = cached(upstream)
    if found is not None:
        return found
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{upstream.name}-") as work:
        git_dir = mirror_git_dir(upstream, mirror) if mirror is not None else None
        if git_dir is None or not git_dir.is_dir():
            git_dir = Path(work) / "clone.git"
            _git(["clone", "--bare", "--quiet", upstream.url, str(git_dir)], timeout, upstream.url)
        tree = Path(work) / "tree"
        tree.mkdir()
        archive = _git(
            ["--git-dir", str(git_dir), "archive", "--format=tar", upstream.commit],
            timeout,
            f"{upstream.commit} in {git_dir}",
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True, timeout=timeout)
        (tree / DONE_MARKER).write_text(upstream.commit + "\n")
        target = upstream.directory
        if target.exists():
            shutil.rmtree(target)  # a tree of another commit, or one left half made
        try:
            tree.rename(target)
        except OSError:
            if cached(upstream) is None:  # not another process's tree that won the race
                raise
    return target


def _git(args: list[str], timeout: float, what: str) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, check=False, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{what}: no answer in {timeout:g} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise FetchError(f"{what}: {message[-1] if message else f'git exited {done.returncode}'}")
    return done.stdout
