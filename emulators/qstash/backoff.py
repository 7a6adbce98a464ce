"""Retry timing: durations, the default backoff, `Retry-After`, `Upstash-Retry-Delay` expressions.

All functions return *unscaled* seconds; `Deliverer.outcome` multiplies retry backoff by the
time scale (explicit delays, parsed here too, are never scaled).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from functools import lru_cache

MAX_DELAY_S = 86_400.0

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def parse_duration(text: str) -> float:
    """Seconds in `10`, `10s`, `5m`, `1d10h30m`, `250ms` (Go-style units plus `d`).

    Raises ValueError on anything else.
    """
    text = text.strip()
    if _NUMBER.match(text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration: {text!r}")
    return total


def default_backoff(n: int) -> float:
    """QStash's documented default: `min(86400, e ** (2.5 * n))` s; n = 1 for the first retry."""
    return min(MAX_DELAY_S, math.exp(2.5 * n)) if n < 40 else MAX_DELAY_S


RETRY_AFTER_HEADERS = (
    "retry-after",
    "x-ratelimit-reset",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)


def parse_retry_after(value: str, now_s: float) -> float | None:
    """Seconds to wait from a `Retry-After`-style value, or None if unusable or > 1 day."""
    value = value.strip()
    if not value:
        return None
    seconds: float | None
    try:
        seconds = parse_duration(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now_s
        except (TypeError, ValueError, IndexError):
            seconds = None
    if seconds is None or seconds > MAX_DELAY_S:
        return None
    return max(0.0, seconds)


def retry_after_from(headers: Callable[[str], str | None], now_s: float) -> float | None:
    """The first usable destination-driven delay among the headers QStash honours."""
    for name in RETRY_AFTER_HEADERS:
        value = headers(name)
        if value is not None:
            seconds = parse_retry_after(value, now_s)
            if seconds is not None:
                return seconds
    return None


# --- Upstash-Retry-Delay expressions ---------------------------------------------------

_FUNCTIONS: dict[str, Callable[..., float]] = {
    "pow": lambda a, b: math.pow(a, b),
    "sqrt": math.sqrt,
    "abs": abs,
    "exp": math.exp,
    "floor": lambda x: float(math.floor(x)),
    "ceil": lambda x: float(math.ceil(x)),
    "round": lambda x: float(math.floor(x + 0.5)),
    "min": min,
    "max": max,
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: math.fmod(a, b),
    ast.Pow: lambda a, b: math.pow(a, b),
}
_MAX_EXPRESSION_LEN = 512


class RetryDelayExpression:
    """A parsed `Upstash-Retry-Delay` (milliseconds; variable `retried`; a few math functions).

    Parsed once with `ast` and walked on a whitelist; never `eval`-ed. Arithmetic is in
    floats so `pow` cannot build huge integers.
    """

    def __init__(self, source: str) -> None:
        if len(source) > _MAX_EXPRESSION_LEN:
            raise ValueError("retry delay expression too long")
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"invalid retry delay expression: {source!r}") from exc
        self.source = source
        self._root = tree.body
        self._check(self._root)

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ValueError(f"unsupported constant {node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id != "retried":
                raise ValueError(f"unknown variable {node.id!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ValueError("unsupported operator")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.UAdd | ast.USub):
                raise ValueError("unsupported operator")
            self._check(node.operand)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                raise ValueError("unsupported function")
            if node.keywords or not node.args:
                raise ValueError("functions take positional arguments only")
            for arg in node.args:
                self._check(arg)
        else:
            raise ValueError(f"unsupported syntax: {type(node).__name__}")

    def milliseconds(self, retried: int) -> float:
        """The delay before the next retry; `retried` is 0 for the first retry."""
        return self._eval(self._root, float(retried))

    def _eval(self, node: ast.AST, retried: float) -> float:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float):  # unreachable: `_check` allows numbers only
                raise ValueError("constants must be numbers")
            return float(node.value)
        if isinstance(node, ast.Name):
            return retried
        if isinstance(node, ast.BinOp):
            op = _BINARY[type(node.op)]
            return op(self._eval(node.left, retried), self._eval(node.right, retried))
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, retried)
            return -value if isinstance(node.op, ast.USub) else value
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        args = [self._eval(arg, retried) for arg in node.args]
        return float(_FUNCTIONS[node.func.id](*args))


@lru_cache(maxsize=256)
def parse_expression(source: str) -> RetryDelayExpression:
    """A parsed expression (cached: the same few expressions come back on every retry)."""
    return RetryDelayExpression(source)


def expression_delay_s(source: str, retried: int) -> float | None:
    """Seconds from a retry delay expression, capped at a day; None if it cannot be computed."""
    try:
        ms = parse_expression(source).milliseconds(retried)
    except OverflowError:
        return MAX_DELAY_S  # astronomically long: the cap
    except (ValueError, ArithmeticError, TypeError):
        return None
    if math.isnan(ms):
        return None
    return min(MAX_DELAY_S, max(0.0, ms / 1000.0))
