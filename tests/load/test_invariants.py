"""The invariant checker catches each kind of violation (and passes a consistent run)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from devstack.invariants import SentPayment, Violation
from devstack.load_records import CANCEL_EARLY, CAPTURE_FULL, SentRefund
from tests.load.runs import T0, MoneyRun, Run, event_body, object_trail, sha, trail_of


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
    run.events["pay_success"] = trail_of("pay_success", [("CREATED", "SUCCESS", 1)])
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
    run.events["pay_success"] += trail_of("pay_successb", [("PROCESSING", "SUCCESS", 1)])
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
    run.events["pay_other"] = trail_of("pay_other", Run.MOVES["success"])
    assert "one_payment_per_key" in rules(run.check(webhooks_expected=False))


def test_replay_answering_another_payment() -> None:
    run = Run()
    run.sent[-1].payment_id = "pay_flaky"
    assert "one_payment_per_key" in rules(run.check())


def test_changed_redelivery_body() -> None:
    run = Run()
    again = {**run.receiver[0], "body_sha256": sha("something else")}
    run.receiver.append(again)
    found = run.check()
    assert "redelivery_body_changed" in rules(found)
    assert all(v.payment_id == "pay_success" for v in found)


def test_received_body_differs_from_the_stored_one() -> None:
    run = Run()
    run.deliveries["pay_flaky"][0]["body"] = event_body("pay_flaky", "payment.failed")
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


def _badly_signed_first(run: Run, then_valid: bool = True, status: int = 400) -> None:
    """pay_success's webhook arrives first with a bad signature (refused), then as recorded."""
    good = run.receiver[0]
    good["attempt"] = 2
    good["valid_signature"] = then_valid
    run.receiver.insert(0, {**good, "attempt": 1, "valid_signature": False, "status_code": status})


def test_a_simulated_bad_signature_is_allowed_only_on_a_refused_first_arrival() -> None:
    run = Run()
    _badly_signed_first(run)
    assert rules(run.check()) == {"invalid_signature"}  # the dial was off: a violation
    assert run.check(bad_signatures=True) == []


def test_under_the_bad_signature_dial_other_bad_arrivals_still_count() -> None:
    accepted = Run()
    _badly_signed_first(accepted, status=200)  # the receiver took a bad signature
    assert "invalid_signature" in rules(accepted.check(bad_signatures=True))
    never_fixed = Run()
    _badly_signed_first(never_fixed, then_valid=False)  # no correctly signed arrival followed
    assert "invalid_signature" in rules(never_fixed.check(bad_signatures=True))
    later = Run()
    later.receiver[0]["attempt"] = 1
    later.receiver.insert(
        1, {**later.receiver[0], "attempt": 2, "valid_signature": False, "status_code": 400}
    )
    assert "invalid_signature" in rules(later.check(bad_signatures=True))


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
    run.receiver.remove(taken)  # its delivery is replaced by the three
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


def _one_event_at_three_endpoints(run: Run, pid: str) -> None:
    """As paygate sends it: one webhook id for the event, at each endpoint's own URL."""
    [original] = run.deliveries[pid]
    run.deliveries[pid] = [
        {
            **original,
            "id": f"{original['id']}_{n}",
            "endpoint_id": f"we_{n}",
            "endpoint_url": f"http://127.0.0.1:8090/webhooks?endpoint=run-{n}",
        }
        for n in range(3)
    ]
    taken = next(r for r in run.receiver if r["webhook_id"] == original["event_id"])
    run.receiver.remove(taken)
    for n in range(3):
        run.receiver.append({**taken, "endpoint": f"run-{n}"})


def test_one_webhook_id_shared_by_endpoints_is_checked_per_endpoint() -> None:
    run = Run()
    for pid in list(run.payments):
        _one_event_at_three_endpoints(run, pid)
    assert run.check(endpoints=3) == []
    # The receiver took it at endpoints 0 and 1 only, although endpoint 2's delivery is SUCCESS.
    event_id = run.deliveries["pay_success"][0]["event_id"]
    run.receiver = [
        r for r in run.receiver if not (r["webhook_id"] == event_id and r["endpoint"] == "run-2")
    ]
    found = run.check(endpoints=3)
    assert rules(found) == {"webhook_missing"}
    assert {v.payment_id for v in found} == {"pay_success"}


