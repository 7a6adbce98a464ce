"""process_payment: QStash delivers a payment to the gateway (and its failure callback)."""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import process_payment

routers = (process_payment.router,)
app = create_function_app(*routers, title="paygate process_payment")
handler = Mangum(app, lifespan="off")
