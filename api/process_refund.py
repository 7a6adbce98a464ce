"""Vercel entry point: the `process_refund` function's app (routes: see vercel.json)."""

from functions.process_refund.app import app

__all__ = ["app"]
