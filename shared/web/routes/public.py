"""`PUBLIC`: every router of the public API, so the one OpenAPI document describes all of it
whichever function serves it (only the function that documents the API imports this)."""

from shared.web.routes import (
    create_payment,
    disputes,
    events,
    metrics,
    payments,
    refunds,
    settlements,
    simulator,
    webhooks,
)

PUBLIC = (
    create_payment.router,
    payments.router,
    refunds.router,
    disputes.router,
    metrics.router,
    webhooks.router,
    events.router,
    settlements.router,
    simulator.router,
)

__all__ = ["PUBLIC"]
