"""The invariant checker catches each kind of violation (and passes a consistent run)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.invariants import SentPayment, Violation, check_invariants

T0 = datetime(2026, 1, 1, tzinfo=UTC)
Doc = dict[str, Any]


def _events(payment_id: str, moves: list[tuple[str, str, int]]) -> list[Doc]:
    return [
        {
            "id": f"evt_{payment_id}_{version:04d}",
            "from": source,
            "to": target,
            "attempt": attempt,
            "generation": 1,
            "at": T0 + timedelta(milliseconds=version),
        }
        for version, (source, target, attempt) in enumerate(moves, start=1)
    ]


def _body(payment_id: str, event_type: str) -> str:
    return json.dumps({"type": event_type, "data": {"id": payment_id}}, separators=(",", ":"))


def _sha(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


class Run:
    """A fabricated, consistent run of three payments and one duplicate request."""

    MOVES = {
        "success": [("CREATED", "PROCESSING", 1), ("PROCESSING", "SUCCESS", 1)],
        "timeout": [
            ("CREATED", "PROCESSING", 1),
            ("PROCESSING", "RETRYING", 1),
            ("RETRYING", "PROCESSING", 2),
            ("PROCESSING", "RETRYING", 2),
            ("RETRYING", "PROCESSING", 3),
            ("PROCESSING", "FAILED", 3),
        ],
        "flaky": [
            ("CREATED", "PROCESSING", 1),
            ("PROCESSING", "RETRYING", 1),
            ("RETRYING", "PROCESSING", 2),
            ("PROCESSING", "SUCCESS", 2),
        ],
    }

    def __init__(self) -> None:
        self.sent: list[SentPayment] = []
        self.payments: dict[str, Doc] = {}
        self.events: dict[str, list[Doc]] = {}
        self.deliveries: dict[str, list[Doc]] = {}
        self.receiver: list[Doc] = []
        for kind, moves in self.MOVES.items():
            pid = f"pay_{kind}"
            status = moves[-1][1]
            attempts = moves[-1][2]
            self.sent.append(SentPayment(f"key-{kind}", kind, {}, accepted=True, payment_id=pid))
            self.payments[pid] = {
                "id": pid,
                "idempotency_key": f"key-{kind}",
                "status": status,
                "attempts": attempts,
                "max_attempts": 3,
                "retry_count": attempts - 1,
                "generation": 1,
                "failure": {"code": "timeout"} if status == "FAILED" else None,
                "webhook_status": "SUCCESS",
            }
            self.events[pid] = _events(pid, moves)
            event_type = "payment.succeeded" if status == "SUCCESS" else "payment.failed"
            body = _body(pid, event_type)
            self.deliveries[pid] = [
                {
                    "id": f"whd_{kind}",
                    "event_id": f"msg_{kind}",
                    "event_type": event_type,
                    "status": "SUCCESS",
                    "generation": 1,
                    "body": body,
                }
            ]
            self.receiver.append(
                {
                    "webhook_id": f"msg_{kind}",
                    "payment_id": pid,
                    "valid_signature": True,
                    "status_code": 200,
                    "body_sha256": _sha(body),
                }
            )
        self.sent.append(
            SentPayment(
                "key-success",
                "success",
                {},
                duplicate_of="key-success",
                accepted=True,
                payment_id="pay_success",
                replayed=True,
            )
        )

    def check(self, **kwargs: Any) -> list[Violation]:
        return check_invariants(
            self.sent, self.payments, self.events, self.deliveries, self.receiver, **kwargs
        )


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def test_a_consistent_run_passes() -> None:
    assert Run().check() == []


def test_a_consistent_run_passes_with_the_api_view() -> None:
    run = Run()
    api = copy.deepcopy(run.payments)
    assert run.check(api_payments=api) == []


def test_lost_payment() -> None:
    run = Run()
    del run.payments["pay_flaky"]
    found = run.check()
    assert "payment_lost" in rules(found)
    assert any(v.key == "key-flaky" for v in found if v.rule == "payment_lost")


def test_illegal_event_sequence() -> None:
    run = Run()
    run.events["pay_success"] = _events("pay_success", [("CREATED", "SUCCESS", 1)])
    assert "illegal_move" in rules(run.check())


def test_moves_out_of_order() -> None:
    run = Run()
    trail = run.events["pay_flaky"]
    trail[1]["from"], trail[2]["from"] = "RETRYING", "PROCESSING"
    assert "moves_out_of_order" in rules(run.check())


def test_event_going_back_in_time() -> None:
    run = Run()
    run.events["pay_flaky"][3]["at"] = T0 - timedelta(seconds=1)
    assert "moves_out_of_order" in rules(run.check())


def test_two_final_events() -> None:
    run = Run()
    run.events["pay_success"] += _events("pay_successb", [("PROCESSING", "SUCCESS", 1)])
    run.events["pay_success"][-1]["id"] = "evt_pay_success_0003"
    found = run.check()
    assert "one_final_event" in rules(found)
    assert "moves_out_of_order" in rules(found)  # it starts from PROCESSING after SUCCESS


def test_attempts_not_matching_the_scenario() -> None:
    run = Run()
    run.payments["pay_timeout"]["attempts"] = 2
    run.payments["pay_timeout"]["retry_count"] = 1
    assert "attempts_mismatch" in rules(run.check())


def test_wrong_outcome_for_the_scenario() -> None:
    run = Run()
    run.payments["pay_success"]["status"] = "FAILED"
    run.events["pay_success"][-1]["to"] = "FAILED"
    assert "outcome_mismatch" in rules(run.check())


def test_payment_not_final() -> None:
    run = Run()
    run.payments["pay_flaky"]["status"] = "RETRYING"
    assert "not_final" in rules(run.check())


def test_two_payments_for_one_key() -> None:
    run = Run()
    run.payments["pay_other"] = {**run.payments["pay_success"], "id": "pay_other"}
    run.events["pay_other"] = _events("pay_other", Run.MOVES["success"])
    assert "one_payment_per_key" in rules(run.check(webhooks_expected=False))


def test_replay_answering_another_payment() -> None:
    run = Run()
    run.sent[-1].payment_id = "pay_flaky"
    assert "one_payment_per_key" in rules(run.check())


def test_changed_redelivery_body() -> None:
    run = Run()
    again = {**run.receiver[0], "body_sha256": _sha("something else")}
    run.receiver.append(again)
    found = run.check()
    assert "redelivery_body_changed" in rules(found)
    assert all(v.payment_id == "pay_success" for v in found)


def test_received_body_differs_from_the_stored_one() -> None:
    run = Run()
    run.deliveries["pay_flaky"][0]["body"] = _body("pay_flaky", "payment.failed")
    assert "redelivery_body_changed" in rules(run.check())


def test_delivered_webhook_never_received() -> None:
    run = Run()
    run.receiver = [r for r in run.receiver if r["payment_id"] != "pay_timeout"]
    assert "webhook_missing" in rules(run.check())


def test_invalid_signature() -> None:
    run = Run()
    run.receiver[1]["valid_signature"] = False
    found = run.check()
    assert "invalid_signature" in rules(found)


def test_webhook_still_pending() -> None:
    run = Run()
    run.deliveries["pay_flaky"][0]["status"] = "PENDING"
    run.payments["pay_flaky"]["webhook_status"] = "PENDING"
    assert "webhook_not_settled" in rules(run.check())


def test_failed_delivery_needs_no_reception_but_a_failed_webhook_status() -> None:
    run = Run()
    run.deliveries["pay_flaky"][0]["status"] = "FAILED"
    run.receiver = [r for r in run.receiver if r["payment_id"] != "pay_flaky"]
    assert rules(run.check()) == {"webhook_status_mismatch"}
    run.payments["pay_flaky"]["webhook_status"] = "FAILED"
    assert run.check() == []


def test_key_never_accepted_and_refused() -> None:
    run = Run()
    run.sent.append(SentPayment("key-x", "success", {}, status_code=503, error="HTTP 503"))
    run.sent.append(SentPayment("key-y", "success", {}, status_code=400, error="rejected"))
    assert {"not_accepted", "request_rejected"} <= rules(run.check())


@pytest.mark.parametrize("field", ["status", "attempts", "webhook_status"])
def test_api_disagreeing_with_the_database(field: str) -> None:
    run = Run()
    api = copy.deepcopy(run.payments)
    api["pay_timeout"][field] = "SOMETHING ELSE"
    assert rules(run.check(api_payments=api)) == {"api_mismatch"}


def test_random_scenario_accepts_any_legal_end() -> None:
    run = Run()
    run.sent[0].kind = "random"
    run.payments["pay_success"]["status"] = "FAILED"
    run.payments["pay_success"]["failure"] = {"code": "card_declined"}
    run.events["pay_success"][-1]["to"] = "FAILED"
    run.deliveries["pay_success"][0]["event_type"] = "payment.failed"
    assert run.check() == []


def test_a_key_accepted_through_its_duplicate_counts_as_accepted() -> None:
    run = Run()
    original = run.sent[0]
    original.accepted, original.payment_id, original.status_code = False, None, 503
    assert run.check() == []


def _three_endpoints(run: Run, pid: str) -> None:
    """Give `pid` a final delivery per endpoint of three (all taken by the receiver)."""
    [original] = run.deliveries[pid]
    run.deliveries[pid] = [
        {
            **original,
            "id": f"{original['id']}_{n}",
            "event_id": f"{original['event_id']}_{n}",
            "endpoint_id": f"we_{n}",
        }
        for n in range(3)
    ]
    taken = next(r for r in run.receiver if r["webhook_id"] == original["event_id"])
    for n in range(3):
        run.receiver.append({**taken, "webhook_id": f"{original['event_id']}_{n}"})


def test_every_subscribed_endpoint_gets_the_final_event() -> None:
    run = Run()
    assert run.check(endpoints=1) == []
    found = run.check(endpoints=3)
    assert rules(found) == {"webhook_missing"}
    for pid in list(run.payments):
        _three_endpoints(run, pid)
    assert run.check(endpoints=3) == []
    run.deliveries["pay_flaky"].pop()
    assert {v.payment_id for v in run.check(endpoints=3)} == {"pay_flaky"}


def test_webhook_status_left_pending_although_every_endpoint_took_it() -> None:
    run = Run()
    _three_endpoints(run, "pay_success")
    run.payments["pay_success"]["webhook_status"] = "PENDING"
    assert rules(run.check(endpoints=None)) == {"webhook_status_mismatch"}
