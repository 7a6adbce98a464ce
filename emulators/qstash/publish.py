"""Reading a publish request (its `Upstash-*` headers) into a `MessageSpec`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from emulators.qstash.backoff import parse_duration, parse_expression
from emulators.qstash.flow_control import FlowControlError, parse_flow_control
from emulators.qstash.models import (
    DEFAULT_RETRIES,
    MAX_RETRIES,
    CallbackOptions,
    MessageSpec,
    canonical_header,
)

METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
_FORWARD = "upstash-forward-"
_CALLBACK = "upstash-callback-"
_FAILURE_CALLBACK = "upstash-failure-callback-"
_CALLBACK_SETTINGS = ("method", "timeout", "retries", "retry-delay", "delay")


class BadRequest(ValueError):
    """The publish request is invalid; answered with 400 and this message."""


@dataclass
class PublishRequest:
    """The parsed publish: what to store, when it is first due, and its deduplication key."""

    spec: MessageSpec
    due_ms: int
    dedup_key: str | None


def is_url(destination: str) -> bool:
    return destination.startswith(("http://", "https://"))


def parse_publish(
    headers: dict[str, str],
    destination: str,
    body: bytes,
    now_ms: int,
    caller_ip: str | None = None,
) -> PublishRequest:
    """Build the message for `destination` from lower-cased request headers.

    `Upstash-Delay` and `Upstash-Not-Before` are honoured as given, as QStash does: the
    emulator's time scale applies to retry backoff only (see `Deliverer.outcome`).
    """
    forwarded: dict[str, str] = {}
    if "content-type" in headers:
        forwarded["Content-Type"] = headers["content-type"]
    callback_opts: CallbackOptions = {}
    failure_opts: CallbackOptions = {}
    for name, value in headers.items():
        if name.startswith(_FORWARD):
            forwarded[canonical_header(name[len(_FORWARD) :])] = value
        elif name.startswith(_CALLBACK):
            _callback_setting(callback_opts, name[len(_CALLBACK) :], value)
        elif name.startswith(_FAILURE_CALLBACK):
            _callback_setting(failure_opts, name[len(_FAILURE_CALLBACK) :], value)

    spec: MessageSpec = {
        "url": destination,
        "method": _method(headers.get("upstash-method", "POST")),
        "headers": forwarded,
        "retries": _retries(headers.get("upstash-retries")),
        "created_at": now_ms,
        "kind": "message",
    }
    if "upstash-retry-delay" in headers:
        spec["retry_delay"] = _expression(headers["upstash-retry-delay"])
    if "upstash-timeout" in headers:
        spec["timeout_s"] = _duration(headers["upstash-timeout"], "Upstash-Timeout")
    callbacks: tuple[tuple[str, Literal["callback", "failure_callback"]], ...] = (
        ("upstash-callback", "callback"),
        ("upstash-failure-callback", "failure_callback"),
    )
    for header, key in callbacks:
        if header in headers:
            url = headers[header]
            if not is_url(url):
                raise BadRequest(f"{canonical_header(header)} must be an http(s) URL")
            spec[key] = url
    if callback_opts:
        spec["callback_opts"] = callback_opts
    if failure_opts:
        spec["failure_callback_opts"] = failure_opts
    if "upstash-label" in headers:
        spec["label"] = headers["upstash-label"]
    if caller_ip:
        spec["caller_ip"] = caller_ip
    try:
        flow = parse_flow_control(
            headers.get("upstash-flow-control-key"), headers.get("upstash-flow-control-value")
        )
    except FlowControlError as exc:
        raise BadRequest(str(exc)) from exc
    if flow is not None:
        spec["flow"] = flow

    due_ms = now_ms
    if "upstash-not-before" in headers:
        try:
            due_ms = int(float(headers["upstash-not-before"]) * 1000)
        except ValueError as exc:
            raise BadRequest("Upstash-Not-Before must be unix seconds") from exc
    elif "upstash-delay" in headers:
        delay_s = _duration(headers["upstash-delay"], "Upstash-Delay")
        due_ms = now_ms + int(delay_s * 1000)
    spec["not_before"] = due_ms
    return PublishRequest(spec, due_ms, dedup_key(headers, destination, body, forwarded))


def dedup_key(
    headers: dict[str, str], destination: str, body: bytes, forwarded: dict[str, str]
) -> str | None:
    """`id:<sha>` for `Upstash-Deduplication-Id`, `content:<sha>` for content-based, else None."""
    explicit = headers.get("upstash-deduplication-id")
    if explicit:
        return "id:" + hashlib.sha256(explicit.encode()).hexdigest()
    if headers.get("upstash-content-based-deduplication", "").lower() == "true":
        digest = hashlib.sha256(destination.encode())
        digest.update(b"\0" + body + b"\0")
        for name in sorted(forwarded):
            digest.update(f"{name}:{forwarded[name]}\n".encode())
        return "content:" + digest.hexdigest()
    return None


def _callback_setting(opts: CallbackOptions, rest: str, value: str) -> None:
    if rest in _CALLBACK_SETTINGS:
        if rest == "method":
            opts["method"] = _method(value)
        elif rest == "timeout":
            opts["timeout_s"] = _duration(value, "callback timeout")
        elif rest == "retries":
            opts["retries"] = _retries(value)
        elif rest == "retry-delay":
            opts["retry_delay"] = _expression(value)
        else:
            opts["delay_ms"] = int(_duration(value, "callback delay") * 1000)
        return
    # `...-Forward-X` is the documented form; the Python SDK sends `...-X` (no Forward-).
    name = rest[len("forward-") :] if rest.startswith("forward-") else rest
    opts.setdefault("headers", {})[canonical_header(name)] = value


def _method(value: str) -> str:
    method = value.strip().upper()
    if method not in METHODS:
        raise BadRequest(f"unsupported method {value!r}")
    return method


def _retries(value: str | None) -> int:
    if value is None:
        return DEFAULT_RETRIES
    try:
        retries = int(value)
    except ValueError as exc:
        raise BadRequest("Upstash-Retries must be an integer") from exc
    if not 0 <= retries <= MAX_RETRIES:
        raise BadRequest(f"Upstash-Retries must be between 0 and {MAX_RETRIES}")
    return retries


def _duration(value: str, what: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise BadRequest(f"invalid {what}: {value!r}") from exc


def _expression(value: str) -> str:
    try:
        parse_expression(value)
    except ValueError as exc:
        raise BadRequest(f"invalid Upstash-Retry-Delay: {exc}") from exc
    return value
