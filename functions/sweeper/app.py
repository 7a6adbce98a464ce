"""sweeper: republishes work left behind. QStash schedule locally, EventBridge on AWS."""

from shared.web.app import create_function_app
from shared.web.routes import sweep
from shared.web.scheduled import scheduled_or_http

routers = (sweep.router,)
app = create_function_app(*routers, title="paygate sweeper")
handler = scheduled_or_http(app, sweep.scheduled_sweep)
