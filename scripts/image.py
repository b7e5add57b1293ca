"""Build the reconciler's image with podman, from the unchanged Dockerfile (`make image`).

No Docker engine and no image registry are reachable here, so:

1. podman, runc and debootstrap come from Debian (apt-get, as root) when missing;
2. the Dockerfile's base, ``python:3.11-slim``, is stood in for by an image made locally:
   ``debootstrap --variant=minbase`` bookworm with python3, plus a venv at ``/usr/local``
   (so ``/usr/local/bin/python`` and ``pip`` are where the slim image has them), imported as
   ``localhost/debian-bookworm-python:3.11``; made once, then reused (``--rebuild-base``);
3. ``podman build --from <that base>`` with the host's pip configuration, so the build's
   ``pip install .`` reaches the same package index, mirrors and local wheel directories as
   the host's pip does: the merged result of ``pip config list`` (configuration files and
   ``PIP_*`` variables) becomes root's pip.conf in a directory mounted over ``/root`` for
   the build, the local directories it names are mounted read-only below it (the paths in
   the configuration rewritten to match), and a CA bundle pip is told
   to use (``cert``, ``PIP_CERT``, ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``: a proxy that
   re-signs HTTPS) is mounted over the image's ``/etc/ssl/certs/ca-certificates.crt``. The
   mounts exist only while the build's RUN steps run, and they all land on paths the base
   already has, so not even an empty mount point is left in the image.

podman reads scripts/image.containers.conf (runc, cgroupfs, explicit ulimits) through
CONTAINERS_CONF. Usage:

    python scripts/image.py [--tag contrail-f5-reconciler:0.1.0] [--rebuild-base] [--no-cache]
    python scripts/image.py --tools-only     # only install podman, runc, debootstrap
"""

from __future__ import annotations

import argparse
import configparser
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTAINERS_CONF = ROOT / "scripts" / "image.containers.conf"
BASE_IMAGE = "localhost/debian-bookworm-python:3.11"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
IMAGE_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
BUILD_HOME = "/root"  # root's $HOME during the build's RUN steps (in the base image already)
PACKAGES = ["podman", "runc", "debootstrap"]
# What python:3.11-slim's own configuration says (its ENV lines); the rest is debootstrap's.
BASE_CHANGES = [
    "ENV=PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV=LANG=C.UTF-8",
    'CMD=["python3"]',
]


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def default_tag() -> str:
    return f"contrail-f5-reconciler:{version()}"


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def say(message: str) -> None:
    print(f"image: {message}", file=sys.stderr, flush=True)


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    say("$ " + shlex.join(argv))
    return subprocess.run(argv, check=True, text=True, env=podman_env(), **kwargs)


# --- tools -----------------------------------------------------------------------------------


def ensure_tools() -> None:
    if os.geteuid() != 0:
        raise SystemExit("image: podman builds here as root only (rootless needs subuids)")
    missing = [p for p in PACKAGES if not shutil.which(p)]
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise SystemExit(f"image: {' '.join(missing)} missing and no apt-get to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say(f"installing {' '.join(missing)} with apt-get")
    install = ["apt-get", "install", "-y", "-q", *missing]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(install, env=env, check=True)


# --- the base image ---------------------------------------------------------------------------


def image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], env=podman_env()).returncode == 0


