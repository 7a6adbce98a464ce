"""`paygate trace <payment_id>`: one payment's path across the functions, from the logs and
from its recorded moves.

Every log line about a payment carries its `payment_id` (and the request, merchant, QStash
message and webhook delivery ids), so the first pass is one grep over a dev stack's
`<data-dir>/logs/*.log`. A second pass adds lines naming the delivery or QStash message ids
found in the first (a failure callback, say). Then the payment's events and webhook deliveries
come from the API, or straight from Mongo when the API does not answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LINKED_FIELDS = ("delivery_id", "qstash_message_id")
API_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LogLine:
    source: str  # log file stem: functions, qstash, receiver…
    number: int
    raw: str
    fields: dict[str, Any] | None  # parsed JSON, None for a plain-text line

    @property
    def ts(self) -> str:
        return str(self.fields.get("ts", "")) if self.fields else ""


@dataclass
class Trace:
    payment_id: str
    lines: list[LogLine] = field(default_factory=list)
    payment: dict[str, Any] | None = None
    events_source: str = ""
    error: str | None = None


def _parse(raw: str) -> dict[str, Any] | None:
    if not raw.startswith("{"):
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _read_logs(data_dir: Path) -> list[LogLine]:
    lines: list[LogLine] = []
    for path in sorted((data_dir / "logs").glob("*.log")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, 1):
                raw = raw.rstrip("\n")
                lines.append(LogLine(path.stem, number, raw, _parse(raw)))
    return lines


def log_lines(data_dir: Path, payment_id: str) -> list[LogLine]:
    """The lines naming the payment, plus those naming its deliveries or QStash messages."""
    every = _read_logs(data_dir)
    direct = [line for line in every if payment_id in line.raw]
    linked = {
        str(line.fields[name])
        for line in direct
        if line.fields
        for name in LINKED_FIELDS
        if line.fields.get(name)
    }
    chosen = [
        line
        for line in every
        if payment_id in line.raw or any(token in line.raw for token in linked)
    ]
    return sorted(chosen, key=lambda line: (line.ts, line.source, line.number))


def payment_from_api(api_url: str, api_key: str, payment_id: str) -> dict[str, Any] | None:
    """GET /v1/payments/{id}; None if it is not found. Raises httpx errors when unreachable."""
    response = httpx.get(
        f"{api_url.rstrip('/')}/v1/payments/{payment_id}",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=API_TIMEOUT_S,
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    payment: dict[str, Any] = response.json()
    return payment


def payment_from_mongo(mongodb_uri: str, database: str, payment_id: str) -> dict[str, Any] | None:
    """The payment with `events` and `webhook_deliveries`, read straight from Mongo."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(
        mongodb_uri, serverSelectionTimeoutMS=3000, tz_aware=True
    )
    try:
        db = client[database]
        payment = db["payments"].find_one({"_id": payment_id})
        if payment is None:
            return None
        events = list(db["payment_events"].find({"payment_id": payment_id}).sort("_id", 1))
        deliveries = list(db["webhook_deliveries"].find({"payment_id": payment_id}))
        for delivery in deliveries:
            delivery["attempts"] = list(
                db["webhook_attempts"].find({"delivery_id": delivery["_id"]}).sort("_id", 1)
            )
        payment["id"] = payment["_id"]
        payment["events"] = [{**event, "id": event["_id"]} for event in events]
        payment["webhook_deliveries"] = [{**d, "id": d["_id"]} for d in deliveries]
        plain: dict[str, Any] = json.loads(json.dumps(payment, default=str))
        return plain
    finally:
        client.close()


def build_trace(
    payment_id: str,
    data_dir: Path,
    *,
    api_url: str | None,
    api_key: str,
    mongodb_uri: str | None,
    database: str = "paygate",
) -> Trace:
    trace = Trace(payment_id, lines=log_lines(data_dir, payment_id))
    errors: list[str] = []
    if api_url:
        try:
            trace.payment = payment_from_api(api_url, api_key, payment_id)
            trace.events_source = f"API {api_url}"
        except httpx.HTTPError as exc:
            errors.append(f"API {api_url}: {type(exc).__name__}")
    if trace.payment is None and mongodb_uri:
        try:
            trace.payment = payment_from_mongo(mongodb_uri, database, payment_id)
            trace.events_source = f"Mongo {mongodb_uri}"
        except Exception as exc:  # pymongo errors of any kind: report, keep the log part
            errors.append(f"Mongo {mongodb_uri}: {type(exc).__name__}")
    if trace.payment is None:
        errors.append("payment not found")
    trace.error = "; ".join(errors) or None
    return trace


def _describe(line: LogLine) -> str:
    if line.fields is None:
        return f"{line.source:>9} | {line.raw}"
    f = line.fields
    ids = " ".join(
        f"{name}={f[name]}"
        for name in ("request_id", "merchant_id", "qstash_message_id", "delivery_id")
        if f.get(name)
    )
    return f"{f.get('ts', ''):24} {line.source:>9} {f.get('level', ''):7} {f.get('msg', '')}  {ids}"


def render(trace: Trace) -> str:
    out = [f"payment {trace.payment_id}", "", f"log lines ({len(trace.lines)}):"]
    out += [f"  {_describe(line)}" for line in trace.lines] or ["  (none)"]
    payment = trace.payment
    out += ["", f"events (from {trace.events_source or 'nowhere'}):"]
    if payment is None:
        out.append(f"  ({trace.error})")
        return "\n".join(out)
    for event in payment.get("events", []):
        out.append(
            f"  {event.get('at', '')!s:24} {event.get('from')!s:>10} -> {event.get('to')!s:<10} "
            f"attempt={event.get('attempt')} gen={event.get('generation')} "
            f"by={event.get('actor')} reason={event.get('reason')} "
            f"qstash={event.get('qstash_message_id')}"
        )
    out += ["", "webhook deliveries:"]
    for delivery in payment.get("webhook_deliveries", []):
        out.append(
            f"  {delivery['id']} {delivery.get('event_type')} -> {delivery.get('endpoint_url')}: "
            f"{delivery.get('status')} after {len(delivery.get('attempts', []))} attempt(s)"
        )
        for attempt in delivery.get("attempts", []):
            out.append(
                f"    #{attempt.get('attempt')} {attempt.get('at')} "
                f"status={attempt.get('status_code')} error={attempt.get('error')}"
            )
    out += [
        "",
        f"now: {payment.get('status')} (attempts {payment.get('attempts')}, "
        f"retries {payment.get('retry_count')}, webhooks {payment.get('webhook_status')})",
    ]
    return "\n".join(out)
