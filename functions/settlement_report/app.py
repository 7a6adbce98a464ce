"""settlement_report: nightly settlement CSVs to S3, and a merchant's link to its own report."""

from shared.web.app import create_function_app
from shared.web.routes import settlements
from shared.web.scheduled import scheduled_or_http

routers = (settlements.router,)
app = create_function_app(*routers, title="paygate settlement_report")
handler = scheduled_or_http(app, settlements.scheduled_settlement)
