"""Vercel: `vercel.json` routes every public and internal route to the entry point whose app
serves it, and each `api/*.py` loads as Vercel's Python runtime loads it (ASGI in-process)."""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import subprocess
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from infra import package
from tests.deploy import serverless_config as sls
from tests.deploy.conftest import DeployMerchant

VERCEL_JSON = sls.ROOT / "vercel.json"
API_DIR = sls.ROOT / "api"


def vercel_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VERCEL_JSON.read_text())
    return loaded


def entry_files() -> list[Path]:
    """The files Vercel turns into functions: api/*.py not starting with `_` or `.`."""
    return sorted(p for p in API_DIR.glob("*.py") if not p.name.startswith(("_", ".")))


def load_entry(path: Path) -> ModuleType:
    """As Vercel's vc_init does: import the file by location under its dotted name."""
    name = path.relative_to(sls.ROOT).with_suffix("").as_posix().replace("/", ".")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vercel_source(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r":\1", path)


def rewrite_for(path: str) -> dict[str, str]:
    matches = [r for r in vercel_config()["rewrites"] if r["source"] == vercel_source(path)]
    assert len(matches) == 1, f"{path}: {len(matches)} rewrites"
    return matches[0]


def entry_for(path: str) -> Path:
    destination = rewrite_for(path)["destination"]
    return sls.ROOT / (destination.lstrip("/") + ".py")


def test_every_entry_point_loads_as_an_asgi_app() -> None:
    assert [p.stem for p in entry_files()] == sorted(
        [
            "dispatch_webhook",
            "payments",
            "payments_api",
            "process_payment",
            "process_refund",
            "settlement_report",
            "sweeper",
        ]
    )
    for path in entry_files():
        module = load_entry(path)
        names = dir(module)
        # vc_init prefers `handler` (must be a BaseHTTPRequestHandler) over `app`.
        assert "handler" not in names and "Handler" not in names, path.name
        assert "app" in names, path.name
        assert inspect.iscoroutinefunction(module.app.__call__), f"{path.name}: not ASGI"


def test_functions_config_names_existing_entry_points_with_enough_time() -> None:
    config = vercel_config()
    assert config["framework"] is None  # plain /api functions, no framework preset
    assert (sls.ROOT / config["outputDirectory"] / "index.html").is_file()
    functions = config["functions"]
    assert sorted(functions) == [p.relative_to(sls.ROOT).as_posix() for p in entry_files()]
    lambda_timeouts = {name: int(spec["timeout"]) for name, spec in sls.functions().items()}
    for route in sls.http_routes():
        entry = entry_for(route.path).relative_to(sls.ROOT).as_posix()
        assert functions[entry]["maxDuration"] >= lambda_timeouts[route.function], entry
        excluded = functions[entry]["excludeFiles"]
        assert "tests" in excluded and "frontend" in excluded and "shared" not in excluded


def test_rewrites_cover_exactly_the_deployed_routes() -> None:
    sources = [r["source"] for r in vercel_config()["rewrites"]]
    assert len(sources) == len(set(sources))
    assert set(sources) == {vercel_source(route.path) for route in sls.http_routes()}
    for rewrite in vercel_config()["rewrites"]:
        assert (sls.ROOT / (rewrite["destination"].lstrip("/") + ".py")).is_file(), rewrite


def _unrouted(response: httpx.Response) -> bool:
    if response.status_code == 405:
        return True
    return response.status_code == 404 and "no such route" in response.text


def _vercel_query(route_path: str) -> str:
    """Vercel appends the parameters a rewrite matched to the query string."""
    names = re.findall(r"\{(\w+)\}", route_path)
    return urlencode({name: sls.PATH_SAMPLES[name] for name in names})


@pytest.mark.parametrize("route", sls.http_routes(), ids=lambda r: f"{r.method} {r.path}")
async def test_each_route_is_served_through_its_rewrite(local_env: Any, route: sls.Route) -> None:
    app = load_entry(entry_for(route.path)).app
    query = _vercel_query(route.path)
    url = route.concrete_path + (f"?{query}" if query else "")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://paygate.vercel.app") as c:
        response = await c.request(
            route.method, url, content=b"{}" if route.method == "POST" else None
        )
    assert not _unrouted(response), f"{route.method} {url}: {response.status_code} {response.text}"
    assert response.status_code < 500, response.text


async def test_payments_path_dispatches_by_method(local_env: Any, merchant: DeployMerchant) -> None:
    app = load_entry(API_DIR / "payments.py").app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://paygate.vercel.app") as c:
        c.headers.update(merchant.auth)
        created = await c.post(
            "/v1/payments",
            headers={"Idempotency-Key": f"vercel-{uuid.uuid4().hex}"},
            json={
                "amount": 1234,
                "currency": "USD",
                "user_id": "u_vercel",
                "payment_method": {"type": "upi", "vpa": "success@paygate"},
            },
        )
        assert created.status_code == 201, created.text
        listed = await c.get("/v1/payments", params={"limit": 100})
        assert listed.status_code == 200
        assert created.json()["id"] in [p["id"] for p in listed.json()["data"]]
        preflight = await c.options(
            "/v1/payments",
            headers={"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
    health = load_entry(API_DIR / "payments_api.py").app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=health), base_url="http://x"
    ) as c:
        assert (await c.get("/healthz")).status_code == 200


def test_vercel_installs_the_locked_dependencies() -> None:
    """Vercel's Python runtime installs from `pyproject.toml` with its `uv.lock` (it prefers
    them to a `requirements.txt`), on the Python of `.python-version`: the committed lock must
    be current, and nothing may hide it or offer a second list."""
    assert (sls.ROOT / ".python-version").read_text().strip() == "3.12"
    assert (sls.ROOT / "uv.lock").is_file()
    for other in ("requirements.txt", "Pipfile", "Pipfile.lock"):
        assert not (sls.ROOT / other).exists(), f"{other} would be a second dependency list"
    ignore = sls.ROOT / ".vercelignore"
    if ignore.exists():
        ignored = ignore.read_text().split()
        assert not {"uv.lock", "pyproject.toml", ".python-version"} & set(ignored)
    uv = package.find_uv()
    check = subprocess.run(
        [uv, "lock", "--check", "--offline"], cwd=sls.ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, f"uv.lock is stale: run `make lock`\n{check.stderr}"
