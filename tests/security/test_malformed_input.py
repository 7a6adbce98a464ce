"""Malformed bodies answer 400 in the error envelope on every route that takes a body, never
500: deep nesting, numbers with thousands of digits, NaN, lone surrogates, invalid UTF-8, and
control characters in string fields (refused naming the field). Over HTTP to the stack."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.security.helpers import payment_body

BODY_ROUTES = ["/v1/payments", "/v1/webhook_endpoints", "/v1/refunds"]
JSON = {"content-type": "application/json"}

MALFORMED: dict[str, bytes] = {
    "nested-30k": b"[" * 30_000,  # under the 32 KiB body limit (over it: 413)
    "nested-object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "nested-in-field": b'{"amount": 1, "metadata": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "5000-digits": b'{"amount": 1' + b"0" * 5_000 + b"}",
    "5000-digit-float": b'{"amount": 1' + b"0" * 5_000 + b".5}",
    "huge-exponent": b'{"amount": 1e999999}',
    "nan": b'{"amount": NaN}',
    "infinity": b'{"amount": -Infinity}',
    "lone-surrogate": b'{"user_id": "\\ud800"}',
    "lone-low-surrogate-key": b'{"\\udc00": "x"}',
    "invalid-utf8": b'{"user_id": "\xff\xfe"}',
    "truncated-utf8": b'{"user_id": "\xe2\x82"}',
    "overlong-utf8": b'{"user_id": "\xc0\xaf"}',
    "utf16": json.dumps({"amount": 1}).encode("utf-16"),
    "not-json": b"{amount: 1}",
}


def assert_400(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) <= {"type", "code", "message", "param"}
    assert error["type"] == "invalid_request_error" and error["code"] and error["message"]
    assert "Traceback" not in response.text
    return error  # type: ignore[no-any-return]


def post(api: httpx.Client, path: str, raw: bytes) -> httpx.Response:
    headers = {**JSON, "Idempotency-Key": f"bad-{uuid.uuid4().hex}"}
    return api.post(path, content=raw, headers=headers)


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_body_is_400(api: httpx.Client, path: str, case: str) -> None:
    assert_400(post(api, path, MALFORMED[case]))


def test_deeply_nested_body_is_400(api: httpx.Client) -> None:
    error = assert_400(post(api, "/v1/payments", b"[" * 30_000))
    assert "nest" in error["message"] or "JSON" in error["message"]


def test_number_with_5000_digits_is_400(api: httpx.Client) -> None:
    error = assert_400(post(api, "/v1/payments", b'{"amount": 1' + b"0" * 5_000 + b"}"))
    assert "number" in error["message"]


def test_lone_surrogate_is_400(api: httpx.Client) -> None:
    raw = json.dumps(payment_body(user_id="\ud800")).encode()  # json escapes it: "\ud800"
    assert b"\\ud800" in raw
    error = assert_400(post(api, "/v1/payments", raw))
    assert error.get("param") == "user_id"


def test_invalid_utf8_is_400(api: httpx.Client) -> None:
    raw = json.dumps(payment_body(user_id="USER")).encode().replace(b"USER", b"\xff\xc3")
    assert_400(post(api, "/v1/payments", raw))


# Every C0 control character and DEL, in each string field of both bodies.
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]
PAYMENT_FIELDS = {
    "user_id": lambda c: payment_body(user_id=f"user{c}x"),
    "description": lambda c: payment_body(description=f"line{c}"),
    "currency": lambda c: payment_body(currency=f"US{c}"),
    "metadata.note": lambda c: payment_body(metadata={"note": f"a{c}b"}),
    "metadata": lambda c: payment_body(metadata={f"k{c}": "v"}),
    "payment_method.card_number": lambda c: payment_body(
        payment_method={"type": "card", "card_number": f"4242424242424242{c}"}
    ),
    "payment_method.vpa": lambda c: payment_body(
        payment_method={"type": "upi", "vpa": f"success{c}@paygate"}
    ),
    "payment_method.wallet": lambda c: payment_body(
        payment_method={"type": "wallet", "wallet": f"paytm{c}"}
    ),
}
ENDPOINT_FIELDS = {
    "url": lambda c: {"url": f"http://127.0.0.1:9/hook{c}"},
    "description": lambda c: {"url": "http://127.0.0.1:9/hook", "description": f"d{c}"},
}


@pytest.mark.parametrize("char", CONTROL, ids=[f"0x{ord(c):02x}" for c in CONTROL])
@pytest.mark.parametrize("field", sorted(PAYMENT_FIELDS))
def test_control_characters_in_payment_fields_are_400(
    api: httpx.Client, field: str, char: str
) -> None:
    raw = json.dumps(PAYMENT_FIELDS[field](char)).encode()
    error = assert_400(post(api, "/v1/payments", raw))
    assert error.get("param", "").startswith(field), error


@pytest.mark.parametrize("char", ["\x00", "\x01", "\n", "\x1f", "\x7f"])
@pytest.mark.parametrize("field", sorted(ENDPOINT_FIELDS))
def test_control_characters_in_endpoint_fields_are_400(
    api: httpx.Client, field: str, char: str
) -> None:
    raw = json.dumps(ENDPOINT_FIELDS[field](char)).encode()
    error = assert_400(post(api, "/v1/webhook_endpoints", raw))
    assert error.get("param") == field, error


def test_printable_unicode_is_still_accepted(api: httpx.Client) -> None:
    body = payment_body(description="café ☕ 日本 — ok", metadata={"note": "ünïcödé 😀"})
    response = post(api, "/v1/payments", json.dumps(body).encode())
    assert response.status_code == 201, response.text
    assert response.json()["metadata"] == {"note": "ünïcödé 😀"}


@pytest.mark.parametrize(
    "path", ["/v1/payments/pay_x/retry", "/v1/webhook_endpoints/we_x/rotate_secret"]
)
@pytest.mark.parametrize("case", ["nested-30k", "5000-digits", "invalid-utf8"])
def test_routes_without_a_body_ignore_a_malformed_one(
    api: httpx.Client, path: str, case: str
) -> None:
    response = post(api, path, MALFORMED[case])
    assert response.status_code < 500, response.text
    assert "error" in response.json()


def test_a_100k_nesting_is_413_before_it_is_parsed(api: httpx.Client) -> None:
    response = post(api, "/v1/payments", b"[" * 100_000)
    assert response.status_code == 413, response.text


@pytest.mark.parametrize(
    "path", ["/internal/process_payment", "/internal/dispatch_webhook", "/internal/process_refund"]
)
def test_internal_routes_answer_401_not_500(api: httpx.Client, path: str) -> None:
    response = post(api, path, MALFORMED["nested-30k"])
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/payments?user_id=%ED%A0%80",
        "/v1/payments?user_id=%FF%FE",
        "/v1/payments?user_id=%00",
        "/v1/payments?starting_after=pay_%00",
        "/v1/payments/pay_%ED%A0%80",
        "/v1/payments/%FF",
        "/v1/payments/pay_%00",
        "/v1/refunds?payment=pay_%00",
        "/v1/refunds?starting_after=%FF%FE",
        "/v1/refunds?limit=1e999",
        "/v1/refunds/re_%ED%A0%80",
        "/v1/refunds/re_%00",
    ],
)
def test_malformed_query_and_path_are_not_500(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code < 500, response.text
    assert "error" in response.json() or "data" in response.json()
