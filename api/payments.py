"""Vercel entry point for `/v1/payments`: POST → create_payment, other methods → payments_api."""

from api._dispatch import MethodDispatch
from functions.create_payment.app import app as create_payment_app
from functions.payments_api.app import app as payments_api_app

app = MethodDispatch({"POST": create_payment_app}, default=payments_api_app)

__all__ = ["app"]
