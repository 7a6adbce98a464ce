"""`GET/PUT/DELETE /v1/simulator` on the real local services: the object, its versions, its
validation (a refused PUT changes nothing), its expiry, and that process_payment obeys it."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.domain.clock import iso
from shared.domain.simulator import CARD_DECLINES
from shared.services.simulator_settings import SETTINGS_CACHE_TTL_S, settings_in_force
from shared.web import bootstrap
from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.functions.simulator_helpers import simulator_body
from tests.harness import QStashRelay

MERCHANT = "mer_demo"
PLAIN_CARD = {"type": "card", "card_number": "4111111111111111"}


def settings_body(**changes: Any) -> dict[str, Any]:
    """A whole PUT body away from the defaults (seeded, another mix), with `changes` on top."""
    body = simulator_body(seed=7, gateway_latency_ms={"min": 0, "max": 3})
    body["outcome_weights"] = {"success": 50, "timeout": 25, "hard_failure": 25}
    body.update(changes)
    return body


async def put_in_force(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """PUT, then wait out every process's cache (an entry older than the PUT lives ≤ its TTL),
    so the functions QStash calls in other event loops see the new settings."""
    put = await api.put("/v1/simulator", json=body)
    assert put.status_code == 200, put.text
    await asyncio.sleep(SETTINGS_CACHE_TTL_S + 0.05)
    return dict(put.json())


@pytest.fixture
async def sim_api(payments_api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The payments API, with the demo merchant's simulator back at its defaults afterwards
    (in force everywhere before the next test starts)."""
    yield payments_api
    assert (await payments_api.delete("/v1/simulator")).status_code == 200
    await asyncio.sleep(SETTINGS_CACHE_TTL_S + 0.05)


async def test_get_shows_the_defaults_from_the_environment(
    sim_api: httpx.AsyncClient, db: Any
) -> None:
    await db["simulator_settings"].delete_one({"_id": MERCHANT})
    got = await sim_api.get("/v1/simulator")
    assert got.status_code == 200
    assert got.json() == {
        "object": "simulator",
        "version": 0,
        "updated_at": None,
        "expires_at": None,
        "is_default": True,
        "seed": None,
        "outcome_weights": {"success": 70, "timeout": 15, "hard_failure": 15},
        # PAYGATE_GATEWAY_LATENCY_MS=0,0 in the functions' environment (tests/functions/conftest)
        "gateway_latency_ms": {"min": 0, "max": 0},
        "api": {
            "error_rate": 0.0,
            "error_mode": "before_commit",
            "latency_ms": {"min": 0, "max": 0},
        },
        "webhooks": {
            "drop_rate": 0.0,
            "duplicate_rate": 0.0,
            "bad_signature_rate": 0.0,
            "delay_ms": {"min": 0, "max": 0},
        },
    }


async def test_put_replaces_the_whole_object_and_bumps_the_version(
    sim_api: httpx.AsyncClient, db: Any
) -> None:
    before = (await sim_api.get("/v1/simulator")).json()["version"]
    expires = iso(datetime.now(UTC) + timedelta(minutes=5))
    body = settings_body(
        expires_at=expires,
        api={"error_rate": 0.3, "error_mode": "after_commit", "latency_ms": {"min": 1, "max": 9}},
    )
    put = await sim_api.put("/v1/simulator", json=body)
    assert put.status_code == 200, put.text
    shown = put.json()
    assert shown["version"] == before + 1 and shown["is_default"] is False
    assert shown["expires_at"] == expires and shown["updated_at"] is not None
    assert {k: shown[k] for k in body} == body
    assert (await sim_api.get("/v1/simulator")).json() == shown
    # A GET's body can be PUT back as it is: the read-only fields are ignored.
    again = await sim_api.put("/v1/simulator", json=shown)
    assert again.status_code == 200, again.text
    assert again.json()["version"] == before + 2
    stored = await db["simulator_settings"].find_one({"_id": MERCHANT})
    assert stored["version"] == before + 2 and stored["values"]["seed"] == 7


async def test_delete_goes_back_to_the_defaults_as_a_new_version(
    sim_api: httpx.AsyncClient,
) -> None:
    put = await sim_api.put("/v1/simulator", json=settings_body())
    version = put.json()["version"]
    reset = await sim_api.delete("/v1/simulator")
    assert reset.status_code == 200
    shown = reset.json()
    assert shown["version"] == version + 1 and shown["is_default"] is True
    assert shown["seed"] is None and shown["outcome_weights"]["success"] == 70
    assert (await sim_api.get("/v1/simulator")).json() == shown


async def test_expired_settings_show_the_defaults_in_force(
    sim_api: httpx.AsyncClient, db: Any
) -> None:
    """After expires_at the defaults are in force; GET says so (the past expires_at, is_default)."""
    put = await sim_api.put(
        "/v1/simulator",
        json=settings_body(expires_at=iso(datetime.now(UTC) + timedelta(minutes=5))),
    )
    assert put.json()["is_default"] is False
    past = datetime.now(UTC) - timedelta(seconds=1)
    await db["simulator_settings"].update_one(
        {"_id": MERCHANT}, {"$set": {"values.expires_at": past}}
    )
    shown = (await sim_api.get("/v1/simulator")).json()
    assert shown["is_default"] is True and shown["version"] == put.json()["version"]
    assert shown["expires_at"] == iso(past)
    assert shown["seed"] is None and shown["outcome_weights"]["success"] == 70


