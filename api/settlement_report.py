"""Vercel entry point: the `settlement_report` function's app (routes: see vercel.json)."""

from functions.settlement_report.app import app

__all__ = ["app"]
