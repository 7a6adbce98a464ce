"""`infra/serverless.yml` checked against the code it deploys (parsed with pyyaml)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route as StarletteRoute

from benchmarks.schedules import fires_per_hour, production_schedules, shortest_gap_minutes
from shared.adapters.secrets import SECRET_FIELDS
from shared.config import DEV_SECRETS, Settings
from shared.web.app import health_router
from tests.deploy import serverless_config as sls
from tests.deploy.schedule_syntax import valid_cron, valid_rate, valid_schedule

# The route table of docs/api.md ("Public API") and docs/architecture.md (the internal routes).
DESIGN_ROUTES = {
    ("POST", "/v1/payments"),
    ("GET", "/v1/payments"),
    ("GET", "/v1/payments/{payment_id}"),
    ("POST", "/v1/payments/{payment_id}/retry"),
    ("POST", "/v1/refunds"),
    ("GET", "/v1/refunds"),
    ("GET", "/v1/refunds/{refund_id}"),
    ("GET", "/v1/metrics"),
    ("POST", "/v1/webhook_endpoints"),
    ("GET", "/v1/webhook_endpoints"),
    ("DELETE", "/v1/webhook_endpoints/{endpoint_id}"),
    ("POST", "/v1/webhook_deliveries/{delivery_id}/redeliver"),
    ("GET", "/v1/simulator"),
    ("PUT", "/v1/simulator"),
    ("DELETE", "/v1/simulator"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("POST", "/internal/process_payment"),
    ("POST", "/internal/process_payment/failure"),
    ("POST", "/internal/process_refund"),
    ("POST", "/internal/process_refund/failure"),
    ("POST", "/internal/dispatch_webhook"),
    ("POST", "/internal/dispatch_webhook/failure"),
    ("POST", "/internal/sweep"),
    ("GET", "/v1/settlements/{date}"),
    ("POST", "/internal/settlement_report"),
}
DOC_ROUTES = {("GET", "/openapi.json"), ("GET", "/docs")}
HTTP_API_MAX_TIMEOUT_S = 30


def app_routes(module: Any) -> set[tuple[str, str]]:
    """(method, path) the module's FastAPI app serves: its router(s), /healthz, the docs pages."""
    routes: list[Any] = [r for r in module.app.routes if isinstance(r, StarletteRoute)]
    routes += health_router.routes
    routes += [route for router in module.routers for route in router.routes]
    return {
        (method, route.path)
        for route in routes
        if isinstance(route, StarletteRoute)
        for method in (route.methods or ())
        if method != "HEAD"
    }


def own_routes(module: Any) -> set[tuple[str, str]]:
    """The routes a function is responsible for: its routers' (not /healthz, not the docs)."""
    return {
        (method, route.path)
        for router in module.routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_every_handler_imports_and_is_callable() -> None:
    for name, spec in sls.functions().items():
        module_path = sls.ROOT / (sls.module_name(name).replace(".", "/") + ".py")
        assert module_path.is_file(), f"{name}: {module_path} missing"
        module = importlib.import_module(sls.module_name(name))
        handler = getattr(module, str(spec["handler"]).rsplit(".", 1)[1])
        assert callable(handler), f"{name}: handler is not callable"


def test_runtime_memory_and_timeouts_are_set() -> None:
    provider = sls.raw_config()["provider"]
    assert provider["runtime"] in ("python3.11", "python3.12")
    for name, spec in sls.functions().items():
        assert 128 <= int(spec["memorySize"]) <= 10_240, name
        assert 1 <= int(spec["timeout"]) <= 900, name


def test_each_declared_route_is_served_by_its_functions_app() -> None:
    for route in sls.http_routes():
        module = importlib.import_module(sls.module_name(route.function))
        assert (route.method, route.path) in app_routes(module), (
            f"{route.function} declares {route.method} {route.path}, which its app does not serve"
        )


def test_routes_match_the_apps_and_design_exactly() -> None:
    declared = [(r.method, r.path) for r in sls.http_routes()]
    assert len(declared) == len(set(declared)), "a route is declared twice"
    served: set[tuple[str, str]] = set()
    for name in sls.functions():
        module = importlib.import_module(sls.module_name(name))
        mine = {(r.method, r.path) for r in sls.http_routes() if r.function == name}
        assert own_routes(module) <= mine, f"{name} serves routes serverless.yml does not route"
        served |= own_routes(module)
    served |= {("GET", "/healthz")} | DOC_ROUTES
    assert set(declared) == served
    assert set(declared) >= DESIGN_ROUTES


def test_process_payment_outlives_its_simulation_and_dispatch_its_webhook_timeout() -> None:
    functions = sls.functions()
    defaults = Settings()
    process_env = sls.environment("process_payment")
    latency_ms = [int(v) for v in process_env.get("PAYGATE_GATEWAY_LATENCY_MS", "").split(",") if v]
    longest_latency_s = max(latency_ms or defaults.gateway_latency_ms) / 1000
    simulation_deadline_s = float(
        process_env.get("PAYGATE_FUNCTION_TIMEOUT_S", defaults.function_timeout_s)
    )
    process_timeout = int(functions["process_payment"]["timeout"])
    assert longest_latency_s < simulation_deadline_s < process_timeout
    dispatch_env = sls.environment("dispatch_webhook")
    webhook_timeout_s = float(
        dispatch_env.get("PAYGATE_WEBHOOK_TIMEOUT_S", defaults.webhook_timeout_s)
    )
    assert webhook_timeout_s + defaults.dependency_timeout_s <= int(
        functions["dispatch_webhook"]["timeout"]
    )
    # QStash must see their answer: below the HTTP API's integration limit.
    for name in ("process_payment", "dispatch_webhook"):
        assert int(functions[name]["timeout"]) < HTTP_API_MAX_TIMEOUT_S


def test_schedules_are_valid_and_drive_the_sweeper_and_settlement_report() -> None:
    schedules = sls.schedules()
    assert set(schedules) == {"sweeper", "settlement_report"}
    for name, expressions in schedules.items():
        for expression in expressions:
            assert valid_schedule(expression), f"{name}: invalid schedule {expression}"
    assert all(valid_rate(e) for e in schedules["sweeper"])
    assert all(valid_cron(e) for e in schedules["settlement_report"])


def test_no_deployment_schedule_fires_more_often_than_every_15_minutes() -> None:
    """Idle cost (docs/performance.md): each fire is a QStash message on Vercel and a
    sweep's worth of Mongo operations everywhere; stuck work has its watchdog messages."""
    found = production_schedules()
    assert {s.deployment for s in found} == {"aws", "vercel"}
    assert {s.path for s in found} == {"/internal/sweep", "/internal/settlement_report"}
    for schedule in found:
        assert shortest_gap_minutes(schedule.expression) >= 15, schedule
        assert fires_per_hour(schedule.expression) <= 4, schedule


@pytest.mark.parametrize(
    ("expression", "gap", "per_hour"),
    [
        ("rate(1 minute)", 1, 60),
        ("rate(15 minutes)", 15, 4),
        ("cron(15 0 * * ? *)", 1440, 1 / 24),
        ("*/15 * * * *", 15, 4),
        ("0,5 * * * *", 5, 2),
    ],
)
def test_schedule_frequency_reader(expression: str, gap: float, per_hour: float) -> None:
    assert shortest_gap_minutes(expression) == gap
    assert fires_per_hour(expression) == pytest.approx(per_hour)


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("rate(1 minute)", True),
        ("rate(5 minutes)", True),
        ("rate(1 minutes)", False),
        ("rate(2 hour)", False),
        ("rate(0 minutes)", False),
        ("cron(15 0 * * ? *)", True),
        ("cron(0/5 8-17 ? * MON-FRI *)", True),
        ("cron(15 0 * * * *)", False),
        ("cron(15 0 ? * ? *)", False),
        ("cron(61 0 * * ? *)", False),
        ("cron(15 0 * * ?)", False),
        ("15 0 * * ? *", False),
    ],
)
def test_schedule_syntax_checker(expression: str, valid: bool) -> None:
    assert valid_schedule(expression) is valid


