"""JSON shapes the `qstash` SDK parses: Message, DlqMessage, and the callback body."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from emulators.qstash.models import AttemptResult, MessageSpec, canonical_header


def header_map(headers: dict[str, str] | list[tuple[str, str]]) -> dict[str, list[str]]:
    """`{Name: [values]}` as QStash reports headers."""
    items = headers.items() if isinstance(headers, dict) else headers
    out: dict[str, list[str]] = {}
    for name, value in items:
        out.setdefault(canonical_header(name), []).append(value)
    return out


def put_body(out: dict[str, Any], key: str, body: bytes) -> None:
    """`key` when the body is UTF-8, else `keyBase64`."""
    try:
        out[key] = body.decode("utf-8")
    except UnicodeDecodeError:
        out[key + "Base64"] = base64.b64encode(body).decode()


def put_fields(out: dict[str, Any], spec: MessageSpec, names: Iterable[tuple[str, str]]) -> None:
    """Copy the optional `spec` fields present into `out`, under their QStash JSON names."""
    fields: Mapping[str, object] = spec
    for key, name in names:
        if key in fields:
            out[name] = fields[key]


def message_json(message_id: str, spec: MessageSpec, body: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "messageId": message_id,
        "url": spec["url"],
        "method": spec.get("method", "POST"),
        "header": header_map(spec.get("headers", {})),
        "maxRetries": spec.get("retries", 0),
        "notBefore": spec.get("not_before", 0),
        "createdAt": spec.get("created_at", 0),
    }
    put_body(out, "body", body)
    put_fields(
        out,
        spec,
        (
            ("callback", "callback"),
            ("failure_callback", "failureCallback"),
            ("schedule_id", "scheduleId"),
            ("caller_ip", "callerIP"),
            ("retry_delay", "retryDelayExpression"),
            ("label", "label"),
            ("topic_name", "topicName"),
            ("endpoint_name", "endpointName"),
            ("queue_name", "queueName"),
        ),
    )
    flow = spec.get("flow")
    if flow is not None:
        out["flowControlKey"] = flow["key"]
        if flow["parallelism"]:
            out["parallelism"] = flow["parallelism"]
        if flow["rate"]:
            out["rate"] = flow["rate"]
            out["period"] = flow["period_ms"] // 1000
    for opts, name in (
        (spec.get("callback_opts", {}), "callbackHeader"),
        (spec.get("failure_callback_opts", {}), "failureCallbackHeader"),
    ):
        forwarded = opts.get("headers")
        if forwarded:
            out[name] = header_map(forwarded)
    return out


def dlq_json(row: dict[str, bytes]) -> dict[str, Any]:
    """A DLQ entry (the message hash renamed, plus the last response)."""
    out = message_json(row["message_id"].decode(), json.loads(row["spec"]), row.get("body", b""))
    out["dlqId"] = row["dlq_id"].decode()
    out["responseStatus"] = int(row.get("response_status", b"0"))
    out["responseHeader"] = json.loads(row.get("response_headers", b"{}"))
    put_body(out, "responseBody", row.get("response_body", b""))
    return out


def callback_body(
    message_id: str,
    spec: MessageSpec,
    body: bytes,
    retried: int,
    result: AttemptResult,
    dlq_id: str | None = None,
) -> bytes:
    """The JSON QStash POSTs to a callback / failure callback about one attempt."""
    out: dict[str, Any] = {
        "status": result.status,
        "header": header_map(result.headers),
        "body": base64.b64encode(result.body).decode(),
        "retried": retried,
        "maxRetries": spec.get("retries", 0),
        "sourceMessageId": message_id,
        "url": spec["url"],
        "method": spec.get("method", "POST"),
        "sourceHeader": header_map(spec.get("headers", {})),
        "sourceBody": base64.b64encode(body).decode(),
        "notBefore": str(spec.get("not_before", 0)),
        "createdAt": str(spec.get("created_at", 0)),
    }
    put_fields(
        out,
        spec,
        (
            ("schedule_id", "scheduleId"),
            ("topic_name", "topicName"),
            ("endpoint_name", "endpointName"),
            ("caller_ip", "callerIP"),
        ),
    )
    if result.error:
        out["error"] = result.error
    if dlq_id is not None:
        out["dlqId"] = dlq_id
    return json.dumps(out).encode()
