"""`make upstream`: fetch the pinned upstream judges of the emulators into the user cache.

F5's f5-sdk functional tests (f5-common-python), f5-cccl and F5's Ansible fixtures
(f5-ansible) are exported at the commits `tests/support/upstream.py` pins into
`$UPSTREAM_CACHE` (default `~/.cache/contrail-f5-reconciler/upstream`), cloned from their
public GitHub repositories, or — with `UPSTREAM_MIRROR=<dir>` — taken from the bare git
mirrors `<dir>/<owner>+<name>/repo` (falling back to a clone for one the mirror lacks).
What is already in the cache is left as it is.

`--best-effort` (what `make test` runs first) reports what it could not fetch and exits 0:
the tests that need it then skip, naming `make upstream`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.upstream import ALL, FetchError, cached, fetch, mirror_git_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--best-effort", action="store_true", help="never fail (offline: the tests skip)"
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds per git command (default 600)"
    )
    args = parser.parse_args(argv)
    mirror = os.environ.get("UPSTREAM_MIRROR")
    failed = 0
    for upstream in ALL:
        label = f"{upstream.owner}/{upstream.name} {upstream.ref}"
        have = cached(upstream)
        if have is not None:
            if not args.best_effort:
                print(f"upstream: {label}: already in {have}")
            continue
        try:
            path = fetch(upstream, Path(mirror) if mirror else None, args.timeout)
        except (FetchError, OSError) as exc:
            failed += 1
            print(f"upstream: {label}: not fetched: {exc}", file=sys.stderr)
            cloned = not (mirror and mirror_git_dir(upstream, Path(mirror)).is_dir())
            if args.best_effort and cloned:
                break  # offline: the other clones would only wait for their timeouts too
            continue
        print(f"upstream: {label} -> {path}")
    if failed and args.best_effort:
        print(
            "upstream: not all fetched; the tests that need them skip "
            "(`make upstream` fetches them)",
            file=sys.stderr,
        )
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