def test_webhook_status_left_pending_although_every_endpoint_took_it() -> None:
    run = Run()
    _three_endpoints(run, "pay_success")
    run.payments["pay_success"]["webhook_status"] = "PENDING"
    assert rules(run.check(endpoints=None)) == {"webhook_status_mismatch"}


# Money movements: captures, cancels, refunds, disputes and their webhooks.


def test_a_consistent_money_run_passes() -> None:
    run = MoneyRun()
    api = copy.deepcopy(run.payments)
    assert run.check(api_payments=api, api_refunds=copy.deepcopy(run.api_refunds)) == []
    assert run.check(endpoints=1) == []


def test_capture_and_cancel_moves_are_legal_and_others_are_not() -> None:
    run = MoneyRun()
    run.events["pay_canceled"] = trail_of("pay_canceled", [("CREATED", "CANCELED", 0)])
    run.payments["pay_canceled"]["attempts"] = 0
    assert rules(run.check()) == {"webhook_unexpected"}  # it was never authorised
    run.undeliver("pay_canceled", "payment.requires_capture")
    assert run.check() == []  # canceled before the gateway answered
    run.events["pay_canceled"][-1]["from"] = "PROCESSING"  # PROCESSING → CANCELED
    assert "illegal_move" in rules(run.check())
    run = MoneyRun()
    run.events["pay_manual"][-1]["to"] = "FAILED"  # REQUIRES_CAPTURE → FAILED
    run.payments["pay_manual"]["status"] = "FAILED"
    assert "illegal_move" in rules(run.check())


def test_retrying_payment_canceled_early() -> None:
    run = MoneyRun()
    next(s for s in run.sent if s.payment_id == "pay_canceled").kind = "timeout"
    run.plan("pay_canceled").cancel = CANCEL_EARLY
    moves = [
        ("CREATED", "PROCESSING", 1),
        ("PROCESSING", "RETRYING", 1),
        ("RETRYING", "CANCELED", 1),
    ]
    run.events["pay_canceled"] = trail_of("pay_canceled", moves)
    run.undeliver("pay_canceled", "payment.requires_capture")
    assert run.check() == []


def test_manual_payment_ending_otherwise_than_its_plan() -> None:
    run = MoneyRun()
    run.plan("pay_canceled").capture, run.plan("pay_canceled").cancel = CAPTURE_FULL, None
    assert rules(run.check()) == {"outcome_mismatch"}  # a capture plan ended CANCELED


def test_automatic_success_capturing_less_than_its_amount() -> None:
    run = MoneyRun()
    run.payments["pay_failcard"]["amount_captured"] = 999
    assert rules(run.check()) == {"capture_mismatch"}


def test_manual_capture_of_another_amount_than_asked() -> None:
    run = MoneyRun()
    run.plan("pay_manual").capture_amount = 800
    assert rules(run.check()) == {"capture_mismatch"}


def test_canceled_payment_with_something_captured() -> None:
    run = MoneyRun()
    run.payments["pay_canceled"]["amount_captured"] = 1
    assert rules(run.check()) == {"capture_mismatch"}


def test_captured_more_than_the_amount() -> None:
    run = MoneyRun()
    run.payments["pay_manual"]["amount_captured"] = 1001
    run.plan("pay_manual").capture_amount = 1001
    assert rules(run.check()) == {"capture_mismatch"}


def test_amount_refunded_not_the_sum_of_succeeded_refunds() -> None:
    run = MoneyRun()
    run.payments["pay_manual"]["amount_refunded"] = 300
    assert rules(run.check()) == {"refund_sum_mismatch"}
    run = MoneyRun()
    run.payments["pay_failcard"]["amount_refunded"] = 400  # a FAILED refund counted
    assert rules(run.check()) == {"refund_sum_mismatch"}


def test_refunds_adding_up_to_more_than_captured() -> None:
    run = MoneyRun()
    run.refunds["re_m1"]["amount"] = 451  # 300 + 451 > 750
    run.payments["pay_manual"]["amount_refunded"] = 751
    assert "over_refunded" in rules(run.check())


def test_pending_refunds_count_against_what_was_captured() -> None:
    run = MoneyRun()
    run.refunds["re_m2"] = {
        "id": "re_m2",
        "payment": "pay_manual",
        "amount": 251,
        "status": "PENDING",
    }
    assert {"over_refunded", "refund_not_final"} <= rules(run.check())


