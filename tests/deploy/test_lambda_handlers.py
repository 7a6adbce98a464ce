"""Each Lambda handler, fed API Gateway v2 events, answers as the app does over HTTP.

The handler runs in this process (its settings: the functions host's environment); the same
request goes over HTTP to the functions host of the session stack. Both use the same Mongo,
Redis and QStash, so the status, body and content type must be the same.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from shared.config import get_settings
from shared.dev_credentials import DEV_QSTASH_CURRENT_SIGNING_KEY
from tests.deploy import serverless_config as sls
from tests.deploy.conftest import DeployMerchant
from tests.deploy.payments_data import payment_doc
from tests.events import load_event
from tests.lambda_runtime import LambdaResponse, http_event, invoke, invoke_http
from tests.qstash_jwt import qstash_signature

REFERENCE_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJVcHN0YXNoIiwic3ViIjoiaHR0cHM6Ly9leGFtcGxlLm"
    "NvbS9ob29rIiwiZXhwIjoxNzAwMDAwMzAwLCJuYmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoi"
    "and0X3Rlc3QxIiwiYm9keSI6Ims2STVjYWtVNWVyTDhLalNVVlROb3duRHdjY3Z1NWtVMUh4Zzg4dG9GWWc9In0.82F"
    "nQ1XbpSiJJixorFNcErDlsw8QHVL00lkNOOFwe2w"
)
# Parts of a body that depend on the moment of the call, not on the code path.
VOLATILE_KEYS = {"payments_per_minute"}


@dataclass(frozen=True)
class Call:
    function: str
    method: str
    path: str
    route: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    signed: bool = False
    query: str = ""


def _stable(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _stable(v) for k, v in body.items() if k not in VOLATILE_KEYS}
    if isinstance(body, list):
        return [_stable(v) for v in body]
    return body


def _headers(call: Call) -> dict[str, str]:
    headers = dict(call.headers)
    if call.body:
        headers.setdefault("content-type", "application/json")
    if call.signed:
        url = get_settings().public_url.rstrip("/") + call.path
        headers["upstash-signature"] = qstash_signature(url, call.body)
    return headers


def via_lambda(call: Call) -> LambdaResponse:
    module = importlib.import_module(sls.module_name(call.function))
    event = http_event(
        call.method,
        call.path,
        route=call.route,
        headers=_headers(call),
        body=call.body or None,
        query=call.query,
    )
    return invoke_http(module.handler, event)


def via_http(client: httpx.Client, call: Call) -> httpx.Response:
    url = call.path + (f"?{call.query}" if call.query else "")
    return client.request(call.method, url, headers=_headers(call), content=call.body)


@pytest.fixture(scope="module")
def host(local_env: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_env.functions_url, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def final_payment(mongo_db: Any, merchant: DeployMerchant) -> dict[str, Any]:
    now = datetime.now(UTC)
    doc = payment_doc(
        merchant.id,
        status="SUCCESS",
        amount=2500,
        currency="EUR",
        created_at=now - timedelta(seconds=2),
        finalized_at=now,
    )
    mongo_db["payments"].insert_one(doc)
    return doc


def calls(merchant: DeployMerchant, payment_id: str) -> list[Call]:
    auth = merchant.auth
    process_body = json.dumps({"payment_id": payment_id, "generation": 1}).encode()
    return [
        Call("payments_api", "GET", "/healthz", "/healthz"),
        Call(
            "payments_api", "GET", f"/v1/payments/{payment_id}", "/v1/payments/{payment_id}", auth
        ),
        Call("payments_api", "GET", "/v1/payments", "/v1/payments", auth, query="limit=5"),
        Call("payments_api", "GET", "/v1/payments/pay_nope", "/v1/payments/{payment_id}", auth),
        Call("payments_api", "GET", "/v1/payments", "/v1/payments", query="limit=5"),
        Call(
            "payments_api",
            "POST",
            f"/v1/payments/{payment_id}/retry",
            "/v1/payments/{payment_id}/retry",
            auth,
        ),
        Call("payments_api", "GET", "/v1/metrics", "/v1/metrics", auth),
        Call("payments_api", "GET", "/v1/webhook_endpoints", "/v1/webhook_endpoints", auth),
        Call(
            "create_payment",
            "POST",
            "/v1/payments",
            "/v1/payments",
            auth,
            body=b'{"amount": 100, "currency": "USD"}',
        ),
        Call(
            "create_payment",
            "POST",
            "/v1/payments",
            "/v1/payments",
            {**auth, "idempotency-key": "deploy-bad-body"},
            body=b"{not json",
        ),
        Call("create_payment", "POST", "/v1/payments", "/v1/payments", body=b"{}"),
        Call(
            "process_payment",
            "POST",
            "/internal/process_payment",
            "/internal/process_payment",
            body=process_body,
            signed=True,
        ),
        Call(
            "process_payment",
            "POST",
            "/internal/process_payment",
            "/internal/process_payment",
            body=process_body,
        ),
        Call(
            "process_payment",
            "POST",
            "/internal/process_payment/failure",
            "/internal/process_payment/failure",
            body=b'{"sourceBody": 7}',
            signed=True,
        ),
        Call(
            "process_refund",
            "POST",
            "/internal/process_refund",
            "/internal/process_refund",
            body=b'{"refund_id": "re_nope"}',
            signed=True,
        ),
        Call(
            "process_refund",
            "POST",
            "/internal/process_refund/failure",
            "/internal/process_refund/failure",
            body=b"{}",
        ),
        Call(
            "dispatch_webhook",
            "POST",
            "/internal/dispatch_webhook",
            "/internal/dispatch_webhook",
            body=b'{"delivery_id": "whd_nope", "round": 0}',
            signed=True,
        ),
        Call(
            "dispatch_webhook",
            "POST",
            "/internal/dispatch_webhook/failure",
            "/internal/dispatch_webhook/failure",
            body=b"{}",
        ),
        Call("sweeper", "POST", "/internal/sweep", "/internal/sweep", body=b"{}"),
        Call(
            "settlement_report", "GET", "/v1/settlements/2031-3-14", "/v1/settlements/{date}", auth
        ),
        Call(
            "settlement_report",
            "POST",
            "/internal/settlement_report",
            "/internal/settlement_report",
            body=b'{"date": "14/03/2031"}',
            signed=True,
        ),
        Call(
            "settlement_report",
            "POST",
            "/internal/settlement_report",
            "/internal/settlement_report",
            body=b"{}",
        ),
    ]


CASE_IDS = [
    "healthz",
    "payment",
    "list",
    "payment-404",
    "list-401",
    "retry-409",
    "metrics",
    "endpoints",
    "create-400-no-key",
    "create-400-bad-json",
    "create-401",
    "process-signed",
    "process-unsigned-401",
    "process-failure-signed-400",
    "refund-signed",
    "refund-failure-unsigned-401",
    "dispatch-signed",
    "dispatch-failure-unsigned-401",
    "sweep-unsigned-401",
    "settlement-400",
    "settlement-run-signed-400",
    "settlement-run-unsigned-401",
]


@pytest.mark.parametrize("index", range(len(CASE_IDS)), ids=CASE_IDS)
def test_handler_answers_like_the_app_over_http(
    index: int, host: httpx.Client, merchant: DeployMerchant, final_payment: dict[str, Any]
) -> None:
    call = calls(merchant, final_payment["_id"])[index]

    from_lambda = via_lambda(call)
    from_http = via_http(host, call)

    assert from_lambda.status_code == from_http.status_code, from_lambda.body
    assert from_lambda.headers["content-type"] == from_http.headers["content-type"]
    assert _stable(from_lambda.json()) == _stable(from_http.json())
    assert from_lambda.status_code < 500, from_lambda.body


def test_cases_cover_every_function_with_a_route() -> None:
    tested = {call.function for call in calls(DeployMerchant("m", "k"), "pay_x")}
    routed = {route.function for route in sls.http_routes()}
    assert routed == tested


def test_signed_internal_call_does_its_work(
    host: httpx.Client, merchant: DeployMerchant, final_payment: dict[str, Any]
) -> None:
    call = calls(merchant, final_payment["_id"])[CASE_IDS.index("process-signed")]
    response = via_lambda(call)
    assert response.status_code == 200
    assert response.json()["payment_id"] == final_payment["_id"]
    assert response.json()["status"] == "SUCCESS"
    # process_payment keeps no replay guard (docs/guarantees.md): the same signed request again
    # is a redelivery, absorbed by the payment's guarded moves — it answers 200, changing nothing.
    event = http_event("POST", call.path, route=call.route, headers=_headers(call), body=call.body)
    module = importlib.import_module("functions.process_payment.app")
    assert invoke_http(module.handler, event).status_code == 200
    replay = invoke_http(module.handler, event)
    assert replay.status_code == 200
    assert replay.json()["outcome"] == "already_final"


def test_openapi_route_documents_the_whole_public_api(host: httpx.Client) -> None:
    from functions.payments_api.app import handler

    document = invoke_http(handler, http_event("GET", "/openapi.json")).json()
    assert sorted(document["paths"]) == sorted(host.get("/openapi.json").json()["paths"])
    assert "/v1/settlements/{date}" in document["paths"]
    assert not any(path.startswith("/internal") for path in document["paths"])
    page = invoke_http(handler, http_event("GET", "/docs"))
    assert page.status_code == 200 and b"swagger" in page.body.lower()


def test_sweeper_runs_on_its_eventbridge_schedule(local_env: Any) -> None:
    from functions.sweeper.app import handler

    report = invoke(handler, load_event("eventbridge_scheduled"))
    assert set(report) == {"republished", "failed"}
    assert all(isinstance(count, int) and count >= 0 for count in report.values())


def test_signer_matches_the_reference_vector() -> None:
    token = qstash_signature(
        "https://example.com/hook",
        b'{"hello":"world"}',
        DEV_QSTASH_CURRENT_SIGNING_KEY,
        now=1_700_000_000,
        jti="jwt_test1",
    )
    assert token == REFERENCE_TOKEN
    claims = jwt.decode(
        token, DEV_QSTASH_CURRENT_SIGNING_KEY, algorithms=["HS256"], options={"verify_exp": False}
    )
    assert claims["body"] == "k6I5cakU5erL8KjSUVTNownDwccvu5kU1Hxg88toFYg="
