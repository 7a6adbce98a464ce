"""Upstash script shebangs on a stock Redis.

Upstash accepts Lua scripts that open with a shebang such as `#!lua flags=allow-key-locking`
(upstash-ratelimit sends one with every EVAL). Redis 6.2 knows no shebangs and Redis 7 rejects
that Upstash-only flag, so the bridge blanks the shebang line (line numbers in error messages
stay right) and remembers the SHA1 of the original text, so that EVALSHA, SCRIPT LOAD and
SCRIPT EXISTS keep speaking in the SHAs the client computes.
"""

from __future__ import annotations

from hashlib import sha1

from emulators.upstash_redis.commands import Arg, Command

MAX_REMEMBERED = 10_000


class ScriptShim:
    """Rewrites script commands; `rewrite` may also give the reply to answer instead."""

    def __init__(self) -> None:
        self._redis_sha: dict[str, str] = {}  # SHA of the text sent -> SHA Redis knows

    def rewrite(self, command: Command) -> tuple[Command, bytes | None]:
        if len(command) < 2:
            return command, None
        name = _upper(command[0])
        if name in ("EVAL", "EVAL_RO"):
            script = self._strip(command[1])
            if script is not None:
                return [command[0], script, *command[2:]], None
        elif name in ("EVALSHA", "EVALSHA_RO"):
            return [command[0], self._map(command[1]), *command[2:]], None
        elif name == "SCRIPT" and len(command) > 2:
            sub = _upper(command[1])
            if sub == "LOAD":
                script = self._strip(command[2])
                if script is not None:
                    return [*command[:2], script, *command[3:]], _sha(command[2]).encode()
            elif sub == "EXISTS":
                return [*command[:2], *(self._map(sha) for sha in command[2:])], None
        return command, None

    def _strip(self, script: Arg) -> bytes | None:
        raw = script.encode() if isinstance(script, str) else script
        if not raw.startswith(b"#!"):
            return None
        newline = raw.find(b"\n")
        stripped = raw[newline:] if newline >= 0 else b""
        if len(self._redis_sha) >= MAX_REMEMBERED:
            self._redis_sha.pop(next(iter(self._redis_sha)))
        self._redis_sha[_sha(raw)] = _sha(stripped)
        return stripped

    def _map(self, sha: Arg) -> Arg:
        text = sha.decode("ascii", "replace") if isinstance(sha, bytes) else sha
        return self._redis_sha.get(text.lower(), sha)


def _sha(script: Arg) -> str:
    return sha1(script.encode() if isinstance(script, str) else script).hexdigest()


def _upper(arg: Arg) -> str:
    return (arg.decode("utf-8", "replace") if isinstance(arg, bytes) else arg).upper()
