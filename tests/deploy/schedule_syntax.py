"""EventBridge schedule expressions: `rate(value unit)` and six-field `cron(...)`."""

from __future__ import annotations

import re

RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.+)\)$")
# (lowest, highest) per field: minutes, hours, day-of-month, month, day-of-week, year.
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))
MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
WEEKDAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"


def valid_rate(expression: str) -> bool:
    match = RATE.match(expression)
    if match is None:
        return False
    value, unit = int(match.group(1)), match.group(2)
    return value >= 1 and (unit.endswith("s") == (value != 1))


def _valid_value(token: str, index: int) -> bool:
    low, high = CRON_RANGES[index]
    if token.isdigit():
        return low <= int(token) <= high
    names = MONTHS if index == 3 else WEEKDAYS if index == 4 else ""
    return bool(names) and re.fullmatch(names, token) is not None


def _valid_field(field: str, index: int) -> bool:
    if field in ("*", "?"):
        return True
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*" and step:
            continue
        if (index == 2 and base in ("L", "W")) or (index == 4 and base == "L"):
            continue
        bounds = base.split("-")
        if len(bounds) > 2 or not all(_valid_value(b, index) for b in bounds):
            return False
    return True


def valid_cron(expression: str) -> bool:
    """Six fields; `?` in exactly one of day-of-month and day-of-week, as EventBridge wants."""
    match = CRON.match(expression)
    if match is None:
        return False
    fields = match.group(1).split()
    if len(fields) != 6:
        return False
    if (fields[2] == "?") == (fields[4] == "?"):
        return False
    return all(_valid_field(field, i) for i, field in enumerate(fields))


def valid_schedule(expression: str) -> bool:
    return valid_rate(expression) or valid_cron(expression)
