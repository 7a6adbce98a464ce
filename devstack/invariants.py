"""The invariants a load (or fault) run must keep, checked over data collected afterwards.

`check_invariants(sent, payments, events, deliveries, receiver_records, ...)` is pure: it
takes what the client sent and did and what the API, the database and the demo receiver hold,
and returns every `Violation` it finds (an empty list is a pass). `devstack.load_collect`
gathers that data from a running stack. Each violation names its `rule`:

- `not_accepted` / `request_rejected`: a key never got a 201 (or got a 4xx for a valid body);
- `payment_lost`: an accepted key has no payment record;
- `one_payment_per_key`: a key has several payments, or a replay answered another id;
- `not_final`: a payment is not SUCCESS, FAILED or CANCELED once the run settled;
- `illegal_move`, `moves_out_of_order`: the event trail breaks the state machine
  (`shared.domain.states`: capture and cancel moves included);
- `one_final_event`: a final payment has not exactly one event into its final state;
- `outcome_mismatch`, `attempts_mismatch`: the end state or attempt count is not the
  scenario's and the money plan's (for `random`: anything legal);
- `api_mismatch`: the public API shows a payment (or a refund) differently from the database;
- the money rules (captures, refunds, disputes): `devstack.invariants_money`;
- the webhook rules (every final object's events delivered exactly once per subscribed
  endpoint, signatures, bytes): `devstack.invariants_webhooks`;
- the stored-event rules (`event_missing`, `event_body_changed`: every settling move's event
  stored, every delivery carrying its stored bytes): `devstack.invariants_events`, when the
  stored events are known (`stored_events`; read from Mongo, not from the public API).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from devstack.invariants_events import check_stored_events
from devstack.invariants_money import check_money
from devstack.invariants_webhooks import (
    Endpoints,
    check_object_webhooks,
    check_receiver,
    check_webhook_status,
    object_events,
    payment_events,
)
from devstack.load_mix import ANY, KINDS, MAX
from devstack.load_records import CANCEL_EARLY, MoneyPlan, SentPayment
from devstack.violations import Check, Violation, earlier, generation
from shared.domain.states import FINAL_STATES, can_move

__all__ = ["SentPayment", "Violation", "check_invariants"]
Doc = dict[str, Any]
FINAL = {state.value for state in FINAL_STATES}
API_FIELDS = (
    "status",
    "attempts",
    "retry_count",
    "webhook_status",
    "idempotency_key",
    "capture_method",
    "amount_captured",
    "amount_refunded",
)


def check_invariants(
    sent: list[SentPayment],
    payments: dict[str, Doc],
    events: dict[str, list[Doc]],
    deliveries: dict[str, list[Doc]],
    receiver_records: list[Doc],
    *,
    webhooks_expected: bool = True,
    api_payments: dict[str, Doc] | None = None,
    endpoints: Endpoints = None,
    refunds: dict[str, Doc] | None = None,
    disputes: dict[str, Doc] | None = None,
    object_trails: dict[str, list[Doc]] | None = None,
    api_refunds: dict[str, Doc] | None = None,
    bad_signatures: bool = False,
    stored_events: dict[str, Doc] | None = None,
) -> list[Violation]:
    """Every broken invariant; see the module docstring for the rules.

    `payments` holds every payment of the run (keyed by id, with `idempotency_key`),
    `events` / `deliveries` the payments' own trail and the webhook deliveries per payment id
    (refund and dispute events included; delivery `body` is the stored string, or None when
    only the API view is known), `receiver_records` what the demo receiver recorded
    (`GET /deliveries`); `endpoints` how many endpoints of the merchant subscribe to each
    event type (a number for all, a mapping per type; None: at least one); `refunds` and
    `disputes` by id (with `payment`), `object_trails` their moves by object id;
    `bad_signatures`: the simulator's `webhooks.bad_signature_rate` was on (a delivery's first
    arrival may carry a bad signature, rejected, if a correctly signed one followed);
    `stored_events`: the `events` documents of the run's payments by id (None: not known, the
    stored-event rules are not checked).
    """
    check = Check()
    refunds, disputes = refunds or {}, disputes or {}
    by_key = _payments_by_key(payments)
    originals = {s.key: s for s in sent if s.duplicate_of is None}
    _check_keys(check, sent, by_key, payments)
    objects = object_events(refunds.values(), disputes.values())
    owned: dict[str, list[str]] = defaultdict(list)
    for item in [*refunds.values(), *disputes.values()]:
        owned[item.get("payment") or ""].append(item["id"])
    for payment_id, payment in payments.items():
        origin = originals.get(payment.get("idempotency_key", ""))
        trail = events.get(payment_id, [])
        _check_payment(check, payment_id, payment, trail, origin)
        if not webhooks_expected:
            continue
        sent_by_it = deliveries.get(payment_id, [])
        if payment.get("status") in FINAL:
            expected = payment_events(payment, trail)
            check_object_webhooks(
                check, payment_id, payment_id, expected, sent_by_it, endpoints, generation(payment)
            )
            check_webhook_status(check, payment_id, payment, sent_by_it, expected[-1])
        for object_id in owned.get(payment_id, []):
            check_object_webhooks(
                check, payment_id, object_id, objects.get(object_id, []), sent_by_it, endpoints
            )
    check_receiver(check, payments, deliveries, receiver_records, bad_signatures=bad_signatures)
    check_money(check, sent, payments, refunds, disputes, object_trails or {}, api_refunds)
    if stored_events is not None:
        check_stored_events(
            check,
            payments,
            events,
            refunds.values(),
            disputes.values(),
            deliveries,
            stored_events,
        )
    if api_payments is not None:
        _check_api(check, payments, api_payments)
    return check.violations


def _payments_by_key(payments: dict[str, Doc]) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = defaultdict(list)
    for payment_id, payment in payments.items():
        by_key[payment.get("idempotency_key", "")].append(payment_id)
    return by_key


def _check_keys(
    check: Check,
    sent: list[SentPayment],
    by_key: dict[str, list[str]],
    payments: dict[str, Doc],
) -> None:
    """Per key: accepted by some request, one payment id answered, that payment stored."""
    requests: dict[str, list[SentPayment]] = defaultdict(list)
    for item in sent:
        requests[item.duplicate_of or item.key].append(item)
    for key, items in requests.items():
        for item in items:
            if item.error == "rejected":
                check.add("request_rejected", f"a valid body got HTTP {item.status_code}", key=key)
        accepted = [item for item in items if item.accepted]
        if not accepted:
            if not any(item.error == "rejected" for item in items):
                last = items[-1].status_code
                check.add("not_accepted", f"never accepted (last status {last})", key=key)
            continue
        answered = {item.payment_id for item in accepted}
        if len(answered) > 1:
            check.add(
                "one_payment_per_key",
                f"requests were answered {sorted(map(str, answered))}",
                key=key,
            )
        for payment_id in answered:
            if payment_id not in payments:
                check.add("payment_lost", "accepted (201) but no payment record", payment_id, key)
        stored = by_key.get(key, [])
        if len(stored) > 1:
            check.add("one_payment_per_key", f"{len(stored)} payments: {sorted(stored)}", key=key)


def _check_payment(
    check: Check,
    payment_id: str,
    payment: Doc,
    trail: list[Doc],
    origin: SentPayment | None,
) -> None:
    status = payment.get("status")
    if status not in FINAL:
        check.add("not_final", f"still {status} after the run settled", payment_id)
        return
    _check_trail(check, payment_id, payment, trail)
    if origin is not None and origin.kind in KINDS:
        _check_outcome(check, payment_id, payment, origin.kind, origin.money)


def _check_trail(check: Check, payment_id: str, payment: Doc, trail: list[Doc]) -> None:
    own = [e for e in trail if e.get("object_type", "payment") == "payment"]
    ordered = sorted(own, key=lambda event: str(event.get("id", "")))
    if not ordered:
        check.add("moves_out_of_order", "a final payment has no events", payment_id)
        return
    previous_to: str | None = "CREATED"
    previous_at: Any = None
    for event in ordered:
        source, target = event.get("from"), event.get("to")
        if source != previous_to:
            check.add(
                "moves_out_of_order",
                f"event {event.get('id')} starts from {source}, the payment was {previous_to}",
                payment_id,
            )
        if not _legal(source, target):
            check.add("illegal_move", f"{source} → {target} ({event.get('id')})", payment_id)
        at = event.get("at")
        if earlier(at, previous_at):
            check.add(
                "moves_out_of_order", f"event {event.get('id')} goes back in time", payment_id
            )
        previous_to, previous_at = target, at if at is not None else previous_at
    if previous_to != payment.get("status"):
        check.add(
            "moves_out_of_order",
            f"last event ends in {previous_to}, payment is {payment.get('status')}",
            payment_id,
        )
    current_generation = generation(payment)
    current = [e for e in ordered if generation(e) == current_generation]
    finals = [e for e in current if e.get("to") in FINAL]
    if len(finals) != 1:
        check.add("one_final_event", f"{len(finals)} events into a final state", payment_id)
    claims = [e.get("attempt") for e in current if e.get("to") == "PROCESSING"]
    if claims != list(range(1, len(claims) + 1)) or len(claims) != payment.get("attempts"):
        check.add(
            "attempts_mismatch",
            f"PROCESSING moves carry attempts {claims}, payment says {payment.get('attempts')}",
            payment_id,
        )


def _legal(source: Any, target: Any) -> bool:
    try:
        return can_move(source, target)
    except (ValueError, KeyError):
        return False


def expected_ends(status: str, plan: MoneyPlan | None) -> set[str] | None:
    """Where a payment of a kind ending in `status` must end under `plan` (None: anywhere).

    A manual capture's success only authorises it: then the plan's capture makes it SUCCESS,
    its cancel CANCELED; an early cancel may also beat the gateway's failure."""
    if plan is None or not plan.manual:
        return None if status == ANY else {status}
    ends = set()
    if status in ("SUCCESS", ANY):
        ends.add("SUCCESS" if plan.capture is not None else "CANCELED")
    if status in ("FAILED", ANY):
        ends.add("FAILED")
    if plan.cancel == CANCEL_EARLY:
        ends.add("CANCELED")
    return ends