def _bad(path: str, value: Any) -> dict[str, Any]:
    body = settings_body()
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return body


BAD_SETTINGS = [
    ("rate above 1", _bad("api.error_rate", 1.5), "api.error_rate"),
    ("negative rate", _bad("webhooks.drop_rate", -0.1), "webhooks.drop_rate"),
    ("rate as a string", _bad("webhooks.duplicate_rate", "0.5"), "webhooks.duplicate_rate"),
    ("rate as a bool", _bad("webhooks.bad_signature_rate", True), "webhooks.bad_signature_rate"),
    ("min above max", _bad("gateway_latency_ms", {"min": 50, "max": 10}), "gateway_latency_ms"),
    ("negative latency", _bad("api.latency_ms", {"min": -1, "max": 10}), "api.latency_ms.min"),
    (
        "latency past the deadline",
        _bad("webhooks.delay_ms", {"min": 0, "max": 24_001}),
        "webhooks.delay_ms.max",
    ),
    ("huge latency", _bad("gateway_latency_ms", {"min": 0, "max": 10**30}), None),
    (
        "weights all zero",
        _bad("outcome_weights", {"success": 0, "timeout": 0, "hard_failure": 0}),
        "outcome_weights",
    ),
    ("negative weight", _bad("outcome_weights.timeout", -1), "outcome_weights.timeout"),
    ("float weight", _bad("outcome_weights.success", 1.5), "outcome_weights.success"),
    ("unknown error_mode", _bad("api.error_mode", "sometimes"), "api.error_mode"),
    ("expiry in the past", _bad("expires_at", "2020-01-01T00:00:00Z"), "expires_at"),
    ("expiry without a zone", _bad("expires_at", "2999-01-01T00:00:00"), "expires_at"),
    ("expiry as a number", _bad("expires_at", 4102444800), "expires_at"),
    ("seed as a string", _bad("seed", "7"), "seed"),
    ("seed as a float", _bad("seed", 7.5), "seed"),
    ("negative seed", _bad("seed", -1), "seed"),
    ("huge seed", _bad("seed", 2**64), "seed"),
    ("unknown top-level field", _bad("chaos", 1), "chaos"),
    ("unknown nested field", _bad("api.error_code", "x"), "api.error_code"),
    ("missing section", _bad("webhooks", KeyError), "webhooks"),
    ("missing seed", _bad("seed", KeyError), "seed"),
    ("section not an object", _bad("api", [1, 2]), "api"),
    ("wrong object name", _bad("object", "payment"), "object"),
]


@pytest.mark.parametrize(("case", "body", "param"), BAD_SETTINGS, ids=[c[0] for c in BAD_SETTINGS])
async def test_a_bad_put_is_refused_and_changes_nothing(
    sim_api: httpx.AsyncClient, case: str, body: dict[str, Any], param: str | None
) -> None:
    before = (await sim_api.put("/v1/simulator", json=settings_body())).json()
    refused = await sim_api.put("/v1/simulator", json=body)
    assert refused.status_code == 400, (case, refused.text)
    error = refused.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param is not None:
        assert error["param"] == param, error
    assert (await sim_api.get("/v1/simulator")).json() == before


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {}),
        (b"[]", {}),
        (b'{"seed": ', {}),
        (b"\xff\xfe", {}),
        (b'{"seed": ' + b"9" * 5000 + b"}", {}),
        (b"[" * 5000 + b"]" * 5000, {}),
        (b"seed=7", {"content-type": "application/x-www-form-urlencoded"}),
    ],
)
async def test_malformed_bodies_are_refused_and_change_nothing(
    sim_api: httpx.AsyncClient, content: bytes, headers: dict[str, str]
) -> None:
    before = (await sim_api.put("/v1/simulator", json=settings_body())).json()
    sent = {"content-type": "application/json", **headers}
    refused = await sim_api.put("/v1/simulator", content=content, headers=sent)
    assert refused.status_code in (400, 413, 415), refused.text
    assert set(refused.json()) == {"error"}
    assert (await sim_api.get("/v1/simulator")).json() == before


