"""Redis replies as Upstash REST JSON (reference A4/A5).

Replies come from `executor.MarkedRESP2Parser` in raw RESP2 shape: `bytes` for bulk strings,
`SimpleString` for status replies, `ErrorReply` for errors, `int`, `None` and nested lists.
With `Upstash-Encoding: base64` every string is base64 except the status reply `OK` (a bulk
string that happens to be "OK" is encoded, as Upstash does).
"""

from __future__ import annotations

from base64 import b64encode
from typing import Any


class SimpleString(bytes):
    """A RESP status reply (`+OK`, `+PONG`, `+QUEUED`), as opposed to a bulk string."""


class ErrorReply(str):
    """A RESP error reply, with Redis' full text (`ERR ...`, `WRONGTYPE ...`)."""


Reply = None | int | bytes | str | list[Any]
JSONValue = None | int | str | list[Any]

_OK = b"OK"


def encode_result(reply: Reply, base64: bool) -> JSONValue:
    """One reply as the JSON value of `"result"` (strings decoded or base64-encoded)."""
    if reply is None or isinstance(reply, int):
        return reply
    if isinstance(reply, bytes):
        if not base64:
            return reply.decode("utf-8", "replace")
        if type(reply) is SimpleString and reply == _OK:
            return "OK"
        return b64encode(reply).decode("ascii")
    if isinstance(reply, str):  # an error nested inside an array (Lua tables)
        return b64encode(reply.encode()).decode("ascii") if base64 else str(reply)
    return [encode_result(item, base64) for item in reply]


def encode_reply(reply: Reply, base64: bool) -> dict[str, JSONValue]:
    """One reply as `{"result": ...}` or `{"error": ...}` (errors are never encoded)."""
    if isinstance(reply, ErrorReply):
        return {"error": str(reply)}
    return {"result": encode_result(reply, base64)}
