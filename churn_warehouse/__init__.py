"""Churn and retention analytics warehouse: sample data, build-and-publish job, model helpers."""

from datetime import date, datetime, timezone

__version__ = "0.1.0"


def today_utc() -> date:
    """Today in UTC, where the sample ends unless told otherwise (the generator stops a history ending today at
    the start of the current hour, so no row is later than the build that reads it)."""
    return datetime.now(timezone.utc).date()
