"""Vercel entry point: the `api_docs` function's app (routes: see vercel.json)."""

from functions.api_docs.app import app

__all__ = ["app"]
