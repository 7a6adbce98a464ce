"""The dashboard's API types (`frontend/src/api/schema.d.ts`) are generated from the backend's
OpenAPI document; this regenerates them into a temporary directory and fails when the committed
file is stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
GENERATED = FRONTEND / "src" / "api" / "schema.d.ts"
OPENAPI_TYPESCRIPT = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
REGENERATE = "`make types` (or `cd frontend && npm run gen:types`)"


def dump_openapi(out: Path) -> dict[str, object]:
    subprocess.run(
        [sys.executable, "-m", "devstack.openapi_dump", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    document: dict[str, object] = json.loads(out.read_text())
    return document


def test_the_dump_is_the_public_api_document(tmp_path: Path) -> None:
    document = dump_openapi(tmp_path / "openapi.json")
    paths = document["paths"]
    assert isinstance(paths, dict)
    assert {"/v1/payments", "/v1/payments/{payment_id}", "/v1/metrics", "/healthz"} <= set(paths)
    assert not [p for p in paths if p.startswith("/internal")], "internal routes are not public"


def test_the_committed_api_types_are_current(tmp_path: Path) -> None:
    if not OPENAPI_TYPESCRIPT.exists():
        pytest.fail(f"{OPENAPI_TYPESCRIPT} is missing: run `make install`", pytrace=False)
    document = tmp_path / "openapi.json"
    dump_openapi(document)
    fresh = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(OPENAPI_TYPESCRIPT), str(document), "--output", str(fresh)],
        cwd=FRONTEND,
        check=True,
        capture_output=True,
        text=True,
    )
    assert GENERATED.read_text() == fresh.read_text(), (
        f"{GENERATED.relative_to(ROOT)} is stale (the API's schemas changed): "
        f"regenerate it with {REGENERATE}, then fix what `npm run build` reports"
    )
