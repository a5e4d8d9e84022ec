"""Churn and retention analytics warehouse: sample data, build-and-publish job, model helpers."""

import argparse
from datetime import date, datetime, timezone

__version__ = "0.1.0"


def today_utc() -> date:
    """Today in UTC, where the sample ends unless told otherwise (the generator stops a history ending today at
    the start of the current hour, so no row is later than the build that reads it)."""
    return datetime.now(timezone.utc).date()


def check_end_date(day: date) -> date:
    """A sample's end date as the command lines take it: no later than today (UTC), as a sample holds no future
    rows (an argparse error otherwise)."""
    if day > today_utc():
        raise argparse.ArgumentTypeError(f"{day} is after today ({today_utc()} UTC): a sample holds no future rows")
    return day
