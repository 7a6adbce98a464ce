"""process_refund: QStash delivers a refund to the gateway (and its failure callback)."""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import process_refund

routers = (process_refund.router,)
app = create_function_app(*routers, title="paygate process_refund")
handler = Mangum(app, lifespan="off")
