"""process_payment: QStash delivers a payment to the gateway (and its failure callback),
and the delayed timers that follow a payment: authorization expiry, dispute opening and decision."""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import dispute_timers, process_payment

routers = (process_payment.router, dispute_timers.router)
app = create_function_app(*routers, title="paygate process_payment")
handler = Mangum(app, lifespan="off")
