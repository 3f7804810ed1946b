"""The clock: services stamp rows with it, schemas and pages judge dates by it. It
sits at the app's root, outside every layer, so that each of them may read it."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """The current time, timezone-aware (UTC), for every timestamp a service sets."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today in Vietnam: a certification valid until a day holds through that whole day
    there, whatever the server's time zone, on every page and in the API alike."""
    return now().astimezone(VIETNAM).date()
