"""Input limits at the edge: body size (413), metadata size, amount bounds, header lengths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.security.helpers import create_payment, payment_body

MAX_BODY_BYTES = 32_768  # PAYGATE_MAX_BODY_BYTES default
MAX_AMOUNT = 100_000_000  # PAYGATE_MAX_AMOUNT default


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) <= {"type", "code", "message", "param"}
    if code is not None:
        assert error["code"] == code, error
    return error  # type: ignore[no-any-return]


def big_body(size: int) -> bytes:
    body = payment_body(description="x")
    raw = json.dumps(body).encode()
    body["description"] = "x" * (size - len(raw) + 1)
    return json.dumps(body).encode()


def test_body_over_the_limit_is_413(api: httpx.Client) -> None:
    raw = big_body(MAX_BODY_BYTES + 1)
    assert len(raw) == MAX_BODY_BYTES + 1
    response = api.post(
        "/v1/payments",
        content=raw,
        headers={"Idempotency-Key": "too-big-1", "content-type": "application/json"},
    )
    assert_error(response, 413, "body_too_large")


def test_streamed_body_over_the_limit_is_413(api: httpx.Client) -> None:
    """Chunked upload, no Content-Length: the limit is enforced while reading."""
    raw = big_body(MAX_BODY_BYTES * 2)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(raw), 4096):
            yield raw[start : start + 4096]

    response = api.post(
        "/v1/payments",
        content=chunks(),
        headers={"Idempotency-Key": "too-big-2", "content-type": "application/json"},
    )
    assert_error(response, 413, "body_too_large")


def test_webhook_endpoint_body_is_limited_too(api: httpx.Client) -> None:
    raw = json.dumps({"url": "http://127.0.0.1:9/x", "description": "d" * 40_000}).encode()
    response = api.post(
        "/v1/webhook_endpoints", content=raw, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": "v" for i in range(21)},  # too many keys
        {"k" * 41: "v"},  # key too long
        {"": "v"},  # empty key
        {"note": "v" * 501},  # value too long
        {"nested": {"a": "b"}},  # not a string
        {"n": 1},  # not a string
        ["a", "b"],  # not an object
    ],
    ids=["21-keys", "long-key", "empty-key", "long-value", "nested", "number", "list"],
)
def test_metadata_is_bounded(api: httpx.Client, metadata: Any) -> None:
    error = assert_error(create_payment(api, payment_body(metadata=metadata)), 400)
    assert error["param"].startswith("metadata")


def test_metadata_at_the_bounds_is_accepted(api: httpx.Client) -> None:
    metadata = {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(20)}
    response = create_payment(api, payment_body(metadata=metadata))
    assert response.status_code == 201, response.text
    assert response.json()["metadata"] == metadata


@pytest.mark.parametrize(
    "amount",
    [0, -1, MAX_AMOUNT + 1, 10**30, 12.5, "100", True, None],
    ids=["zero", "negative", "over-max", "huge", "float", "string", "bool", "null"],
)
def test_amount_is_bounded(api: httpx.Client, amount: Any) -> None:
    error = assert_error(create_payment(api, payment_body(amount=amount)), 400)
    assert error["param"] == "amount"


@pytest.mark.parametrize("amount", [1, MAX_AMOUNT])
def test_amount_at_the_bounds_is_accepted(api: httpx.Client, amount: int) -> None:
    response = create_payment(api, payment_body(amount=amount))
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == amount


def test_idempotency_key_length(api: httpx.Client) -> None:
    assert create_payment(api, key="k" * 255).status_code == 201
    error = assert_error(create_payment(api, key="k" * 256), 400, "idempotency_key_invalid")
    assert error["param"] == "Idempotency-Key"


@pytest.mark.parametrize("field,value", [("user_id", "u" * 101), ("description", "d" * 501)])
def test_text_fields_are_bounded(api: httpx.Client, field: str, value: str) -> None:
    error = assert_error(create_payment(api, payment_body(**{field: value})), 400)
    assert error["param"] == field


def test_request_id_header_is_truncated(api: httpx.Client) -> None:
    response = api.get("/v1/payments", params={"limit": 1}, headers={"X-Request-Id": "r" * 500})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "r" * 64


@pytest.mark.parametrize("header", ["Authorization", "Idempotency-Key", "X-Filler"])
def test_oversized_headers_are_431(api: httpx.Client, header: str) -> None:
    """uvicorn's httptools parser takes headers of any length; the app bounds them."""
    value = ("Bearer " if header == "Authorization" else "") + "h" * 9_000
    response = create_payment(api, headers={header: value})
    assert_error(response, 431, "headers_too_large")


def test_many_headers_are_431(api: httpx.Client) -> None:
    headers = {f"X-Filler-{i}": "h" * 4_000 for i in range(9)}
    assert_error(create_payment(api, headers=headers), 431, "headers_too_large")


def test_long_but_bounded_header_is_fine(api: httpx.Client) -> None:
    response = create_payment(api, headers={"X-Filler": "h" * 8_000})
    assert response.status_code == 201, response.text