def test_request_over_the_limit_accepted() -> None:
    run = MoneyRun()
    over = run.plan("pay_manual").sent_refunds[-1]
    over.accepted, over.refund_id, over.error, over.error_code = True, "re_x", None, None
    assert "over_refunded" in rules(run.check())
    # Accepted (a retry replayed a request that died before its reservation), then failed.
    run = MoneyRun()
    over = run.plan("pay_manual").sent_refunds.pop()
    run.refund("pay_manual", "re_x", over.key, over.amount, "FAILED")
    run.plan("pay_manual").sent_refunds[-1].over_limit = True
    assert run.check() == []


def test_request_over_the_limit_accepted_because_another_refund_lost_its_room() -> None:
    """A refund inserted before a crash and reserved after the probe: the probe took its room,
    so that one ends FAILED `amount_too_large` — not an over-refund (the sums still hold)."""
    run = MoneyRun()
    over = run.plan("pay_manual").sent_refunds[-1]
    over.accepted, over.refund_id, over.error, over.error_code = True, "re_x", None, None
    run.refunds["re_m1"]["status"] = "FAILED"
    run.refunds["re_m1"]["failure"] = {"code": "amount_too_large", "message": "no room left"}
    assert "over_refunded" not in rules(run.check())


def test_refund_reservation_not_the_pending_and_succeeded_refunds() -> None:
    run = MoneyRun()
    run.payments["pay_manual"]["refund_reserved"] = 500
    run.payments["pay_failcard"]["refund_reserved"] = 0  # its refund failed: freed
    assert run.check() == []
    run.payments["pay_failcard"]["refund_reserved"] = 400
    assert rules(run.check()) == {"refund_reservation_mismatch"}


def test_a_refund_that_ended_otherwise_than_its_payment_decided() -> None:
    run = MoneyRun()
    run.payments["pay_manual"].update(
        refund_ids=["re_m0", "re_m1"],
        settled_refund_ids=["re_m0", "re_m1"],
        refunded_ids=["re_m0", "re_m1"],
    )
    run.payments["pay_failcard"].update(refund_ids=["re_f0"], settled_refund_ids=["re_f0"])
    assert run.check() == []
    run.payments["pay_manual"]["refunded_ids"] = ["re_m0"]  # re_m1 decided FAILED, yet SUCCEEDED
    run.payments["pay_failcard"]["settled_refund_ids"] = []  # re_f0 FAILED, never decided
    found = [v for v in run.check() if v.rule == "refund_decision_mismatch"]
    assert {v.payment_id for v in found} == {"pay_manual", "pay_failcard"}


def test_refund_of_a_payment_that_did_not_succeed() -> None:
    run = MoneyRun()
    run.refunds["re_c"] = {"id": "re_c", "payment": "pay_canceled", "amount": 1, "status": "FAILED"}
    run.object_trails["re_c"] = object_trail("re_c", [(None, "PENDING"), ("PENDING", "FAILED")])
    run.deliver("pay_canceled", "re_c", "refund.failed")
    assert rules(run.check()) == {"refund_not_allowed"}


def test_refund_left_pending() -> None:
    run = MoneyRun()
    run.refunds["re_f0"]["status"] = "PENDING"
    run.object_trails["re_f0"].pop()
    run.undeliver("pay_failcard", "refund.failed")  # not sent yet
    assert rules(run.check()) == {"refund_not_final"}


@pytest.mark.parametrize(
    "moves",
    [
        [(None, "PENDING")],  # no final move
        [(None, "PENDING"), ("PENDING", "FAILED"), ("FAILED", "SUCCEEDED")],  # two, illegal
        [(None, "PENDING"), ("PENDING", "SUCCEEDED")],  # ends elsewhere than the refund
        [(None, "PENDING"), ("PENDING", "FAILED"), ("PENDING", "FAILED")],  # two final moves
    ],
)
def test_refund_trail_without_exactly_one_final_move(moves: list[tuple[str | None, str]]) -> None:
    run = MoneyRun()
    run.object_trails["re_f0"] = object_trail("re_f0", moves)
    assert rules(run.check()) == {"refund_trail"}


def test_refund_of_the_failing_card_that_succeeded() -> None:
    run = MoneyRun()
    run.refunds["re_f0"]["status"] = "SUCCEEDED"
    run.payments["pay_failcard"]["amount_refunded"] = 400
    run.object_trails["re_f0"][-1]["to"] = "SUCCEEDED"
    for delivery in run.deliveries["pay_failcard"]:
        delivery["event_type"] = delivery["event_type"].replace("refund.failed", "refund.succeeded")
    assert rules(run.check()) == {"refund_outcome_mismatch"}


