"""`python -m emulators.upstash_redis --host H --port P --redis-url URL --token T`."""

from __future__ import annotations

import argparse

import uvicorn

from emulators.upstash_redis.app import create_app
from emulators.upstash_redis.executor import DEFAULT_COMMAND_TIMEOUT, DEFAULT_MAX_CONNECTIONS
from shared.dev_credentials import DEV_UPSTASH_TOKEN


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.upstash_redis",
        description="Upstash Redis REST API over a local Redis.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--token", default=DEV_UPSTASH_TOKEN)
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS)
    parser.add_argument(
        "--command-timeout",
        type=float,
        default=DEFAULT_COMMAND_TIMEOUT,
        help="seconds before a command (e.g. a blocking BLPOP) is abandoned",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    app = create_app(
        args.redis_url,
        args.token,
        max_connections=args.max_connections,
        command_timeout=args.command_timeout,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
