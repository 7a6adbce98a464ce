"""`infra/serverless.yml` as data: its functions, routes and environment, variables resolved.

Serverless variables (`${ssm:...}`, `${self:...}`, `${sls:stage}`, ...) are plain strings to
YAML; `resolve` substitutes what a deploy of stage `prod` in `eu-west-1` would, with made-up
values for deploy-time SSM parameters. An unknown variable source is an error, so the file
uses only sources these tests understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVERLESS_YML = ROOT / "infra" / "serverless.yml"
STAGE = "prod"
REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
API_ENDPOINT = f"https://abc123defg.execute-api.{REGION}.amazonaws.com"
DEPLOY_TIME_SSM = {f"/paygate/{STAGE}/dashboard_origin": "https://dashboard.example.com"}
VARIABLE = re.compile(r"\$\{([^${}]+)\}")
# Sample values for path parameters, to turn a route template into a concrete path.
PATH_SAMPLES = {
    "payment_id": "pay_01JD0000000000000000000000",
    "endpoint_id": "we_missing",
    "delivery_id": "whd_missing",
    "refund_id": "re_missing",
    "dispute_id": "dp_missing",
    "event_id": "evt_missing",
    "date": "2026-01-01",
}


@dataclass(frozen=True)
class Route:
    function: str
    method: str
    path: str

    @property
    def concrete_path(self) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: PATH_SAMPLES[m.group(1)], self.path)


@cache
def raw_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SERVERLESS_YML.read_text())
    return loaded


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        node = node[part]
    return node


def _resolve_one(source: str, config: dict[str, Any]) -> Any:
    expression, _, fallback = (part.strip() for part in source.partition(","))
    kind, _, address = expression.partition(":")
    if kind == "sls" and address == "stage":
        return STAGE
    if kind == "opt":
        return {"stage": STAGE, "region": REGION}[address]
    if kind == "aws":
        return {"accountId": ACCOUNT_ID, "region": REGION}[address]
    if kind == "self":
        return resolve(_lookup(config, address), config)
    if kind == "ssm":
        path = resolve(address, config)
        if path in DEPLOY_TIME_SSM:
            return DEPLOY_TIME_SSM[path]
        if fallback:
            return fallback.strip("'\"")
        raise KeyError(f"deploy-time SSM parameter {path} has no test value and no default")
    raise ValueError(f"unknown serverless variable source: ${{{source}}}")


def resolve(value: Any, config: dict[str, Any] | None = None) -> Any:
    """`value` with every serverless variable substituted (innermost first)."""
    config = config or raw_config()
    if isinstance(value, dict):
        if list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"] == ["HttpApi", "ApiEndpoint"]:
            return API_ENDPOINT
        return {key: resolve(item, config) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, config) for item in value]
    if not isinstance(value, str):
        return value
    while (match := VARIABLE.search(value)) is not None:
        replaced = _resolve_one(match.group(1), config)
        if match.group(0) == value:
            return resolve(replaced, config)
        value = value[: match.start()] + str(replaced) + value[match.end() :]
    return value


def functions() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = raw_config()["functions"]
    return found


def http_routes() -> list[Route]:
    routes: list[Route] = []
    for name, spec in functions().items():
        for event in spec.get("events", []):
            if "httpApi" in event:
                api = event["httpApi"]
                routes.append(Route(name, str(api["method"]).upper(), str(api["path"])))
    return routes


def schedules() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, spec in functions().items():
        for event in spec.get("events", []):
            if "schedule" in event:
                schedule = event["schedule"]
                rate = schedule["rate"] if isinstance(schedule, dict) else schedule
                found.setdefault(name, []).extend(rate if isinstance(rate, list) else [rate])
    return found


def environment(function: str) -> dict[str, str]:
    """What the function's process environment would hold (provider + function level)."""
    provider_env = raw_config()["provider"].get("environment", {})
    own_env = functions()[function].get("environment", {})
    return {key: str(resolve(value)) for key, value in {**provider_env, **own_env}.items()}


def module_name(function: str) -> str:
    """`functions/create_payment/app.handler` → `functions.create_payment.app`."""
    handler = str(functions()[function]["handler"])
    return handler.rsplit(".", 1)[0].replace("/", ".")