def _statements(role: str) -> list[dict[str, Any]]:
    resources = sls.raw_config()["resources"]["Resources"]
    policies = resources[role]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def test_iam_is_least_privilege() -> None:
    functions = sls.functions()
    assert functions["settlement_report"]["role"] == "SettlementRole"
    assert {spec["role"] for n, spec in functions.items() if n != "settlement_report"} == {
        "FunctionRole"
    }
    assert "iam" not in sls.raw_config()["provider"], "no shared provider role: one per use"
    for role in ("FunctionRole", "SettlementRole"):
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            actions = _as_list(statement["Action"])
            resources = sls.resolve(_as_list(statement["Resource"]))
            assert all("*" not in action for action in actions), actions
            assert all(not r.endswith(":*:*") and r != "*" for r in resources), resources
            for resource in resources:
                if resource.startswith("arn:aws:ssm:"):
                    assert actions == ["ssm:GetParametersByPath"]
                    assert ":parameter/paygate/prod" in resource
    function_actions = {a for s in _statements("FunctionRole") for a in _as_list(s["Action"])}
    assert not any(action.startswith("s3:") for action in function_actions)
    s3 = [s for s in _statements("SettlementRole") if _as_list(s["Action"])[0].startswith("s3:")]
    bucket = sls.resolve("${self:custom.settlementBucket}")
    object_rules = [s for s in s3 if "s3:PutObject" in _as_list(s["Action"])]
    assert sls.resolve(_as_list(object_rules[0]["Resource"])) == [
        f"arn:aws:s3:::{bucket}/settlements/*"
    ]
    assert {a for s in s3 for a in _as_list(s["Action"])} == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
    }


def test_no_secret_in_the_file() -> None:
    text = sls.SERVERLESS_YML.read_text()
    for secret in DEV_SECRETS - {""}:
        assert secret not in text
    assert not re.search(r"(sig_|whsec_|sk_live_|mongodb(\+srv)?://)", text)
    env_names = {"MONGODB_URI", "UPSTASH_REDIS_REST_TOKEN", "QSTASH_TOKEN"}
    env_names |= {"QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"}
    for name in sls.functions():
        assert not env_names & set(sls.environment(name)), f"{name} gets a secret as env"
    # Secrets are read at run time from SSM, never resolved into the template at deploy time.
    deploy_time = re.findall(r"\$\{ssm:/paygate/\$\{sls:stage\}/(\w+)", text)
    assert deploy_time and not set(deploy_time) & set(SECRET_FIELDS)


def test_packaging_ships_the_built_artifact() -> None:
    package = sls.raw_config()["package"]
    assert package["artifact"] == ".build/paygate.zip"
    built_by = Path(sls.ROOT / "infra" / "package.py").read_text()
    assert 'DEFAULT_OUT = INFRA / ".build" / "paygate.zip"' in built_by


def test_cors_matches_the_apps() -> None:
    cors = sls.resolve(sls.raw_config()["provider"]["httpApi"]["cors"])
    assert cors["allowedOrigins"] == ["https://dashboard.example.com"]
    assert sls.environment("payments_api")["PAYGATE_CORS_ORIGINS"] == cors["allowedOrigins"][0]
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(cors["allowedHeaders"])
    assert "Idempotent-Replayed" in cors["exposedResponseHeaders"]
    json.dumps(cors)  # plain data once resolved
