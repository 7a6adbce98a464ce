"""`paygate simulate show|set|reset`: a merchant's simulator settings from the command line.

Talks to any paygate over HTTP (`/v1/simulator`), local or deployed. `set` reads the current
object, applies dotted `KEY=VALUE` changes, and PUTs the whole object back, so a change to one
dial keeps the others. Values are JSON (`0.3`, `7`, `null`, `"text"`) or, failing that, text;
`expires_in=5m` (s, m, h, d) is a convenience that sets `expires_at` that far from now.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

READ_ONLY = ("object", "version", "updated_at", "is_default")
DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
TIMEOUT_S = 10.0


class SimulateError(Exception):
    """Something to tell the user (exit code `exit_code`)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_duration(text: str) -> timedelta:
    found = DURATION.match(text.strip())
    if found is None:
        raise SimulateError(f"expires_in: {text!r} is not a duration like 90s, 5m, 2h or 1d", 2)
    return timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def leaf_keys(node: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in node.items():
        if key in READ_ONLY:
            continue
        if isinstance(value, dict):
            keys += leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.append(prefix + key)
    return keys


def apply_changes(
    current: dict[str, Any], assignments: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """The whole object to PUT: `current` without its read-only fields, with the changes."""
    body = {k: v for k, v in json.loads(json.dumps(current)).items() if k not in READ_ONLY}
    expires = body.get("expires_at")
    now = now or datetime.now(UTC)
    if isinstance(expires, str) and datetime.fromisoformat(expires) <= now:
        body["expires_at"] = None  # ran out: the defaults are in force, and a PUT keeps them so
    known = leaf_keys(body)
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SimulateError(f"{assignment!r}: write KEY=VALUE, e.g. api.error_rate=0.3", 2)
        if key == "expires_in":
            body["expires_at"] = (now + parse_duration(raw)).isoformat().replace("+00:00", "Z")
            continue
        if key not in known:
            raise SimulateError(f"unknown key {key!r}; keys: {', '.join(known)}, expires_in", 2)
        *parents, leaf = key.split(".")
        node = body
        for part in parents:
            node = node[part]
        node[leaf] = parse_value(raw)
    return body


def render(settings: dict[str, Any]) -> str:
    """The settings as `key = value` lines under a one-line summary."""
    state = "defaults" if settings.get("is_default") else "non-default dials"
    expires = settings.get("expires_at") or "never"
    lines = [
        f"simulator settings v{settings.get('version')} — {state} in force "
        f"(updated {settings.get('updated_at') or 'never'}, expires {expires})"
    ]

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if key in READ_ONLY or (not prefix and key == "expires_at"):
                continue
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                lines.append(f"  {prefix}{key} = {json.dumps(value)}")

    walk(settings, "")
    return "\n".join(lines)


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        param = f" (param: {error['param']})" if error.get("param") else ""
        return f"{response.status_code} {error['code']}: {error['message']}{param}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code}: {response.text[:300]}"


class SimulatorClient:
    def __init__(self, api_url: str, api_key: str) -> None:
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT_S,
        )

    def __enter__(self) -> SimulatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.http.request(method, "/v1/simulator", json=body)
        except httpx.HTTPError as exc:
            raise SimulateError(f"cannot reach {self.http.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise SimulateError(_error_text(response))
        return dict(response.json())


def run(action: str, api_url: str, api_key: str, assignments: list[str]) -> str:
    """Carry out `show`, `set` or `reset`; the text to print (SimulateError otherwise)."""
    if action not in ("show", "set", "reset"):
        raise SimulateError(f"unknown action {action!r}: use show, set or reset", 2)
    if action != "set" and assignments:
        raise SimulateError(f"{action} takes no KEY=VALUE arguments", 2)
    if action == "set" and not assignments:
        raise SimulateError("set needs at least one KEY=VALUE, e.g. api.error_rate=0.3", 2)
    with SimulatorClient(api_url, api_key) as client:
        if action == "show":
            return render(client.call("GET"))
        if action == "reset":
            return render(client.call("DELETE"))
        body = apply_changes(client.call("GET"), assignments)
        return render(client.call("PUT", body))
