"""Vercel entry point: the `dispatch_webhook` function's app (routes: see vercel.json)."""

from functions.dispatch_webhook.app import app

__all__ = ["app"]
