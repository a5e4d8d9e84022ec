"""Churn and retention analytics warehouse: sample data, build-and-publish job, model helpers."""

from datetime import date, datetime, timedelta, timezone

__version__ = "0.1.0"


def last_complete_day() -> date:
    """Yesterday in UTC, where the sample ends unless told otherwise: a history ending today would hold rows
    stamped later today, which a build quarantines as `future_timestamp`."""
    return datetime.now(timezone.utc).date() - timedelta(days=1)