def test_refund_key_never_accepted() -> None:
    run = MoneyRun()
    run.plan("pay_failcard").sent_refunds.append(
        SentRefund("key-x", "pay_failcard", 5, status_code=503, error="HTTP 503")
    )
    assert rules(run.check()) == {"refund_not_accepted"}


def test_accepted_refund_not_stored() -> None:
    run = MoneyRun()
    del run.refunds["re_f0"]
    run.payments["pay_failcard"]["amount_refunded"] = 0
    found = run.check()
    assert "refund_lost" in rules(found)


def test_refund_replay_answering_another_refund() -> None:
    run = MoneyRun()
    replay = next(r for r in run.plan("pay_manual").sent_refunds if r.replay_of)
    replay.refund_id = "re_m1"
    assert rules(run.check()) == {"one_refund_per_key"}
    replay.refund_id, replay.replayed = "re_m0", False  # a 201 that was not a replay
    assert rules(run.check()) == {"one_refund_per_key"}


def test_two_refunds_stored_for_one_key() -> None:
    run = MoneyRun()
    run.refunds["re_m1"]["idempotency_key"] = "key-pay_manual-re0"
    assert rules(run.check()) == {"one_refund_per_key"}


@pytest.mark.parametrize("change", ["status", "amount", "missing", "extra"])
def test_api_disagreeing_with_the_database_about_a_refund(change: str) -> None:
    run = MoneyRun()
    api = copy.deepcopy(run.api_refunds)
    if change == "missing":
        del api["re_m1"]
    elif change == "extra":
        api["re_zz"] = {**api["re_m1"], "id": "re_zz"}
    else:
        api["re_m1"][change] = {"status": "FAILED", "amount": 1}[change]
    assert rules(run.check(api_refunds=api)) == {"api_mismatch"}


def test_dispute_card_without_a_dispute_and_a_dispute_on_another_card() -> None:
    run = MoneyRun()
    dispute = run.disputes.pop("dp_1")
    run.undeliver("pay_disputed", "dispute.created")
    run.undeliver("pay_disputed", "dispute.closed")
    assert rules(run.check()) == {"dispute_missing"}
    run = MoneyRun()
    run.payments["pay_disputed"]["payment_method"]["last4"] = "4242"
    assert rules(run.check()) == {"dispute_unexpected"}
    assert dispute["id"] == "dp_1"


def test_dispute_left_open() -> None:
    run = MoneyRun()
    run.disputes["dp_1"]["status"] = "UNDER_REVIEW"
    run.object_trails["dp_1"].pop()
    run.undeliver("pay_disputed", "dispute.closed")  # not sent yet
    assert rules(run.check()) == {"dispute_not_final"}


@pytest.mark.parametrize(
    "moves",
    [
        [(None, "NEEDS_RESPONSE"), ("NEEDS_RESPONSE", "WON")],  # won without a review
        [(None, "NEEDS_RESPONSE"), ("NEEDS_RESPONSE", "UNDER_REVIEW")],  # no closing move
        [
            (None, "NEEDS_RESPONSE"),
            ("NEEDS_RESPONSE", "UNDER_REVIEW"),
            ("UNDER_REVIEW", "LOST"),
            ("LOST", "WON"),
        ],  # two closing moves, one illegal
        [(None, "NEEDS_RESPONSE"), ("UNDER_REVIEW", "WON")],  # starts where it never was
    ],
)
def test_dispute_trail_broken(moves: list[tuple[str | None, str]]) -> None:
    run = MoneyRun()
    run.object_trails["dp_1"] = object_trail("dp_1", moves)
    assert rules(run.check()) == {"dispute_trail"}


def test_dispute_won_without_winning_evidence_or_lost_with_it() -> None:
    run = MoneyRun()
    run.disputes["dp_1"]["evidence"] = run.plan("pay_disputed").evidence = "no proof at all"
    assert rules(run.check()) == {"dispute_outcome_mismatch"}
    run = MoneyRun()
    run.disputes["dp_1"]["status"] = "LOST"
    run.object_trails["dp_1"][-1]["to"] = "LOST"
    assert rules(run.check()) == {"dispute_outcome_mismatch"}


def test_accepted_dispute_that_was_won() -> None:
    run = MoneyRun()
    plan = run.plan("pay_disputed")
    plan.dispute, plan.evidence, plan.closed = "accept", None, True
    assert rules(run.check()) == {"dispute_outcome_mismatch"}


