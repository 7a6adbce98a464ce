"""Register the QStash schedules a Vercel deployment needs (on AWS, EventBridge does this).

    QSTASH_TOKEN=... python infra/register_schedules.py --public-url https://paygate-api.vercel.app

Upserts two schedules with fixed ids, so running it again changes nothing:
`paygate-sweeper` (every 15 minutes → POST /internal/sweep: the backstop; stuck work is
re-driven first by delayed watchdog messages, see docs/guarantees.md) and `paygate-settlement`
(00:15 UTC daily → POST /internal/settlement_report, yesterday's reports).
QStash signs each call; the functions verify it like any other internal call.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from qstash import QStash

DEFAULT_QSTASH_URL = "https://qstash.upstash.io"


@dataclass(frozen=True)
class Schedule:
    schedule_id: str
    path: str
    cron: str


SCHEDULES = (
    Schedule("paygate-sweeper", "/internal/sweep", "*/15 * * * *"),
    Schedule("paygate-settlement", "/internal/settlement_report", "15 0 * * *"),
)


def register(
    client: QStash, public_url: str, schedules: tuple[Schedule, ...] = SCHEDULES
) -> list[str]:
    """Create or update every schedule; returns their ids."""
    base = public_url.rstrip("/")
    return [
        client.schedule.create(
            destination=base + schedule.path,
            cron=schedule.cron,
            schedule_id=schedule.schedule_id,
        )
        for schedule in schedules
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-url", default=os.environ.get("PAYGATE_PUBLIC_URL"))
    parser.add_argument("--qstash-url", default=os.environ.get("QSTASH_URL", DEFAULT_QSTASH_URL))
    args = parser.parse_args(argv)
    token = os.environ.get("QSTASH_TOKEN")
    if not token or not args.public_url:
        parser.error("set QSTASH_TOKEN and PAYGATE_PUBLIC_URL (or --public-url)")
    client = QStash(token, base_url=args.qstash_url.rstrip("/"))
    for schedule_id in register(client, args.public_url):
        print(f"schedule {schedule_id} registered")


if __name__ == "__main__":
    main()
