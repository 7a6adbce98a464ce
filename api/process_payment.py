"""Vercel entry point: the `process_payment` function's app (routes: see vercel.json)."""

from functions.process_payment.app import app

__all__ = ["app"]
