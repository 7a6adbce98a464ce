"""The layering of DESIGN.md, checked on the source: imports point inward only.

domain (pure: stdlib without I/O, pydantic, ulid) ← services (domain + ports) ← adapters
(implement the ports) ← web (the composition root wires adapters in) ← functions (thin).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB_IO = {
    "asyncio",
    "socket",
    "ssl",
    "http",
    "urllib.request",
    "subprocess",
    "sqlite3",
    "shutil",
    "select",
    "selectors",
    "logging",
}
DOMAIN_THIRD_PARTY = {"pydantic", "pydantic_core", "ulid"}


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        yield ".".join(relative.parts).removesuffix(".__init__"), path


def imports_of(path: Path) -> set[str]:
    """Every module named by an import statement (absolute), type-checking imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(package: str, allowed: object) -> list[str]:
    assert callable(allowed)
    return [
        f"{module} imports {name}"
        for module, path in modules(package)
        for name in sorted(imports_of(path))
        if not allowed(name)
    ]


def _top(name: str) -> str:
    return name.split(".")[0]


def _domain_may_import(name: str) -> bool:
    if name.startswith("shared."):
        return name.startswith("shared.domain")
    top = _top(name)
    if top in ("__future__", "typing"):
        return True
    if top in sys.stdlib_module_names:
        return not any(name == io or name.startswith(io + ".") for io in STDLIB_IO)
    return top in DOMAIN_THIRD_PARTY


def _services_may_import(name: str) -> bool:
    if name.startswith("shared."):
        return name.startswith(("shared.domain", "shared.services"))
    top = _top(name)
    return top in sys.stdlib_module_names or top in ("__future__", *DOMAIN_THIRD_PARTY)


def _adapters_may_import(name: str) -> bool:
    return not name.startswith(("shared.services", "shared.web", "functions"))


def _functions_may_import(name: str) -> bool:
    if name.startswith("shared."):
        return name.startswith("shared.web")
    return not name.startswith("functions")


@pytest.mark.parametrize(
    ("package", "rule"),
    [
        ("shared.domain", _domain_may_import),
        ("shared.services", _services_may_import),
        ("shared.adapters", _adapters_may_import),
        ("functions", _functions_may_import),
    ],
)
def test_imports_point_inward(package: str, rule: object) -> None:
    assert violations(package, rule) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rules catch what they are for (so the test above can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import pymongo\nfrom shared.adapters.mongo import connect\nimport asyncio\n")
    names = imports_of(bad)
    assert not all(_domain_may_import(n) for n in names)
    assert not _services_may_import("shared.adapters.mongo")
    assert not _services_may_import("httpx")
    assert not _domain_may_import("asyncio")
    assert not _domain_may_import("urllib.request") and _domain_may_import("urllib.parse")
    assert not _adapters_may_import("shared.services.sweep")
    assert not _functions_may_import("shared.adapters.mongo")
    assert not _functions_may_import("functions.create_payment.app")
    assert _domain_may_import("hashlib") and _services_may_import("shared.services.ports")
