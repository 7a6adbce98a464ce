"""`python -m emulators.qstash --host 127.0.0.1 --port 8080 --redis-url ... --token ...`"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from emulators.qstash.app import QStashApp
from emulators.qstash.models import Options
from shared.dev_credentials import (
    DEV_QSTASH_CURRENT_SIGNING_KEY,
    DEV_QSTASH_NEXT_SIGNING_KEY,
    DEV_QSTASH_TOKEN,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulators.qstash", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--token", default=DEV_QSTASH_TOKEN)
    parser.add_argument("--current-signing-key", default=DEV_QSTASH_CURRENT_SIGNING_KEY)
    parser.add_argument("--next-signing-key", default=DEV_QSTASH_NEXT_SIGNING_KEY)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiplies retry backoff only; Upstash-Delay is not scaled (dev: 0.01)",
    )
    parser.add_argument("--parallelism", type=int, default=64, help="maximum concurrent deliveries")
    parser.add_argument(
        "--max-retry-delay",
        type=float,
        default=None,
        help="cap, in seconds after scaling, on the wait before one retry (tests: a short tail)",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if args.time_scale <= 0 or args.parallelism < 1:
        parser.error("--time-scale must be > 0 and --parallelism >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = Options(
        token=args.token,
        current_signing_key=args.current_signing_key,
        next_signing_key=args.next_signing_key,
        redis_url=args.redis_url,
        time_scale=args.time_scale,
        parallelism=args.parallelism,
        max_retry_delay_s=args.max_retry_delay,
    )
    uvicorn.run(
        QStashApp(options),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=6,
    )


if __name__ == "__main__":
    main()