def test_money_request_refused_or_unanswered() -> None:
    run = MoneyRun()
    run.plan("pay_manual").errors.append("capture: 400 amount_too_large")
    assert rules(run.check()) == {"money_action_failed"}


def test_authorised_payment_without_its_requires_capture_webhook() -> None:
    run = MoneyRun()
    run.undeliver("pay_manual", "payment.requires_capture")
    assert rules(run.check()) == {"webhook_missing"}


@pytest.mark.parametrize(
    ("pid", "event_type"),
    [
        ("pay_canceled", "payment.canceled"),
        ("pay_failcard", "refund.failed"),
        ("pay_manual", "refund.succeeded"),
        ("pay_disputed", "dispute.created"),
        ("pay_disputed", "dispute.closed"),
    ],
)
def test_final_object_without_its_webhook(pid: str, event_type: str) -> None:
    run = MoneyRun()
    object_id = next(d["object_id"] for d in run.deliveries[pid] if d["event_type"] == event_type)
    run.undeliver(pid, event_type, object_id)
    assert rules(run.check()) == {"webhook_missing"}


def test_object_event_delivered_twice_to_one_endpoint() -> None:
    run = MoneyRun()
    again = {**run.deliveries["pay_failcard"][-1], "id": "whd_again", "event_id": "msg_again"}
    run.deliveries["pay_failcard"].append(again)
    taken = next(r for r in run.receiver if r.get("object_id") == "re_f0")
    run.receiver.append({**taken, "webhook_id": "msg_again"})
    found = run.check()
    assert rules(found) == {"webhook_duplicated"}
    assert any("the receiver took 2 webhook ids" in v.message for v in found)


def test_receiver_taking_a_webhook_id_no_delivery_records() -> None:
    run = MoneyRun()
    taken = next(r for r in run.receiver if r.get("object_id") == "dp_1")
    run.receiver.append({**taken, "webhook_id": "msg_other"})
    assert rules(run.check()) == {"webhook_unrecorded"}
    run.receiver[-1]["status_code"] = 500  # not taken: nothing to tell apart
    assert run.check() == []


def test_the_same_webhook_id_arriving_twice_counts_once() -> None:
    run = MoneyRun()
    taken = next(r for r in run.receiver if r.get("object_id") == "re_m0")
    run.receiver.append(dict(taken))
    assert run.check() == []


def test_webhook_of_an_event_the_object_did_not_send() -> None:
    run = MoneyRun()
    run.deliver("pay_canceled", "pay_canceled", "payment.succeeded")
    assert rules(run.check()) == {"webhook_unexpected"}
    run = MoneyRun()
    run.deliver("pay_failcard", "re_f0", "refund.succeeded")
    assert rules(run.check()) == {"webhook_unexpected"}


def test_refund_webhook_still_pending() -> None:
    run = MoneyRun()
    delivery = next(d for d in run.deliveries["pay_manual"] if d["object_id"] == "re_m1")
    delivery["status"] = "PENDING"
    assert rules(run.check()) == {"webhook_not_settled"}


def test_webhook_status_follows_the_latest_settling_event() -> None:
    run = MoneyRun()
    latest = next(d for d in run.deliveries["pay_manual"] if d["event_type"] == "payment.succeeded")
    latest["status"] = "FAILED"
    assert rules(run.check()) == {"webhook_status_mismatch"}
    run.payments["pay_manual"]["webhook_status"] = "FAILED"
    assert run.check() == []


def test_endpoints_counted_per_event_type() -> None:
    run = MoneyRun()
    subscribed = dict.fromkeys(
        [
            "payment.succeeded",
            "payment.failed",
            "payment.canceled",
            "payment.requires_capture",
            "refund.succeeded",
            "refund.failed",
            "dispute.created",
            "dispute.closed",
        ],
        1,
    )
    assert run.check(endpoints=subscribed) == []
    found = run.check(endpoints={**subscribed, "refund.succeeded": 2})
    assert rules(found) == {"webhook_missing"}
    assert {v.payment_id for v in found} == {"pay_manual"}
    # An event nobody subscribes to must not be delivered at all.
    assert rules(run.check(endpoints={**subscribed, "dispute.closed": 0})) == {"webhook_missing"}
    run.undeliver("pay_disputed", "dispute.closed")
    assert run.check(endpoints={**subscribed, "dispute.closed": 0}) == []
