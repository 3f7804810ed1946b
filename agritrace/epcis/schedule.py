"""The schedule of an EPCIS query subscription (EPCIS 2.0 §8.2.5.3, QuerySchedule):
cron-like fields second, minute, hour, dayOfMonth, month and dayOfWeek, each a
comma-separated list of numbers and `[a-b]` ranges; a field left out matches any
value (second: 0). Times are UTC, as the standard's schedule has no zone.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# field -> (smallest, largest) value; dayOfWeek 1 = Monday … 7 = Sunday (ISO).
FIELDS = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23), "dayOfMonth": (1, 31),
          "month": (1, 12), "dayOfWeek": (1, 7)}
_ELEMENT = re.compile(r"^(?:(\d{1,2})|\[(\d{1,2})-(\d{1,2})\])$")
HORIZON = timedelta(days=366 * 4)   # 29 February, on a Monday, comes round


class ScheduleError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse(schedule: dict) -> dict[str, frozenset[int]]:
    """The values each field allows; ScheduleError naming the field at fault."""
    if not isinstance(schedule, dict) or not schedule:
        raise ScheduleError("schedule", "A schedule is an object with at least one of "
                            + ", ".join(FIELDS) + ".")
    out = {}
    for name, value in schedule.items():
        if name not in FIELDS:
            raise ScheduleError(name, f"{name} is not a field of a schedule.")
        low, high = FIELDS[name]
        allowed: set[int] = set()
        for element in str(value).replace(" ", "").split(","):
            found = _ELEMENT.match(element)
            if not found:
                raise ScheduleError(name, f"{name}: '{element}' is not a number or a "
                                    "[from-to] range.")
            first = int(found.group(1) or found.group(2))
            last = int(found.group(1) or found.group(3))
            if not low <= first <= last <= high:
                raise ScheduleError(name, f"{name} takes values from {low} to {high}.")
            allowed.update(range(first, last + 1))
        out[name] = frozenset(allowed)
    return out


def next_time(schedule: dict, after: datetime) -> datetime | None:
    """The first time strictly after `after` that the schedule names, or None."""
    fields = parse(schedule)
    seconds = sorted(fields.get("second", {0}))
    moment = after.astimezone(timezone.utc).replace(second=0, microsecond=0)
    end = moment + HORIZON
    while moment <= end:
        if _day_matches(fields, moment):
            if moment.hour in fields.get("hour", range(24)) \
                    and moment.minute in fields.get("minute", range(60)):
                for second in seconds:
                    candidate = moment.replace(second=second)
                    if candidate > after:
                        return candidate
            moment += timedelta(minutes=1)
        else:   # skip the rest of a day that cannot match
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
    return None


def _day_matches(fields: dict, moment: datetime) -> bool:
    return (moment.month in fields.get("month", range(1, 13))
            and moment.day in fields.get("dayOfMonth", range(1, 32))
            and moment.isoweekday() in fields.get("dayOfWeek", range(1, 8)))
