"""create_payment: `POST /v1/payments` — validate, apply idempotency, store, queue processing."""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import create_payment

routers = (create_payment.router,)
app = create_function_app(*routers, title="paygate create_payment")
handler = Mangum(app, lifespan="off")
