"""The invariants a load (or fault) run must keep, checked over data collected afterwards.

`check_invariants(sent, payments, events, deliveries, receiver_records)` is pure: it takes
what the client sent and what the API, the database and the demo receiver hold, and
returns every `Violation` it finds (an empty list is a pass). `devstack.load_collect`
gathers that data from a running stack. Each violation names its `rule`:

- `not_accepted` / `request_rejected`: a key never got a 201 (or got a 4xx for a valid body);
- `payment_lost`: an accepted key has no payment record;
- `one_payment_per_key`: a key has several payments, or a replay answered another id;
- `not_final`: a payment is not SUCCESS or FAILED once the run settled;
- `illegal_move`, `moves_out_of_order`: the event trail breaks the state machine;
- `one_final_event`: a final payment has not exactly one event into its final state;
- `outcome_mismatch`, `attempts_mismatch`: the end state or attempt count is not the
  scenario's (for `random`: anything legal);
- `webhook_not_settled`, `webhook_missing`, `webhook_status_mismatch`: a final event's
  delivery is still pending, is missing for one of the `endpoints` subscribed endpoints, did
  not arrive although marked delivered, or disagrees with the payment's `webhook_status`;
- `invalid_signature`, `redelivery_body_changed`: the receiver saw a bad signature, or a
  webhook id whose bytes differ between receptions or from the stored body;
- `api_mismatch`: the public API shows a payment differently from the database.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from devstack.load_mix import ANY, KINDS, MAX
from shared.domain.states import FINAL_STATES, can_move

Doc = dict[str, Any]
FINAL = {state.value for state in FINAL_STATES}
FINAL_EVENT_TYPES = {"SUCCESS": "payment.succeeded", "FAILED": "payment.failed"}


@dataclass
class SentPayment:
    """One idempotency key as the client saw it (a deliberate duplicate has `duplicate_of`)."""

    key: str
    kind: str
    body: Doc
    duplicate_of: str | None = None
    accepted: bool = False
    payment_id: str | None = None
    replayed: bool = False
    status_code: int | None = None
    tries: int = 0
    latency_ms: float | None = None  # of the request that was accepted
    error: str | None = None
    first_status: int | None = None  # what the first try was answered (None: no answer)


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    payment_id: str | None = None
    key: str | None = None

    def to_dict(self) -> Doc:
        return asdict(self)


@dataclass
class _Check:
    violations: list[Violation] = field(default_factory=list)

    def add(
        self, rule: str, message: str, payment_id: str | None = None, key: str | None = None
    ) -> None:
        self.violations.append(Violation(rule, message, payment_id, key))


def check_invariants(
    sent: list[SentPayment],
    payments: dict[str, Doc],
    events: dict[str, list[Doc]],
    deliveries: dict[str, list[Doc]],
    receiver_records: list[Doc],
    *,
    webhooks_expected: bool = True,
    api_payments: dict[str, Doc] | None = None,
    endpoints: int | None = None,
) -> list[Violation]:
    """Every broken invariant; see the module docstring for the rules.

    `payments` holds every payment of the run (keyed by id, with `idempotency_key`),
    `events` / `deliveries` the trail and webhook deliveries per payment id (delivery
    `body` is the stored string, or None when only the API view is known), and
    `receiver_records` what the demo receiver recorded (`GET /deliveries`); `endpoints` how
    many endpoints of the merchant subscribe to the final events (each final payment must have
    a settled final delivery for every one; None: at least one).
    """
    check = _Check()
    by_key = _payments_by_key(payments)
    originals = {s.key: s for s in sent if s.duplicate_of is None}
    _check_keys(check, sent, by_key, payments)
    for payment_id, payment in payments.items():
        origin = originals.get(payment.get("idempotency_key", ""))
        _check_payment(check, payment_id, payment, events.get(payment_id, []), origin)
        if webhooks_expected and payment.get("status") in FINAL:
            _check_webhooks(check, payment_id, payment, deliveries.get(payment_id, []), endpoints)
    _check_receiver(check, payments, deliveries, receiver_records)
    if api_payments is not None:
        _check_api(check, payments, api_payments)
    return check.violations


def _payments_by_key(payments: dict[str, Doc]) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = defaultdict(list)
    for payment_id, payment in payments.items():
        by_key[payment.get("idempotency_key", "")].append(payment_id)
    return by_key


def _check_keys(
    check: _Check,
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
    check: _Check,
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
        _check_outcome(check, payment_id, payment, origin.kind)


def _check_trail(check: _Check, payment_id: str, payment: Doc, trail: list[Doc]) -> None:
    ordered = sorted(trail, key=lambda event: str(event.get("id", "")))
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
        if _earlier(at, previous_at):
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
    generation = _generation(payment)
    current = [e for e in ordered if _generation(e) == generation]
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


def _generation(doc: Doc) -> int:
    """A document's attempt generation; the public API does not show every one (then 1)."""
    return int(doc.get("generation") or 1)