async def test_the_routes_need_an_api_key(payments_api: httpx.AsyncClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        answer = await payments_api.request(
            method, "/v1/simulator", headers={"Authorization": "Bearer sk_test_nobody"}
        )
        assert answer.status_code == 401, method
        assert answer.json()["error"]["type"] == "authentication_error"


async def test_a_change_written_elsewhere_is_in_force_here_within_2_s(
    sim_api: httpx.AsyncClient, db: Any
) -> None:
    """Another process's PUT (a direct write here) reaches this process's cache within 2 s."""
    gw = await bootstrap.gateway()
    assert gw.simulator_cache.ttl_s <= 1.0
    version = (await sim_api.put("/v1/simulator", json=settings_body())).json()["version"]
    assert (await settings_in_force(gw, MERCHANT)).version == version  # now cached
    await db["simulator_settings"].update_one(
        {"_id": MERCHANT}, {"$inc": {"version": 1}, "$set": {"values.seed": 99}}
    )
    deadline = time.monotonic() + 10
    seen = await settings_in_force(gw, MERCHANT)
    while seen.seed != 99 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        seen = await settings_in_force(gw, MERCHANT)
    assert seen.seed == 99 and seen.version == version + 1


async def test_process_payment_uses_the_merchants_outcome_weights(
    sim_api: httpx.AsyncClient,
    create_api: httpx.AsyncClient,
    relay: QStashRelay,
) -> None:
    """All hard failures: every unscripted payment fails at once with a catalog decline."""
    weights = {"success": 0, "timeout": 0, "hard_failure": 1}
    await put_in_force(sim_api, settings_body(outcome_weights=weights))
    codes = set()
    for _ in range(4):
        body = payment_body(scenario=None, payment_method=copy.deepcopy(PLAIN_CARD))
        created = await create_api.post(
            "/v1/payments", json=body, headers={"Idempotency-Key": new_key()}
        )
        detail = await wait_settled(sim_api, created.json()["id"])
        assert detail["status"] == "FAILED" and detail["attempts"] == 1
        failure = detail["failure"]
        assert failure["code"] in CARD_DECLINES
        assert failure["advice_code"] == CARD_DECLINES[failure["code"]].advice_code
        codes.add(failure["code"])
    assert codes


async def test_process_payment_uses_the_merchants_timeouts(
    sim_api: httpx.AsyncClient,
    create_api: httpx.AsyncClient,
    relay: QStashRelay,
) -> None:
    weights = {"success": 0, "timeout": 1, "hard_failure": 0}
    await put_in_force(sim_api, settings_body(outcome_weights=weights))
    body = payment_body(scenario=None, payment_method=copy.deepcopy(PLAIN_CARD))
    created = await create_api.post(
        "/v1/payments", json=body, headers={"Idempotency-Key": new_key()}
    )
    pid = created.json()["id"]
    relay.expect_5xx(pid, count=2)
    detail = await wait_settled(sim_api, pid)
    assert detail["status"] == "FAILED" and detail["attempts"] == 3
    assert detail["failure"]["code"] == "timeout"
    assert detail["failure"]["advice_code"] == "try_again_later"


async def test_the_openapi_document_describes_the_routes_and_their_errors(
    payments_api: httpx.AsyncClient,
) -> None:
    schema = (await payments_api.get("/openapi.json")).json()
    operations = schema["paths"]["/v1/simulator"]
    assert set(operations) == {"get", "put", "delete"}
    for operation in operations.values():
        assert {"200", "400", "401", "429", "503"} <= set(operation["responses"])
    body = operations["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"seed", "outcome_weights", "gateway_latency_ms", "api", "webhooks"} <= set(
        body["required"]
    )
    shown = schema["components"]["schemas"]["SimulatorOut"]["properties"]
    assert {"object", "version", "updated_at", "expires_at", "is_default"} <= set(shown)
    created = schema["paths"]["/v1/payments"]["post"]["requestBody"]["content"]
    assert "simulate" in created["application/json"]["schema"]["properties"]
    # Paygate-Fault: on the POSTs the API-fault dials apply to, not on the exempt setup routes.
    faultable = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "Paygate-Fault" for p in operation.get("parameters", []))
    }
    assert {
        ("/v1/payments", "post"),
        ("/v1/payments/{payment_id}/capture", "post"),
        ("/v1/refunds", "post"),
        ("/v1/disputes/{dispute_id}/close", "post"),
    } <= faultable
    assert all(method == "post" for _, method in faultable)
    assert not {p for p, _ in faultable if p.startswith(("/v1/simulator", "/v1/webhook_endpoints"))}
    [header] = [
        p
        for p in schema["paths"]["/v1/payments"]["post"]["parameters"]
        if p["name"] == "Paygate-Fault"
    ]
    assert header["in"] == "header" and header["schema"]["enum"] == [
        "before_commit",
        "after_commit",
    ]


async def test_each_merchant_has_its_own_settings(sim_api: httpx.AsyncClient, db: Any) -> None:
    other_key = "sk_test_simulator_other"
    await db["merchants"].replace_one(
        {"_id": "mer_sim_other"},
        {
            "_id": "mer_sim_other",
            "name": "other",
            "api_key_hash": hashlib.sha256(other_key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        },
        upsert=True,
    )
    await db["simulator_settings"].delete_one({"_id": "mer_sim_other"})
    put = await sim_api.put("/v1/simulator", json=settings_body(seed=42))
    assert put.json()["seed"] == 42
    other = {"Authorization": f"Bearer {other_key}"}
    theirs = (await sim_api.get("/v1/simulator", headers=other)).json()
    assert theirs["version"] == 0 and theirs["is_default"] is True and theirs["seed"] is None
    reset = await sim_api.delete("/v1/simulator", headers=other)
    assert reset.json()["version"] == 1
    assert (await sim_api.get("/v1/simulator")).json() == put.json()
