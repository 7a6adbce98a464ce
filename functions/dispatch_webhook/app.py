"""dispatch_webhook: one QStash-driven webhook attempt, and the failure callback."""

from mangum import Mangum

from shared.web.app import create_function_app
from shared.web.routes import dispatch_webhook

routers = (dispatch_webhook.router,)
app = create_function_app(*routers, title="paygate dispatch_webhook")
handler = Mangum(app, lifespan="off")
