"""The money invariants of a load run: captures, refunds and disputes (rules named below).

Per payment, refunded ≤ captured ≤ amount:
- `capture_mismatch`: an automatic SUCCESS did not capture its amount, a manual capture
  captured other than the client asked for, a CANCELED or FAILED payment captured something,
  or a payment captured more than its amount;
- `refund_sum_mismatch`: `amount_refunded` is not the sum of its SUCCEEDED refunds;
- `over_refunded`: its PENDING and SUCCEEDED refunds add up to more than `amount_captured`,
  or a request for more than was left was accepted and did not fail (a request that died
  between its insert and its reservation is answered 201 when retried, then fails);
- `refund_reservation_mismatch`: the payment's `refund_reserved` (where stored) is not the
  sum of its PENDING and SUCCEEDED refunds;
- `refund_not_allowed`: a payment that is not SUCCESS has a refund;
- `refund_decision_mismatch`: a final refund reserved on the payment is not recorded there as
  decided (`settled_refund_ids`) the way it ended (in `refunded_ids` iff SUCCEEDED).

Per refund: `refund_not_final` (still PENDING), `refund_trail` (its trail is not one move
PENDING → SUCCEEDED | FAILED ending where the refund is), `refund_outcome_mismatch` (a refund
of card 4000000000005126 that did not fail), `refund_not_accepted` (a key never got a 201),
`refund_lost` (accepted but not stored), `one_refund_per_key` (a key has several refunds, or a
replay answered another id), `api_mismatch` (the API shows it otherwise than the database).

Per dispute: `dispute_missing` / `dispute_unexpected` (a SUCCESS payment on card
4000000000000259 without exactly one dispute, or a dispute on another card),
`dispute_not_final`, `dispute_trail` (illegal, out of order, or a closed dispute without
exactly one closing move), `dispute_outcome_mismatch` (WON iff its evidence contains
`winning_evidence`, and the end the client's answer asked for).

`money_action_failed`: a capture, cancel, refund or dispute answer the client sent was refused
or never answered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from devstack.load_records import (
    DISPUTE_ACCEPT,
    DISPUTE_WIN,
    WINNING_EVIDENCE,
    MoneyPlan,
    SentPayment,
)
from devstack.violations import Check, earlier

Doc = dict[str, Any]
REFUND_FAILS_LAST4 = "5126"
DISPUTE_LAST4 = "0259"
REFUND_MOVES = {("PENDING", "SUCCEEDED"), ("PENDING", "FAILED")}
DISPUTE_MOVES = {
    ("NEEDS_RESPONSE", "UNDER_REVIEW"),
    ("UNDER_REVIEW", "WON"),
    ("UNDER_REVIEW", "LOST"),
    ("NEEDS_RESPONSE", "LOST"),
}
REFUND_START, DISPUTE_START = "PENDING", "NEEDS_RESPONSE"
REFUND_FINAL, DISPUTE_FINAL = {"SUCCEEDED", "FAILED"}, {"WON", "LOST"}


def check_money(
    check: Check,
    sent: list[SentPayment],
    payments: dict[str, Doc],
    refunds: dict[str, Doc],
    disputes: dict[str, Doc],
    object_events: dict[str, list[Doc]],
    api_refunds: dict[str, Doc] | None = None,
) -> None:
    plans = {
        s.payment_id: s.money
        for s in sent
        if s.duplicate_of is None and s.accepted and s.payment_id and s.money is not None
    }
    refunds_of: dict[str, list[Doc]] = defaultdict(list)
    for refund in refunds.values():
        refunds_of[refund.get("payment") or ""].append(refund)
    disputes_of: dict[str, list[Doc]] = defaultdict(list)
    for dispute in disputes.values():
        disputes_of[dispute.get("payment") or ""].append(dispute)
    for payment_id, payment in payments.items():
        plan = plans.get(payment_id)
        _check_amounts(check, payment_id, payment, plan, refunds_of.get(payment_id, []))
        _check_refund_decisions(check, payment_id, payment, refunds_of.get(payment_id, []))
        _check_dispute_presence(check, payment_id, payment, disputes_of.get(payment_id, []))
        for refund in refunds_of.get(payment_id, []):
            trail = object_events.get(refund["id"], [])
            _check_refund(check, payment_id, payment, refund, trail)
        for dispute in disputes_of.get(payment_id, []):
            trail = object_events.get(dispute["id"], [])
            _check_dispute(check, payment_id, dispute, trail, plan)
        if plan is not None:
            _check_requests(check, payment_id, plan, refunds)
    if api_refunds is not None:
        _check_api_refunds(check, refunds, api_refunds)


def _last4(payment: Doc) -> str | None:
    method = payment.get("payment_method") or {}
    return method.get("last4") if isinstance(method, dict) else None


def _check_amounts(
    check: Check, payment_id: str, payment: Doc, plan: MoneyPlan | None, refunds: list[Doc]
) -> None:
    status, amount = payment.get("status"), int(payment.get("amount") or 0)
    captured = int(payment.get("amount_captured") or 0)
    refunded = int(payment.get("amount_refunded") or 0)
    manual = payment.get("capture_method") == "manual"
    if captured > amount:
        check.add("capture_mismatch", f"captured {captured} of an amount of {amount}", payment_id)
    if status == "SUCCESS" and not manual and captured != amount:
        check.add("capture_mismatch", f"automatic: captured {captured} of {amount}", payment_id)
    wanted = plan.capture_amount if plan is not None else None
    if status == "SUCCESS" and manual and wanted is not None and captured != wanted:
        check.add("capture_mismatch", f"asked to capture {wanted}, captured {captured}", payment_id)
    if status in ("CANCELED", "FAILED") and captured:
        check.add("capture_mismatch", f"{status} with {captured} captured", payment_id)
    if refunds and status != "SUCCESS":
        check.add("refund_not_allowed", f"{len(refunds)} refunds of a {status} payment", payment_id)
    succeeded = sum(int(r.get("amount") or 0) for r in refunds if r.get("status") == "SUCCEEDED")
    if refunded != succeeded:
        check.add(
            "refund_sum_mismatch",
            f"amount_refunded {refunded}, succeeded refunds add up to {succeeded}",
            payment_id,
        )
    held = sum(int(r.get("amount") or 0) for r in refunds if r.get("status") != "FAILED")
    reserved = payment.get("refund_reserved")
    if reserved is not None and int(reserved) != held:
        check.add(
            "refund_reservation_mismatch",
            f"refund_reserved {reserved}, pending and succeeded refunds {held}",
            payment_id,
        )
    if held > captured or refunded > captured:
        check.add(
            "over_refunded",
            f"refunds {held} (succeeded {succeeded}) of {captured} captured",
            payment_id,
        )


def _check_refund_decisions(
    check: Check, payment_id: str, payment: Doc, refunds: list[Doc]
) -> None:
    """The payment decides each reserved refund's outcome before the refund moves; the refund
    must have ended as decided (refunds never reserved, refused for lack of room, are not)."""
    reserved = set(payment.get("refund_ids") or ())
    settled = set(payment.get("settled_refund_ids") or ())
    won = set(payment.get("refunded_ids") or ())
    for refund in refunds:
        rid, status = refund["id"], refund.get("status")
        if rid not in reserved or status not in ("SUCCEEDED", "FAILED"):
            continue
        decided = None if rid not in settled else "SUCCEEDED" if rid in won else "FAILED"
        if decided != status:
            check.add(
                "refund_decision_mismatch",
                f"refund {rid} is {status}, its payment decided {decided or 'nothing'}",
                payment_id,
            )


def _at(event: Doc) -> str:
    at = event.get("at")
    if isinstance(at, datetime):
        return at.astimezone(UTC).isoformat(timespec="microseconds")
    return str(at or "")


def _trail_problems(
    trail: list[Doc], status: Any, start: str, moves: set[tuple[str, str]], final: set[str]
) -> list[str]:
    """What is wrong with an object's trail: it may open with its creation (→ `start`), then
    only `moves`, each from where the last left it, in time order, ending in `status`, with
    exactly one move into a final state once `status` is final."""
    ordered = sorted(trail, key=lambda e: (_at(e), str(e.get("id") or "")))
    if ordered and not ordered[0].get("from") and ordered[0].get("to") == start:
        ordered = ordered[1:]
    problems, current, previous_at = [], start, None
    for event in ordered:
        source, target = event.get("from"), event.get("to")
        if (source, target) not in moves:
            problems.append(f"illegal move {source} → {target} ({event.get('id')})")
        elif source != current:
            problems.append(f"{event.get('id')} starts from {source}, it was {current}")
        if earlier(event.get("at"), previous_at):
            problems.append(f"{event.get('id')} goes back in time")
        current, previous_at = str(target), event.get("at") or previous_at
    if current != status:
        problems.append(f"the trail ends in {current}, the object is {status}")
    closing = [e for e in ordered if e.get("to") in final]
    if status in final and len(closing) != 1:
        problems.append(f"{len(closing)} moves into a final state")
    return problems


def _check_refund(
    check: Check, payment_id: str, payment: Doc, refund: Doc, trail: list[Doc]
) -> None:
    status, refund_id = refund.get("status"), refund["id"]
    if status not in REFUND_FINAL:
        check.add("refund_not_final", f"{refund_id} still {status}", payment_id)
        return
    for problem in _trail_problems(trail, status, REFUND_START, REFUND_MOVES, REFUND_FINAL):
        check.add("refund_trail", f"{refund_id}: {problem}", payment_id)
    if _last4(payment) == REFUND_FAILS_LAST4 and status != "FAILED":
        check.add(
            "refund_outcome_mismatch", f"{refund_id} {status} on the failing card", payment_id
        )


def _check_dispute_presence(
    check: Check, payment_id: str, payment: Doc, disputes: list[Doc]
) -> None:
    on_card = _last4(payment) == DISPUTE_LAST4
    if on_card and payment.get("status") == "SUCCESS" and len(disputes) != 1:
        check.add("dispute_missing", f"{len(disputes)} disputes on the dispute card", payment_id)
    if disputes and not on_card:
        check.add("dispute_unexpected", f"{len(disputes)} disputes on another card", payment_id)


def _check_dispute(
    check: Check, payment_id: str, dispute: Doc, trail: list[Doc], plan: MoneyPlan | None
) -> None:
    status, dispute_id = dispute.get("status"), dispute["id"]
    if status not in DISPUTE_FINAL:
        check.add("dispute_not_final", f"{dispute_id} still {status}", payment_id)
        return
    for problem in _trail_problems(trail, status, DISPUTE_START, DISPUTE_MOVES, DISPUTE_FINAL):
        check.add("dispute_trail", f"{dispute_id}: {problem}", payment_id)
    evidence = dispute.get("evidence")
    if evidence is None and plan is not None:
        evidence = plan.evidence
    winning = WINNING_EVIDENCE in (evidence or "")
    if (status == "WON") != winning:
        check.add(
            "dispute_outcome_mismatch",
            f"{dispute_id} {status} with evidence {evidence!r}",
            payment_id,
        )
    if plan is not None and plan.dispute is not None and (plan.evidence or plan.closed):
        wanted = "WON" if plan.dispute == DISPUTE_WIN else "LOST"
        if status != wanted:
            answer = "accepted" if plan.dispute == DISPUTE_ACCEPT else f"evidence {plan.evidence!r}"
            check.add(
                "dispute_outcome_mismatch", f"{dispute_id} {status} after {answer}", payment_id
            )


def _lost_room(refunds: dict[str, Doc], payment_id: str) -> bool:
    """Whether a refund of the payment failed because the room was taken meanwhile."""
    return any(
        r.get("payment") == payment_id
        and r.get("status") == "FAILED"
        and (r.get("failure") or {}).get("code") == "amount_too_large"
        for r in refunds.values()
    )


def _check_requests(
    check: Check, payment_id: str, plan: MoneyPlan, refunds: dict[str, Doc]
) -> None:
    for error in plan.errors:
        check.add("money_action_failed", error, payment_id)
    by_key: dict[str, list[str]] = defaultdict(list)
    for refund in refunds.values():
        if refund.get("payment") == payment_id and refund.get("idempotency_key"):
            by_key[refund["idempotency_key"]].append(refund["id"])
    answered: dict[str, str] = {}
    for sent in plan.sent_refunds:
        if sent.over_limit:
            stored = refunds.get(str(sent.refund_id), {})
            if sent.accepted:
                # Accepted past the limit is fine only when another refund of the payment lost
                # its room to it: one inserted before a crash and reserved after the probe,
                # which then ends FAILED `amount_too_large` (the sum rule still holds).
                if stored.get("status") != "FAILED" and not _lost_room(refunds, payment_id):
                    check.add(
                        "over_refunded", f"{sent.key}: {sent.amount} more was accepted", payment_id
                    )
            elif sent.error_code != "amount_too_large":
                check.add(
                    "money_action_failed",
                    f"{sent.key}: over the limit answered {sent.status_code} {sent.error_code}",
                    payment_id,
                )
            continue
        if not sent.accepted:
            check.add(
                "refund_not_accepted",
                f"{sent.key}: {sent.status_code} {sent.error_code or sent.error}",
                payment_id,
                sent.key,
            )
            continue
        first = answered.setdefault(sent.key, str(sent.refund_id))
        if first != sent.refund_id or (sent.replay_of is not None and not sent.replayed):
            check.add(
                "one_refund_per_key",
                f"{sent.key} answered {first} and {sent.refund_id} (replayed {sent.replayed})",
                payment_id,
                sent.key,
            )
        if sent.refund_id not in refunds:
            check.add("refund_lost", f"{sent.refund_id} accepted but not stored", payment_id)
    for key, ids in by_key.items():
        if len(ids) > 1:
            check.add("one_refund_per_key", f"{key}: {len(ids)} refunds {sorted(ids)}", payment_id)


def _check_api_refunds(check: Check, refunds: dict[str, Doc], api_refunds: dict[str, Doc]) -> None:
    for refund_id, refund in refunds.items():
        shown = api_refunds.get(refund_id)
        if shown is None:
            check.add(
                "api_mismatch", f"{refund_id} missing from GET /v1/refunds", refund.get("payment")
            )
            continue
        for name in ("status", "amount", "payment", "idempotency_key"):
            if refund.get(name) is not None and shown.get(name) != refund.get(name):
                check.add(
                    "api_mismatch",
                    f"{refund_id} {name}: API {shown.get(name)!r}, database {refund.get(name)!r}",
                    refund.get("payment"),
                )
    for refund_id, shown in api_refunds.items():
        if refund_id not in refunds:
            check.add(
                "api_mismatch", f"{refund_id} shown by the API, not stored", shown.get("payment")
            )
