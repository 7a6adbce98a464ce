"""Decoding an untrusted JSON body: strict UTF-8, bounded nesting and numbers, valid Unicode.

Every way a body can be malformed ends as `InvalidRequest` (400), never as an exception the
catch-all turns into a 500: invalid or non-UTF-8 bytes, nesting deeper than `MAX_DEPTH` (the
parser's own recursion would otherwise blow up around a thousand levels), numbers longer than
`MAX_NUMBER_CHARS` (Python refuses to convert integers of more than 4,300 digits), `NaN` and
`Infinity` (not JSON), and lone UTF-16 surrogates such as `"\\ud800"` (valid JSON escapes, but
not Unicode: they cannot be stored, logged or sent back).
"""

from __future__ import annotations

import json
import math
from typing import Any

from shared.domain.errors import InvalidRequest

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64


class _Refused(ValueError):
    """A value the parser hooks refuse; turned into InvalidRequest by `decode_json`."""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number in the request body has more than {MAX_NUMBER_CHARS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number in the request body has more than {MAX_NUMBER_CHARS} digits")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number in the request body is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _check_structure(value: Any) -> None:
    """Depth and Unicode of the decoded value, iteratively (no recursion to blow up)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidRequest(
                    f"the request body is nested more than {MAX_DEPTH} levels deep",
                    param=path or None,
                )
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and _has_surrogate(key):
                    raise _surrogate(path)
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(item, str) and _has_surrogate(item):
            raise _surrogate(path)


def _surrogate(path: str) -> InvalidRequest:
    where = f"{path}: " if path else ""
    return InvalidRequest(
        f"{where}a string holds a lone UTF-16 surrogate (\\ud800-\\udfff); send valid Unicode",
        param=path or None,
    )


def decode_json(body: bytes) -> Any:
    """The JSON value of `body`, or InvalidRequest saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"the request body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON"
        ) from None
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except _Refused as exc:
        raise InvalidRequest(str(exc)) from None
    except RecursionError:
        raise InvalidRequest(
            f"the request body is nested more than {MAX_DEPTH} levels deep"
        ) from None
    except ValueError:  # json.JSONDecodeError and any other conversion error
        raise InvalidRequest("the request body is not valid JSON") from None
    _check_structure(value)
    return value
