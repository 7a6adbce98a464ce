"""One delivery attempt: the signed HTTP request, then what happens next (done, retry, DLQ).

Every attempt's outcome, with the callback messages it triggers, is written to Redis by
one script call (`Store.ack`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid

from emulators.qstash.backoff import default_backoff, expression_delay_s, retry_after_from
from emulators.qstash.http_client import HttpClient, HttpError
from emulators.qstash.models import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    AttemptResult,
    CallbackOptions,
    ClaimedMessage,
    MessageSpec,
    NewMessage,
)
from emulators.qstash.signing import Signer
from emulators.qstash.store import Ack, Store
from emulators.qstash.views import callback_body, header_map

USER_AGENT = "Upstash-QStash"


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def new_dlq_id(now_ms: int) -> str:
    return f"{now_ms}-{secrets.randbelow(10**9)}"


class Deliverer:
    """Sends attempts over one shared keep-alive `HttpClient` and records their outcome."""

    def __init__(
        self,
        client: HttpClient,
        signer: Signer,
        store: Store,
        time_scale: float,
        max_retry_delay_s: float | None = None,
    ) -> None:
        self.client = client
        self.signer = signer
        self.store = store
        self.time_scale = time_scale
        self.max_retry_delay_s = max_retry_delay_s

    async def deliver(self, message: ClaimedMessage) -> None:
        result = await self.attempt(message)
        self.store.stats.deliveries += 1
        self.store.stats.redeliveries += message.retried > 0
        await self.store.ack(message.id, self.outcome(message, result, time.time()))

    async def attempt(self, message: ClaimedMessage) -> AttemptResult:
        spec = message.spec
        url = spec["url"]
        headers = dict(spec.get("headers", {}))
        headers["User-Agent"] = USER_AGENT
        headers["Upstash-Signature"] = self.signer.sign(url, message.body)
        headers["Upstash-Message-Id"] = message.id
        headers["Upstash-Retried"] = str(message.retried)
        if "schedule_id" in spec:
            headers["Upstash-Schedule-Id"] = spec["schedule_id"]
        if "topic_name" in spec:
            headers["Upstash-Topic-Name"] = spec["topic_name"]
        if "caller_ip" in spec:
            headers["Upstash-Caller-Ip"] = spec["caller_ip"]
        timeout = spec.get("timeout_s", DEFAULT_TIMEOUT_S)
        try:
            async with asyncio.timeout(timeout):
                status, response_headers, body = await self.client.send(
                    spec.get("method", "POST"), url, headers, message.body
                )
        except TimeoutError:
            return AttemptResult(0, error=f"timeout after {timeout:g}s")
        except HttpError as exc:
            return AttemptResult(0, error=str(exc))
        return AttemptResult(status, response_headers, body)

    def outcome(self, message: ClaimedMessage, result: AttemptResult, now_s: float) -> Ack:
        """Decide done / retry / dead and build the callbacks this attempt triggers."""
        spec = message.spec
        now = int(now_s * 1000)
        event = {"time": now, "messageId": message.id, "url": spec["url"]}
        if result.status:
            event["responseStatus"] = result.status
        if result.error:
            event["error"] = result.error
        ack = Ack(mode="done", event=event, retried=message.retried, now_ms=now)
        is_source = spec.get("kind", "message") == "message"
        if is_source and "callback" in spec:
            ack.new_messages.append(
                self._callback(
                    message,
                    result,
                    spec["callback"],
                    spec.get("callback_opts", {}),
                    now,
                    None,
                )
            )
        if result.ok:
            event["state"] = "DELIVERED"
            return ack
        non_retryable = (
            result.status == 489
            and (result.header("upstash-nonretryable-error") or "").lower() == "true"
        )
        if not non_retryable and message.retried < spec.get("retries", DEFAULT_RETRIES):
            delay_s = self._retry_delay(message, result, now_s)
            ack.mode, ack.retried = "retry", message.retried + 1
            scaled_s = delay_s * self.time_scale
            if self.max_retry_delay_s is not None:
                scaled_s = min(scaled_s, self.max_retry_delay_s)
            ack.due_ms = now + int(scaled_s * 1000)
            event["state"], event["nextDeliveryTime"] = "RETRY", ack.due_ms
            return ack
        ack.mode, ack.dlq_id = "dead", new_dlq_id(now)
        event["state"] = "FAILED"
        ack.dlq_fields = {
            "dlq_id": ack.dlq_id,
            "dlq_at": str(now),
            "message_id": message.id,
            "response_status": str(result.status),
            "response_headers": _json_headers(result),
            "response_body": result.body,
        }
        if is_source and "failure_callback" in spec:
            ack.new_messages.append(
                self._callback(
                    message,
                    result,
                    spec["failure_callback"],
                    spec.get("failure_callback_opts", {}),
                    now,
                    ack.dlq_id,
                )
            )
        return ack

    def _retry_delay(self, message: ClaimedMessage, result: AttemptResult, now_s: float) -> float:
        """Unscaled seconds before the next retry: destination hint, expression, or default."""
        hinted = retry_after_from(result.header, now_s)
        if hinted is not None:
            return hinted
        expression = message.spec.get("retry_delay")
        if expression:
            seconds = expression_delay_s(expression, message.retried)
            if seconds is not None:
                return seconds
        return default_backoff(message.retried + 1)

    def _callback(
        self,
        message: ClaimedMessage,
        result: AttemptResult,
        url: str,
        opts: CallbackOptions,
        now: int,
        dlq_id: str | None,
    ) -> NewMessage:
        due = now + opts.get("delay_ms", 0)  # an explicit delay: not scaled
        spec: MessageSpec = {
            "url": url,
            "method": opts.get("method", "POST"),
            "headers": {**opts.get("headers", {}), "Content-Type": "application/json"},
            "retries": opts.get("retries", DEFAULT_RETRIES),
            "created_at": now,
            "not_before": due,
            "kind": "failure_callback" if dlq_id else "callback",
            "source_message_id": message.id,
        }
        if "retry_delay" in opts:
            spec["retry_delay"] = opts["retry_delay"]
        if "timeout_s" in opts:
            spec["timeout_s"] = opts["timeout_s"]
        body = callback_body(
            message.id, message.spec, message.body, message.retried, result, dlq_id
        )
        return NewMessage(new_message_id(), spec, body, due)


def _json_headers(result: AttemptResult) -> str:
    return json.dumps(header_map(result.headers))
