"""The layout's promise: the pure core (model, naming, translate, plan) does no I/O, and no
import runs back up the layers (model ← naming ← translate ← plan ← I/O edges ← the two
entry points)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reconciler

ROOT = Path(reconciler.__file__).parent
PURE = ("reconciler.model", "reconciler.naming", "reconciler.translate", "reconciler.plan")
IO_LIBRARIES = ("vnc_api", "f5", "icontrol", "requests", "urllib3", "kombu", "kazoo", "gevent")

#: What each layer may import from the product (the layer itself included).
ALLOWED = {
    "reconciler.model": ("reconciler.model",),
    "reconciler.naming": ("reconciler.model",),
    "reconciler.translate": (
        "reconciler.model",
        "reconciler.naming",
        "reconciler.translate",
        "reconciler.settings",
        "reconciler.config",
    ),
    "reconciler.plan": (
        "reconciler.model",
        "reconciler.naming",
        "reconciler.translate",
        "reconciler.plan",
        "reconciler.settings",
        "reconciler.config",
    ),
    "reconciler.bigip": (
        "reconciler.model",
        "reconciler.naming",
        "reconciler.plan",
        "reconciler.bigip",
        "reconciler.settings",
        "reconciler.coordination",
        "reconciler.concurrency",
        "reconciler.tcp",
        "reconciler.logs",
    ),
    "reconciler.contrail": (
        "reconciler.model",
        "reconciler.naming",
        "reconciler.translate",
        "reconciler.plan",
        "reconciler.contrail",
        "reconciler.settings",
        "reconciler.config",
        "reconciler.concurrency",
        "reconciler.tcp",
        "reconciler.logs",
    ),
}


def _modules(package: str) -> list[Path]:
    path = ROOT.parent / package.replace(".", "/")
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_pure_core_loads_no_io_library() -> None:
    """Importing every pure module (and what it imports) loads none of the I/O libraries."""
    modules = [
        ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        for package in PURE
        for path in _modules(package)
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    leaked = sorted(m for m in loaded if m.split(".")[0] in IO_LIBRARIES)
    assert not leaked, f"the pure core pulls in I/O libraries: {leaked[:10]}"


def test_no_import_runs_back_up_the_layers() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in _modules(layer):
            for name in _imports(path):
                if name.startswith("reconciler.") and not name.startswith(allowed):
                    wrong.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    assert not wrong, "\n".join(wrong)
