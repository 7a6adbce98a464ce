"""The production schedules, read from the deployment files, and how often each one fires.

AWS: `schedule` events of `infra/serverless.yml` (EventBridge `rate(...)` / six-field `cron(...)`),
each driving the function's `POST /internal/...` route. Vercel: the QStash schedules
`infra/register_schedules.py` registers (five-field crons). B4 runs each job as many times as
its schedule fires in an hour, and a test holds every schedule to at most 4 fires an hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import yaml
from croniter import croniter

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS_YML = ROOT / "infra" / "serverless.yml"
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
WEEK = timedelta(days=7)
# Monday 2026-01-05 00:00 UTC: a fixed week, so the figures do not depend on today.
WEEK_START = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Scheduled:
    deployment: str  # aws | vercel
    path: str  # the internal route the schedule calls
    expression: str  # as written in the deployment file


def _five_field(expression: str) -> str:
    """An EventBridge `cron(m h dom mon dow year)` as a croniter five-field cron."""
    minute, hour, dom, month, dow, _year = expression[len("cron(") : -1].split()
    return " ".join(f.replace("?", "*") for f in (minute, hour, dom, month, dow))


def fire_times(
    expression: str, start: datetime = WEEK_START, span: timedelta = WEEK
) -> list[datetime]:
    match = RATE.match(expression)
    if match is not None:
        every = timedelta(minutes=int(match.group(1)) * UNIT_MINUTES[match.group(2).rstrip("s")])
        count = int(span / every)
        return [start + every * i for i in range(count)]
    cron = _five_field(expression) if expression.startswith("cron(") else expression
    times: list[datetime] = []
    it = croniter(cron, start - timedelta(seconds=1))
    while (at := it.get_next(datetime)) < start + span:
        times.append(at)
    return times


def fires_per_hour(expression: str) -> float:
    return len(fire_times(expression)) / (WEEK / timedelta(hours=1))


def shortest_gap_minutes(expression: str) -> float:
    """The shortest time between two fires (over a week, and across its end)."""
    times = fire_times(expression)
    times.append(times[0] + WEEK)
    return min((b - a) / timedelta(minutes=1) for a, b in pairwise(times))


def aws_schedules(path: Path = SERVERLESS_YML) -> list[Scheduled]:
    functions = yaml.safe_load(path.read_text())["functions"]
    found = []
    for spec in functions.values():
        events = spec.get("events", [])
        routes = [
            e["httpApi"]["path"]
            for e in events
            if "httpApi" in e
            and e["httpApi"].get("method") == "POST"
            and e["httpApi"]["path"].startswith("/internal/")
        ]
        for event in events:
            if "schedule" in event:
                schedule = event["schedule"]
                rate = schedule["rate"] if isinstance(schedule, dict) else schedule
                found.append(Scheduled("aws", routes[0], str(rate)))
    return found


def vercel_schedules() -> list[Scheduled]:
    from infra.register_schedules import SCHEDULES

    return [Scheduled("vercel", s.path, s.cron) for s in SCHEDULES]


def production_schedules() -> list[Scheduled]:
    return [*aws_schedules(), *vercel_schedules()]
