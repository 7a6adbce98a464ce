"""The exception tree every layer raises and the web layer maps to the error envelope.

PaygateError                      type / code / message / param / http_status
├── InvalidRequest                400 parameter_invalid | parameter_missing | ...
│   ├── PayloadTooLarge           413 body_too_large
│   └── UnsupportedMediaType      415 unsupported_media_type
├── AuthenticationFailed          401 missing_api_key | invalid_api_key | invalid_signature
├── NotFound                      404 resource_missing
├── IdempotencyError
│   ├── IdempotencyKeyMissing     400 idempotency_key_missing | idempotency_key_invalid
│   ├── IdempotencyKeyInUse       409 idempotency_key_in_use
│   └── IdempotencyKeyReused      422 idempotency_key_reused
├── InvalidState                  409 invalid_state
├── DuplicateObject               409 duplicate_object (a store already holds this key)
│   ├── DuplicatePayment          (merchant, idempotency key) taken: the caller replays it
│   └── DuplicateRefund           the same, for a refund
├── IllegalTransition             409 illegal_transition (a bug if it ever reaches a client)
├── RateLimited                   429 rate_limited (+ retry_after seconds)
├── SimulatedOutage               503 simulated_outage (the merchant's simulator said so)
└── DependencyUnavailable         503 service_unavailable (names the dependency)
"""

from __future__ import annotations


class PaygateError(Exception):
    http_status = 500
    type = "api_error"
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param


class InvalidRequest(PaygateError):
    http_status = 400
    type = "invalid_request_error"
    code = "parameter_invalid"


class PayloadTooLarge(InvalidRequest):
    http_status = 413
    code = "body_too_large"


class UnsupportedMediaType(InvalidRequest):
    http_status = 415
    code = "unsupported_media_type"


class AuthenticationFailed(PaygateError):
    http_status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class NotFound(PaygateError):
    http_status = 404
    type = "invalid_request_error"
    code = "resource_missing"


class IdempotencyError(PaygateError):
    type = "idempotency_error"


class IdempotencyKeyMissing(IdempotencyError):
    http_status = 400
    code = "idempotency_key_missing"


class IdempotencyKeyInUse(IdempotencyError):
    http_status = 409
    code = "idempotency_key_in_use"


class IdempotencyKeyReused(IdempotencyError):
    http_status = 422
    code = "idempotency_key_reused"


class InvalidState(PaygateError):
    http_status = 409
    type = "invalid_request_error"
    code = "invalid_state"


class DuplicateObject(PaygateError):
    """Raised by a store when a unique key is taken; use cases catch it (a replay, a race)."""

    http_status = 409
    type = "invalid_request_error"
    code = "duplicate_object"


class DuplicatePayment(DuplicateObject):
    """A payment with this (merchant, idempotency key) already exists."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"a payment with Idempotency-Key {idempotency_key!r} already exists")
        self.idempotency_key = idempotency_key


class DuplicateRefund(DuplicateObject):
    """A refund with this (merchant, idempotency key) already exists."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"a refund with Idempotency-Key {idempotency_key!r} already exists")
        self.idempotency_key = idempotency_key


class IllegalTransition(PaygateError):
    http_status = 409
    type = "api_error"
    code = "illegal_transition"


class RateLimited(PaygateError):
    http_status = 429
    type = "rate_limit_error"
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SimulatedOutage(PaygateError):
    """An API fault the merchant's simulator settings (or `Paygate-Fault`) asked for."""

    http_status = 503
    type = "api_error"
    code = "simulated_outage"
    retry_after = 1

    def __init__(self, mode: str) -> None:
        done = (
            "the request took effect but its answer was lost"
            if mode == "after_commit"
            else "nothing was done"
        )
        super().__init__(
            f"simulated outage ({mode}): {done}; "
            "send the same request again (with the same Idempotency-Key)"
        )
        self.mode = mode


class DependencyUnavailable(PaygateError):
    http_status = 503
    type = "api_error"
    code = "service_unavailable"

    def __init__(self, dependency: str, detail: str = "") -> None:
        reason = f": {detail}" if detail else ""
        super().__init__(f"{dependency} is unavailable{reason}")
        self.dependency = dependency
