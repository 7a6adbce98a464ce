"""Hypothesis against the running functions: malformed bodies on every public route that takes
one. Deep nesting, huge numbers, lone surrogates, control characters and invalid UTF-8, each
placed anywhere in an otherwise valid body: always 400 in the error envelope, never a 500.
Seeded, so a failure reproduces with the same inputs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

SEED = 20_261_202
EXAMPLES = 40
AUTH = {"Authorization": "Bearer sk_test_demo"}
ROUTES = ["/v1/payments", "/v1/webhook_endpoints"]
MAX_BODY_BYTES = 32_768
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def valid_body(route: str) -> dict[str, Any]:
    if route == "/v1/payments":
        return {
            "amount": 1999,
            "currency": "USD",
            "payment_method": {"type": "card", "card_number": "4242424242424242"},
            "user_id": "user_fuzz",
            "description": "fuzz",
            "metadata": {"note": "n"},
        }
    return {"url": "http://127.0.0.1:9/fuzz", "description": "fuzz"}


STRING_FIELDS = {
    "/v1/payments": ["currency", "user_id", "description", "metadata.note", "payment_method.vpa"],
    "/v1/webhook_endpoints": ["url", "description"],
}


def with_string(route: str, field: str, make: Any) -> dict[str, Any]:
    """The valid body with `field` (dotted) set to make(old value)."""
    body = valid_body(route)
    if field == "payment_method.vpa":
        body["payment_method"] = {"type": "upi", "vpa": "success@paygate"}
    target = body
    *parents, last = field.split(".")
    for part in parents:
        target = target[part]
    target[last] = make(target[last])
    return body


@pytest.fixture(scope="module")
def client(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack_cfg.functions_url, headers=AUTH, timeout=30) as c:
        yield c


def post_raw(client: httpx.Client, route: str, raw: bytes) -> httpx.Response:
    headers = {"content-type": "application/json", "Idempotency-Key": f"fz-{uuid.uuid4().hex}"}
    return client.post(route, content=raw, headers=headers)


def assert_400(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) <= {"type", "code", "message", "param"}
    assert error["type"] == "invalid_request_error"
    return error  # type: ignore[no-any-return]


@st.composite
def deep_nesting(draw: st.DrawFn) -> bytes:
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    # Up to the body limit (beyond it the answer is 413 before any parsing).
    most = (MAX_BODY_BYTES - 100) // (len(opener) + len(closer))
    depth = draw(st.integers(min_value=33, max_value=most))
    closed = draw(st.booleans())
    core = opener * depth + b"1" + (closer * depth if closed else b"")
    where = draw(st.sampled_from(["root", "metadata", "amount"]))
    if where == "root":
        return core
    return b'{"amount": 1, "' + where.encode() + b'": ' + core + b"}"


@st.composite
def huge_number(draw: st.DrawFn) -> bytes:
    digits = draw(st.integers(min_value=65, max_value=8_000))
    number = b"9" * digits
    suffix = draw(st.sampled_from([b"", b".5", b"e10", b"e999999"]))
    sign = draw(st.sampled_from([b"", b"-"]))
    field = draw(st.sampled_from([b"amount", b"user_id", b"metadata"]))
    return b'{"' + field + b'": ' + sign + number + suffix + b"}"


@given(data=st.data(), route=st.sampled_from(ROUTES))
@seed(SEED)
@FUZZ
def test_deep_nesting_is_400(client: httpx.Client, data: st.DataObject, route: str) -> None:
    assert_400(post_raw(client, route, data.draw(deep_nesting())))


@given(data=st.data(), route=st.sampled_from(ROUTES))
@seed(SEED)
@FUZZ
def test_huge_numbers_are_400(client: httpx.Client, data: st.DataObject, route: str) -> None:
    assert_400(post_raw(client, route, data.draw(huge_number())))


@given(
    data=st.data(),
    route=st.sampled_from(ROUTES),
    surrogate=st.integers(min_value=0xD800, max_value=0xDFFF),
    in_key=st.booleans(),
)
@seed(SEED)
@FUZZ
def test_lone_surrogates_are_400(
    client: httpx.Client, data: st.DataObject, route: str, surrogate: int, in_key: bool
) -> None:
    escape = f"\\u{surrogate:04x}"
    if in_key:
        raw = json.dumps({**valid_body(route), "k": "v"}).replace('"k"', f'"k{escape}"')
    else:
        field = data.draw(st.sampled_from(STRING_FIELDS[route]))
        marker = "SURROGATE_HERE"
        body = with_string(route, field, lambda old: old[:1] + marker + old[1:])
        raw = json.dumps(body).replace(marker, escape)
    assert_400(post_raw(client, route, raw.encode()))


CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]


@given(
    data=st.data(),
    route=st.sampled_from(ROUTES),
    char=st.sampled_from(CONTROL),
    position=st.integers(min_value=0, max_value=40),
)
@seed(SEED)
@FUZZ
def test_control_characters_are_400_naming_the_field(
    client: httpx.Client, data: st.DataObject, route: str, char: str, position: int
) -> None:
    field = data.draw(st.sampled_from(STRING_FIELDS[route]))

    def insert(old: str) -> str:
        at = min(position, len(old))
        return old[:at] + char + old[at:]

    body = with_string(route, field, insert)
    error = assert_400(post_raw(client, route, json.dumps(body).encode()))
    assert str(error.get("param", "")).startswith(field), error


@given(
    route=st.sampled_from(ROUTES),
    garbage=st.binary(min_size=1, max_size=8).filter(lambda b: not _is_utf8(b)),
    position=st.integers(min_value=0, max_value=200),
)
@seed(SEED)
@FUZZ
def test_invalid_utf8_is_400(
    client: httpx.Client, route: str, garbage: bytes, position: int
) -> None:
    raw = json.dumps(valid_body(route)).encode()
    at = min(position, len(raw))
    assert_400(post_raw(client, route, raw[:at] + garbage + raw[at:]))


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
