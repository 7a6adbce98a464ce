"""The routers, one per resource or lifecycle step; `functions/*/app.py` pick theirs.

Importing one router imports only that router's module: this package imports none of them
(each function's cold start pays for its own routes only). `shared.web.routes.public` lists
every router of the public API, for the one OpenAPI document.
"""
