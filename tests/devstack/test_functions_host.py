"""The local functions host: every function's routes, `/dev/config`, the dashboard fallback."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

import functions
from devstack.functions_host import build_app, discover_routers
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from shared.config import Settings

INDEX = "<!doctype html><title>paygate dashboard</title>"


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-123.js").write_text("console.log('hi')")
    (dist / "favicon.svg").write_text("<svg/>")
    (root / "secret.txt").write_text("outside dist")
    return dist


@pytest_asyncio.fixture(loop_scope="session")
async def host(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(env="dev", demo_webhook_url="http://127.0.0.1:9999/webhooks")
    app = build_app(settings, dist=_dist(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
        yield client


def test_every_function_package_is_discovered() -> None:
    packages = sorted(info.name for info in pkgutil.iter_modules(functions.__path__) if info.ispkg)
    assert packages, "no function packages found"
    routers = discover_routers()
    apps = [importlib.import_module(f"functions.{name}.app") for name in packages]
    assert len(routers) == sum(len(app.routers) for app in apps)
    assert all(app.routers for app in apps), "a function serves no router"
    paths = {route.path for router in routers for route in router.routes}  # type: ignore[attr-defined]
    assert {"/v1/payments", "/internal/process_payment", "/internal/sweep"} <= paths


async def test_dashboard_and_spa_fallback(host: httpx.AsyncClient) -> None:
    for path in ("/", "/payments", "/payments/pay_01J0000000000000000000000", "/webhooks/x/y"):
        response = await host.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX, path
        assert response.headers["content-type"].startswith("text/html")
    asset = await host.get("/assets/app-123.js")
    assert asset.status_code == 200 and asset.text == "console.log('hi')"
    assert (await host.get("/favicon.svg")).text == "<svg/>"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nope",
        "/internal/nope",
        "/assets/missing.js",
        "/dev/nope",
        "/healthz/extra",
        "/docs/extra",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
    ],
)
async def test_api_paths_are_never_shadowed(host: httpx.AsyncClient, path: str) -> None:
    response = await host.get(path)
    if path.endswith("secret.txt"):  # path traversal: the index, never the file
        assert response.text == INDEX
        return
    assert response.status_code == 404, path
    assert response.text != INDEX


async def test_api_documents_still_served(host: httpx.AsyncClient) -> None:
    assert (await host.get("/openapi.json")).json()["info"]["title"] == "paygate (local)"
    docs = await host.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_dev_config(host: httpx.AsyncClient) -> None:
    assert (await host.get("/dev/config")).json() == {
        "environment": "dev",
        "demo_api_key": "sk_test_demo",
        "receiver_url": "http://127.0.0.1:9999",
    }


async def test_no_dev_config_outside_dev(tmp_path: Path) -> None:
    settings = Settings(env="test").model_copy(update={"env": "production"})
    app = build_app(settings, dist=tmp_path / "missing")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://host"
    ) as client:
        assert (await client.get("/dev/config")).status_code == 404


async def test_missing_build_says_how_to_build(tmp_path: Path) -> None:
    app = build_app(Settings(env="dev"), dist=tmp_path / "missing")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://host"
    ) as client:
        page = await client.get("/")
        assert page.status_code == 200
        assert "make dev" in page.text
        assert (await client.get("/payments")).status_code == 404


def test_served_by_the_functions_process(
    stack_cfg: StackConfig, functions_service: ManagedProcess
) -> None:
    base = stack_cfg.functions_url
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    config = httpx.get(f"{base}/dev/config", timeout=10).json()
    assert config["receiver_url"] == stack_cfg.receiver_url
    missing = httpx.get(f"{base}/v1/does-not-exist", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"


async def test_mongo_ops_are_counted_only_when_asked(
    tmp_path: Path, stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    from pymongo import AsyncMongoClient

    quiet = build_app(Settings(env="dev"), dist=tmp_path / "none")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=quiet), base_url="http://h"
    ) as c:
        assert (await c.get("/dev/mongo_ops")).status_code == 404
    app = build_app(Settings(env="dev", count_mongo_ops=True), dist=tmp_path / "none")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
        before = (await client.get("/dev/mongo_ops")).json()
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack_cfg.mongodb_uri)
        try:
            collection = mongo["paygate_ops_test"]["counted"]
            for i in range(3):
                await collection.insert_one({"i": i})
            await collection.find_one({"i": 1})
        finally:
            await mongo.close()
        after = (await client.get("/dev/mongo_ops")).json()
    inserted = after["by_command"].get("insert", 0) - before["by_command"].get("insert", 0)
    found = after["by_command"].get("find", 0) - before["by_command"].get("find", 0)
    assert (inserted, found) == (3, 1)
    assert after["operations"] - before["operations"] >= 4
    by_target = {
        target: after["by_target"][target] - before["by_target"].get(target, 0)
        for target in ("insert counted", "find counted")
    }
    assert by_target == {"insert counted": 3, "find counted": 1}