def apt_mirror() -> str:
    """The host's Debian mirror (what apt-get uses here), else deb.debian.org."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            words = line.split()
            if words[:1] == ["deb"] and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    return DEFAULT_MIRROR


def build_base() -> None:
    with tempfile.TemporaryDirectory(prefix="debian-base-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                SUITE,
                str(rootfs),
                apt_mirror(),
            ],
            stdout=subprocess.DEVNULL,
        )
        # /usr/local becomes the venv: bin/python, bin/pip, lib/python3.11/site-packages.
        run(["chroot", str(rootfs), "python3", "-m", "venv", "/usr/local"])
        run(["chroot", str(rootfs), "/usr/local/bin/python", "-m", "pip", "--version"])
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / junk).glob("*.deb"):
                entry.unlink()
            for entry in (rootfs / junk).glob("*_*"):
                entry.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        changes = [arg for change in BASE_CHANGES for arg in ("--change", change)]
        run(["podman", "import", *changes, "-", BASE_IMAGE], stdin=tar.stdout)
        tar.wait()
        if tar.returncode != 0:
            raise SystemExit(f"image: tar of the base rootfs failed ({tar.returncode})")


# --- the host's pip configuration, for the build ---------------------------------------------


def host_pip_config() -> dict[str, dict[str, str]]:
    """``pip config list`` of the host, merged as pip merges it: files, then PIP_* variables."""
    python = ROOT / ".venv" / "bin" / "python"
    interpreter = str(python) if python.exists() else sys.executable
    listed = subprocess.run(
        [interpreter, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    sections: dict[str, dict[str, str]] = {}
    from_env: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        name, sep, quoted = line.partition("=")
        if not sep:
            continue
        section, _, key = name.rpartition(".")
        value = " ".join(shlex.split(quoted)) if quoted else ""
        if section == ":env:":
            from_env[key] = value
        else:
            sections.setdefault(section, {})[key] = value
    sections.setdefault("global", {}).update(from_env)
    # PIP_INDEX_URL and friends that `pip config list` may not show in older pips.
    for var, value in os.environ.items():
        if var.startswith("PIP_") and value:
            sections["global"].setdefault(var[4:].lower().replace("_", "-"), value)
    return sections


def ca_bundle(config: dict[str, dict[str, str]]) -> Path | None:
    for candidate in (
        config.get("global", {}).get("cert"),
        os.environ.get("PIP_CERT"),
        os.environ.get("REQUESTS_CA_BUNDLE"),
        os.environ.get("SSL_CERT_FILE"),
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def local_paths(config: dict[str, dict[str, str]]) -> list[Path]:
    """Existing host files and directories the configuration names (file:// URLs, paths)."""
    found: list[Path] = []
    for section in config.values():
        for key, value in section.items():
            if key == "cert":
                continue
            for word in value.split():
                path = word.removeprefix("file://") if word.startswith("file://") else word
                if not path.startswith("/"):
                    continue
                candidate = Path(path)
                # a file:///x/simple index: mount the directory above it (its files live there)
                if candidate.name == "simple" and word.startswith("file://"):
                    candidate = candidate.parent
                if candidate.exists() and candidate not in found:
                    found.append(candidate)
    return found


def build_mounts(workdir: Path) -> list[str]:
    """The build's volumes. Only paths the base image already has are mount targets, so no
    mount point is left behind in the image: the host's CA bundle over the image's, and a
    fresh host directory over /root (the build's $HOME; the image's user is 10001, whose home
    is /nonexistent) holding ``.config/pip/pip.conf`` and, below ``.host/``, the host's local
    pip directories, mounted there read-only (their mount points are made in the host
    directory, not in the image) with the configuration's paths rewritten to match."""
    config = host_pip_config()
    bundle = ca_bundle(config)
    if bundle is not None:
        config["global"]["cert"] = IMAGE_BUNDLE
    else:
        config.get("global", {}).pop("cert", None)
    home = workdir / "root"
    (home / ".config" / "pip").mkdir(parents=True)
    paths = local_paths(config)
    inside = {str(path): f"{BUILD_HOME}/.host{path}" for path in paths}
    parser = configparser.ConfigParser(interpolation=None)
    for section, values in config.items():
        if values:
            parser[section] = {key: _rewrite(value, inside) for key, value in values.items()}
    pip_conf = home / ".config" / "pip" / "pip.conf"
    with pip_conf.open("w") as handle:
        parser.write(handle)
    say("pip configuration for the build: " + " ".join(pip_conf.read_text().split()))
    mounts = [f"{home}:{BUILD_HOME}"]
    if bundle is not None:
        mounts.append(f"{bundle}:{IMAGE_BUNDLE}:ro")
    mounts += [f"{path}:{inside[str(path)]}:ro" for path in paths]
    return mounts


def _rewrite(value: str, inside: dict[str, str]) -> str:
    words = []
    for word in value.split():
        scheme = "file://" if word.startswith("file://") else ""
        path = word.removeprefix(scheme)
        for host, there in inside.items():
            if path == host or path.startswith(host + "/"):
                path = there + path[len(host) :]
                break
        words.append(scheme + path)
    return " ".join(words)


# --- the build --------------------------------------------------------------------------------


def build(tag: str, no_cache: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="image-build-") as tmp:
        volumes = [arg for mount in build_mounts(Path(tmp)) for arg in ("--volume", mount)]
        run(
            [
                "podman",
                "build",
                "--from",
                BASE_IMAGE,
                "--network",
                "host",
                "--tag",
                tag,
                *(["--no-cache"] if no_cache else []),
                *volumes,
                "--file",
                str(ROOT / "Dockerfile"),
                str(ROOT),
            ]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", default=default_tag(), help="default: %(default)s")
    parser.add_argument("--rebuild-base", action="store_true", help=f"remake {BASE_IMAGE}")
    parser.add_argument("--no-cache", action="store_true", help="rebuild every layer")
    parser.add_argument("--tools-only", action="store_true", help="install podman etc., stop")
    args = parser.parse_args(argv)
    started = time.monotonic()
    ensure_tools()
    if args.tools_only:
        return 0
    if args.rebuild_base or not image_exists(BASE_IMAGE):
        say(f"making the base image {BASE_IMAGE} (debootstrap; once)")
        build_base()
    else:
        say(f"base image {BASE_IMAGE} exists: reused")
    build(args.tag, args.no_cache)
    # Images of earlier builds that no tag names any more (each code change leaves one);
    # the layers of this build stay, so the next build of the same code is all cache.
    subprocess.run(["podman", "image", "prune", "--force"], env=podman_env(), capture_output=True)
    say(f"built {args.tag} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
