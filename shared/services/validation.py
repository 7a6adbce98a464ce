"""Turning untrusted JSON into domain requests, with errors that name the offending field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.domain.errors import InvalidRequest

M = TypeVar("M", bound=BaseModel)


def _param(loc: tuple[int | str, ...]) -> str | None:
    """`simulate.attempts[2]`: fields joined by dots, list positions in brackets."""
    param = ""
    for part in loc:
        if isinstance(part, int):
            param += f"[{part}]"
        elif not part.startswith("function-"):
            param += f".{part}" if param else part
    return param or None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_model[M: BaseModel](model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", code="parameter_invalid")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = _param(error["loc"])
        code = "parameter_missing" if error["type"] == "missing" else "parameter_invalid"
        if error["type"] == "extra_forbidden":
            code = "parameter_unknown"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "literal_error":  # name the bad value: "enabled_events.1: 'x' …"
            message = f"{_short(error.get('input'))} is not allowed; {message}"
        raise InvalidRequest(
            f"{param}: {message}" if param else message, code=code, param=param
        ) from None
