"""api_docs: `GET /openapi.json` and `GET /docs`, one document for the whole public API.

Each lifecycle function's own app documents only its routes; this one includes every
function's router (as the local functions host does), so the deployed API has the same single
OpenAPI document. It has no `router` of its own, so the functions host does not mount it.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter
from mangum import Mangum

from shared.web.app import create_function_app

DOCUMENTED_FUNCTIONS = (
    "create_payment",
    "dispatch_webhook",
    "payments_api",
    "process_payment",
    "settlement_report",
    "sweeper",
)


def function_routers() -> list[APIRouter]:
    return [
        importlib.import_module(f"functions.{name}.app").router for name in DOCUMENTED_FUNCTIONS
    ]


app = create_function_app(*function_routers(), title="paygate")
handler = Mangum(app, lifespan="off")
