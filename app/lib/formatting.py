"""Figures as an executive reads them: money with its currency, rates as percentages, changes in points."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

DASH = "—"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

Number = float | int | Decimal | None


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA: the ways a null figure arrives from a data frame."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is not a single missing value
        return False


def money(value: Number, currency: str = "USD", *, decimals: int = 0, signed: bool = False) -> str:
    """`$34,950,580`, `-$1,200` or `1,234 CHF` for currencies without a symbol."""
    if is_missing(value):
        return DASH
    amount = float(value)  # type: ignore[arg-type]
    digits = f"{abs(amount):,.{decimals}f}"
    shows_zero = not digits.strip("0.,")
    sign = "" if shows_zero else ("-" if amount < 0 else ("+" if signed else ""))
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def percent(value: Number, *, decimals: int = 2, signed: bool = False) -> str:
    """A fraction as a percentage: 0.0306 → `3.06%`."""
    if is_missing(value):
        return DASH
    share = 100 * float(value)  # type: ignore[arg-type]
    return f"{share:+.{decimals}f}%" if signed else f"{share:.{decimals}f}%"


def points(value: Number, *, decimals: int = 2) -> str:
    """A change of a rate in percentage points: 0.0012 → `+0.12 pp`."""
    if is_missing(value):
        return DASH
    return f"{100 * float(value):+.{decimals}f} pp"  # type: ignore[arg-type]


def count(value: Number) -> str:
    """`45,978`."""
    if is_missing(value):
        return DASH
    return f"{int(round(float(value))):,}"  # type: ignore[arg-type]


def signed_count(value: Number) -> str:
    """`+1,204` or `-87`."""
    if is_missing(value):
        return DASH
    return f"{int(round(float(value))):+,}"  # type: ignore[arg-type]


def ratio(value: Number, *, decimals: int = 2, signed: bool = False) -> str:
    """A ratio such as the quick ratio: `2.35×`."""
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    return f"{number:+.{decimals}f}×" if signed else f"{number:.{decimals}f}×"


def score(value: Number, *, decimals: int = 1, signed: bool = False) -> str:
    """A score such as NPS: `42.5`, or `+3.0` for a change."""
    if is_missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    return f"{number:+.{decimals}f}" if signed else f"{number:.{decimals}f}"


def month_label(month: date) -> str:
    """`Oct 2026`."""
    return f"{month:%b %Y}"


def day_label(day: date | None) -> str:
    """`20 Nov 2026`."""
    return DASH if day is None or is_missing(day) else f"{day:%d %b %Y}"