def _check_outcome(
    check: Check, payment_id: str, payment: Doc, kind_name: str, plan: MoneyPlan | None = None
) -> None:
    kind = KINDS[kind_name]
    status, attempts = payment.get("status"), payment.get("attempts")
    max_attempts = payment.get("max_attempts", 3)
    code = (payment.get("failure") or {}).get("code")
    ends = expected_ends(kind.status, plan)
    if ends is not None and status not in ends:
        check.add(
            "outcome_mismatch", f"{kind.name}: expected {sorted(ends)}, got {status}", payment_id
        )
    manual = payment.get("capture_method") == "manual"
    if (plan is not None and plan.manual) != manual:
        check.add("outcome_mismatch", f"capture_method {payment.get('capture_method')}", payment_id)
    if status == "CANCELED":
        return  # canceled before the gateway's last answer: no attempt count to hold it to
    if kind.failure_code is not None and status == "FAILED" and code != kind.failure_code:
        check.add(
            "outcome_mismatch",
            f"{kind.name}: expected failure {kind.failure_code}, got {code}",
            payment_id,
        )
    if kind.attempts == ANY:
        expected_ok = (
            attempts == max_attempts
            if code in ("timeout", "processing_error")
            else isinstance(attempts, int) and 1 <= attempts <= max_attempts
        )
        expected: Any = f"1..{max_attempts}"
    else:
        expected = max_attempts if kind.attempts == MAX else min(int(kind.attempts), max_attempts)
        expected_ok = attempts == expected
    if not expected_ok:
        check.add(
            "attempts_mismatch",
            f"{kind.name}: expected {expected} attempts, got {attempts}",
            payment_id,
        )
    if generation(payment) == 1 and payment.get("retry_count") != max(0, (attempts or 0) - 1):
        check.add(
            "attempts_mismatch",
            f"retry_count {payment.get('retry_count')} with {attempts} attempts",
            payment_id,
        )


def _check_api(check: Check, payments: dict[str, Doc], api_payments: dict[str, Doc]) -> None:
    for payment_id, payment in payments.items():
        shown = api_payments.get(payment_id)
        if shown is None:
            check.add("api_mismatch", "missing from GET /v1/payments", payment_id)
            continue
        for name in API_FIELDS:
            if shown.get(name) != payment.get(name):
                check.add(
                    "api_mismatch",
                    f"{name}: API {shown.get(name)!r}, database {payment.get(name)!r}",
                    payment_id,
                )
