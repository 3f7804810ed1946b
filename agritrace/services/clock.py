from datetime import datetime, timezone


def now() -> datetime:
    """The current time, timezone-aware (UTC), for every timestamp a service sets."""
    return datetime.now(timezone.utc)
