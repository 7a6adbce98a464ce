"""Upstash REST requests into Redis argument lists (reference A3).

JSON numbers are kept as the exact text the client sent (`1000`, `1.5`, `2.0`), which is
what redis-py would send for the same Python values; `true`/`false` become those words.
Commands that change connection state are refused: the bridge shares pooled connections
between requests, so MULTI, SELECT, SUBSCRIBE and friends would leak into other requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Arg = str | bytes
Command = list[Arg]

REFUSED = frozenset(
    {
        "AUTH", "DISCARD", "EXEC", "HELLO", "MONITOR", "MULTI", "PSUBSCRIBE", "PSYNC",
        "PUNSUBSCRIBE", "QUIT", "REPLICAOF", "RESET", "SELECT", "SHUTDOWN", "SLAVEOF",
        "SSUBSCRIBE", "SUBSCRIBE", "SUNSUBSCRIBE", "SYNC", "UNSUBSCRIBE", "UNWATCH", "WATCH",
    }
)  # fmt: skip
CLIENT_SUBCOMMANDS_ALLOWED = frozenset({"GETNAME", "ID", "INFO", "LIST"})
_CONSTANTS = {"Infinity": "inf", "-Infinity": "-inf", "NaN": "nan"}
_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=_CONSTANTS.get)


class CommandError(ValueError):
    """A request refused before it reaches Redis; the message is Redis-style error text."""


def parse_body(body: bytes) -> Any:
    """The JSON body, with every number left as its original text."""
    try:
        return _DECODER.decode(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CommandError("ERR failed to parse command: body is not valid JSON") from exc


def normalise(command: Any) -> Command:
    """A parsed JSON command (`["SET", "k", 1]`) as Redis arguments (`["SET", "k", "1"]`)."""
    if not isinstance(command, list) or not command:
        raise CommandError("ERR failed to parse command: expected a non-empty JSON array")
    args: Command = []
    for item in command:
        if isinstance(item, str):
            args.append(item)
        elif isinstance(item, bool):
            args.append("true" if item else "false")
        else:
            kind = "null" if item is None else type(item).__name__
            raise CommandError(f"ERR failed to parse command: unsupported argument type {kind}")
    check_allowed(args)
    return args


def normalise_many(commands: Any) -> list[Command]:
    """A parsed pipeline / transaction body (2-D array) as Redis argument lists."""
    if not isinstance(commands, list):
        raise CommandError("ERR failed to parse pipeline: expected a 2-D JSON array")
    return [normalise(command) for command in commands]


def from_path(segments: list[str], query: Iterable[tuple[str, str]], body: bytes) -> Command:
    """A path-style command: `/set/foo/bar?EX=100` -> `SET foo bar EX 100`, body appended last."""
    args: Command = list(segments)
    for key, value in query:
        if key == "_token":
            continue
        args.append(key)
        if value:
            args.append(value)
    if body:
        args.append(body)
    check_allowed(args)
    return args


def check_allowed(args: Command) -> None:
    name = _text(args[0]).upper()
    if name in REFUSED or (
        name == "CLIENT"
        and (len(args) < 2 or _text(args[1]).upper() not in CLIENT_SUBCOMMANDS_ALLOWED)
    ):
        raise CommandError(f"ERR Command is not available: '{name.lower()}'")


def _text(arg: Arg) -> str:
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else arg
