"""The emulators' upstream judges (tests/support/upstream.py, `make upstream`): fetched into a
per-user cache from a mirror or a clone, found there by the tests, and no path of one
particular machine anywhere in the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import upstream as up

REPO = Path(__file__).resolve().parents[2]


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("UPSTREAM_CACHE", str(root))
    for pinned in up.ALL:
        monkeypatch.delenv(pinned.env_var, raising=False)
    return root


@pytest.fixture
def mirror(tmp_path: Path) -> tuple[Path, up.Upstream]:
    """A mirror directory holding one bare repository, `acme+judge/repo`, with two commits;
    the upstream pinned to the first."""
    work = tmp_path / "work"
    work.mkdir()
    git("init", "--quiet", cwd=work)
    ident = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    (work / "fixtures.json").write_text('{"kind": "first"}')
    git("add", ".", cwd=work)
    git(*ident, "commit", "--quiet", "-m", "one", cwd=work)
    first = git("rev-parse", "HEAD", cwd=work)
    (work / "fixtures.json").write_text('{"kind": "second"}')
    git(*ident, "commit", "--quiet", "-am", "two", cwd=work)
    root = tmp_path / "mirror"
    git("clone", "--quiet", "--bare", str(work), str(root / "acme+judge" / "repo"))
    return root, up.Upstream("acme", "judge", first[:7], first)


def test_a_missing_judge_is_not_found_and_says_the_command(cache: Path) -> None:
    for pinned in up.ALL:
        assert up.checkout(pinned) is None
        assert "`make upstream`" in pinned.describe()
        assert str(cache) in pinned.describe()


def test_the_cache_defaults_to_the_users_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPSTREAM_CACHE", raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    assert up.cache_root() == Path("/home/someone/.cache/contrail-f5-reconciler/upstream")


def test_fetch_exports_the_pinned_commit_from_a_mirror(
    cache: Path, mirror: tuple[Path, up.Upstream]
) -> None:
    root, judge = mirror
    assert up.checkout(judge) is None
    path = up.fetch(judge, root)
    assert path == cache / f"judge-{judge.ref}"
    assert (path / "fixtures.json").read_text() == '{"kind": "first"}'  # the pin, not the tip
    assert up.checkout(judge) == path
    assert [p.name for p in cache.iterdir()] == [path.name]  # no work directory left behind


def test_a_tree_of_another_commit_is_replaced(
    cache: Path, mirror: tuple[Path, up.Upstream]
) -> None:
    root, judge = mirror
    stale = judge.directory
    stale.mkdir(parents=True)
    (stale / up.DONE_MARKER).write_text("0" * 40)
    assert up.checkout(judge) is None
    up.fetch(judge, root)
    assert (stale / "fixtures.json").read_text() == '{"kind": "first"}'


def test_a_mirror_without_the_commit_fails_naming_it_and_leaves_nothing(
    cache: Path, mirror: tuple[Path, up.Upstream]
) -> None:
    root, judge = mirror
    missing = up.Upstream(judge.owner, judge.name, "deadbee", "deadbee" + "0" * 33)
    with pytest.raises(up.FetchError, match=missing.commit):
        up.fetch(missing, root)
    assert up.checkout(missing) is None
    assert list(cache.iterdir()) == []


def test_best_effort_never_fails_the_build(cache: Path, tmp_path: Path) -> None:
    """`make test` runs this first; with no mirror and (here) an unusable git, it goes on."""
    env = {"UPSTREAM_CACHE": str(cache), "PATH": str(tmp_path / "no-git"), "HOME": str(tmp_path)}
    script = [sys.executable, str(REPO / "scripts" / "upstream.py")]
    best = subprocess.run([*script, "--best-effort"], env=env, capture_output=True, text=True)
    assert best.returncode == 0
    assert "`make upstream`" in best.stderr
    strict = subprocess.run(script, env=env, capture_output=True, text=True)
    assert strict.returncode == 1
    assert "f5-ansible" in strict.stderr


def test_no_path_of_one_machine_is_in_the_repository() -> None:
    machine_paths = "|".join("/" + top + "/" for top in ("work", "farm"))
    found = subprocess.run(
        ["git", "grep", "-nE", machine_paths], cwd=REPO, capture_output=True, text=True
    )
    assert found.stdout == ""