def _earlier(at: Any, previous: Any) -> bool:
    """`at` before `previous` (both datetimes, or both ISO strings); False if unknown."""
    comparable = at is not None and previous is not None and type(at) is type(previous)
    return bool(comparable and at < previous)


def _legal(source: Any, target: Any) -> bool:
    try:
        return can_move(source, target)
    except (ValueError, KeyError):
        return False


def _check_outcome(check: _Check, payment_id: str, payment: Doc, kind_name: str) -> None:
    kind = KINDS[kind_name]
    status, attempts = payment.get("status"), payment.get("attempts")
    max_attempts = payment.get("max_attempts", 3)
    code = (payment.get("failure") or {}).get("code")
    if kind.status != ANY and status != kind.status:
        check.add(
            "outcome_mismatch", f"{kind.name}: expected {kind.status}, got {status}", payment_id
        )
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
    if _generation(payment) == 1 and payment.get("retry_count") != (attempts or 0) - 1:
        check.add(
            "attempts_mismatch",
            f"retry_count {payment.get('retry_count')} with {attempts} attempts",
            payment_id,
        )


def _check_webhooks(
    check: _Check,
    payment_id: str,
    payment: Doc,
    deliveries: list[Doc],
    endpoints: int | None = None,
) -> None:
    status = payment["status"]
    generation = _generation(payment)
    finals = [
        d
        for d in deliveries
        if d.get("event_type") in FINAL_EVENT_TYPES.values() and _generation(d) == generation
    ]
    if not finals:
        check.add("webhook_missing", f"no delivery of the final event ({status})", payment_id)
        return
    reached = {d.get("endpoint_id") for d in finals}
    if endpoints is not None and len(reached) != endpoints:
        check.add(
            "webhook_missing",
            f"final event delivered to {len(reached)} endpoints, {endpoints} subscribe",
            payment_id,
        )
    for delivery in finals:
        if delivery["event_type"] != FINAL_EVENT_TYPES[status]:
            check.add(
                "webhook_missing",
                f"delivery {delivery.get('id')} is {delivery['event_type']} for a {status} payment",
                payment_id,
            )
        if delivery.get("status") == "PENDING":
            check.add(
                "webhook_not_settled", f"delivery {delivery.get('id')} still PENDING", payment_id
            )
    statuses: set[Any] = {d.get("status") for d in finals}
    expected = "FAILED" if "FAILED" in statuses else "SUCCESS" if statuses == {"SUCCESS"} else None
    if expected is not None and payment.get("webhook_status") != expected:
        check.add(
            "webhook_status_mismatch",
            f"webhook_status {payment.get('webhook_status')}, deliveries {sorted(statuses)}",
            payment_id,
        )


def _check_receiver(
    check: _Check,
    payments: dict[str, Doc],
    deliveries: dict[str, list[Doc]],
    records: Iterable[Doc],
) -> None:
    received: dict[str, list[Doc]] = defaultdict(list)
    for record in records:
        if record.get("payment_id") in payments and record.get("webhook_id"):
            received[record["webhook_id"]].append(record)
    for webhook_id, arrivals in received.items():
        payment_id = arrivals[0].get("payment_id")
        if len({r.get("body_sha256") for r in arrivals}) > 1:
            check.add(
                "redelivery_body_changed",
                f"{webhook_id}: {len(arrivals)} receptions with different bodies",
                payment_id,
            )
        for record in arrivals:
            if not record.get("valid_signature"):
                check.add(
                    "invalid_signature", f"{webhook_id} arrived with a bad signature", payment_id
                )
    for payment_id, items in deliveries.items():
        if payment_id not in payments:
            continue
        for delivery in items:
            arrivals = received.get(delivery.get("event_id", ""), [])
            body = delivery.get("body")
            if body is not None:
                digest = hashlib.sha256(body.encode()).hexdigest()
                if any(r.get("body_sha256") != digest for r in arrivals):
                    check.add(
                        "redelivery_body_changed",
                        f"{delivery.get('event_id')}: received bytes differ from the stored body",
                        payment_id,
                    )
            delivered = [
                r
                for r in arrivals
                if r.get("valid_signature") and 200 <= r.get("status_code", 0) < 300
            ]
            if delivery.get("status") == "SUCCESS" and not delivered:
                check.add(
                    "webhook_missing",
                    f"{delivery.get('event_id')} is SUCCESS but the receiver never took it",
                    payment_id,
                )


def _check_api(check: _Check, payments: dict[str, Doc], api_payments: dict[str, Doc]) -> None:
    for payment_id, payment in payments.items():
        shown = api_payments.get(payment_id)
        if shown is None:
            check.add("api_mismatch", "missing from GET /v1/payments", payment_id)
            continue
        for name in ("status", "attempts", "retry_count", "webhook_status", "idempotency_key"):
            if shown.get(name) != payment.get(name):
                check.add(
                    "api_mismatch",
                    f"{name}: API {shown.get(name)!r}, database {payment.get(name)!r}",
                    payment_id,
                )
