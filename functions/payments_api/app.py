"""payments_api: the read side and merchant actions — payments, refunds, disputes, metrics,
webhooks, simulator settings.

It also serves `/openapi.json` and `/docs` for the whole public API (every function's routes).
"""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import disputes, events, metrics, payments, refunds, simulator, webhooks

routers = (
    payments.router,
    refunds.router,
    disputes.router,
    metrics.router,
    webhooks.router,
    simulator.router,
    events.router,
)
app = create_function_app(*routers, title="paygate", document_public_api=True)
handler = Mangum(app, lifespan="off")
