"""The API-only collector (no Mongo URI): pagination, details, normalised trail."""

from __future__ import annotations

import httpx

from devstack.invariants import SentPayment, check_invariants
from devstack.load_collect import ApiSource, collect

USER = "load_test"


def _payment(index: int) -> dict[str, object]:
    pid = f"pay_{index:03d}"
    return {
        "id": pid,
        "idempotency_key": f"key-{index}",
        "status": "SUCCESS",
        "attempts": 1,
        "max_attempts": 3,
        "retry_count": 0,
        "failure": None,
        "webhook_status": "SUCCESS",
        "events": [
            {"id": f"evt_{pid}_0001", "from": "CREATED", "to": "PROCESSING", "attempt": 1,
             "generation": 1, "at": "2026-01-01T00:00:00.001Z"},
            {"id": f"evt_{pid}_0002", "from": "PROCESSING", "to": "SUCCESS", "attempt": 1,
             "generation": 1, "at": "2026-01-01T00:00:00.002Z"},
        ],
        "webhook_deliveries": [
            {"id": f"whd_{pid}", "event_id": f"msg_{pid}", "event_type": "payment.succeeded",
             "status": "SUCCESS", "attempt_count": 1, "payload": {}, "attempts": []},
        ],
    }  # fmt: skip


PAYMENTS = {p["id"]: p for p in (_payment(i) for i in range(150))}


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/payments":
        assert request.url.params["user_id"] == USER
        ordered = sorted(PAYMENTS, reverse=True)
        after = request.url.params.get("starting_after")
        if after:
            ordered = [pid for pid in ordered if pid < after]
        limit = int(request.url.params["limit"])
        page = [PAYMENTS[pid] for pid in ordered[:limit]]
        return httpx.Response(200, json={"data": page, "has_more": len(ordered) > limit})
    payment_id = request.url.path.rsplit("/", 1)[-1]
    return httpx.Response(200, json=PAYMENTS[payment_id])


async def test_api_source_collects_every_page_and_passes_the_checker() -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), base_url="http://api"
    ) as client:
        data = await collect(ApiSource(client), client, USER, None)
        progress = await ApiSource(client).progress(USER)
    assert len(data.payments) == 150
    assert progress.total == 150 and progress.unsettled == 0
    assert data.events["pay_007"][1]["to"] == "SUCCESS"
    assert data.deliveries["pay_007"][0]["body"] is None
    sent = [
        SentPayment(f"key-{i}", "success", {}, accepted=True, payment_id=f"pay_{i:03d}")
        for i in range(150)
    ]
    received = [
        {"webhook_id": f"msg_{pid}", "payment_id": pid, "valid_signature": True,
         "status_code": 200, "body_sha256": "x"}
        for pid in PAYMENTS
    ]  # fmt: skip
    violations = check_invariants(sent, data.payments, data.events, data.deliveries, received)
    assert violations == []
    del data.payments["pay_100"]
    lost = check_invariants(sent, data.payments, data.events, data.deliveries, received)
    assert [v.rule for v in lost] == ["payment_lost"]
