"""Vercel entry point: the `payments_api` function's app (routes: see vercel.json)."""

from functions.payments_api.app import app

__all__ = ["app"]
