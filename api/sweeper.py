"""Vercel entry point: the `sweeper` function's app (routes: see vercel.json)."""

from functions.sweeper.app import app

__all__ = ["app"]
