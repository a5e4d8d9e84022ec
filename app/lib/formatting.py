"""Figures as an executive reads them: money with its currency, rates as percentages, changes in points."""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal

import pandas as pd

DASH = "—"
WORD_JOINER = "\u2060"  # invisible, no line break: splits what GitHub Markdown would turn into a link
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_AUTOLINK_STARTS = re.compile(r"(?i)(https?|ftp|mailto|www)(?=[:.])|(?=@)")
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


def rate_decimals(share: float) -> int:
    """The one precision of a rate in percent: one decimal, two below 1 % (where one would hide the figure)."""
    return 2 if round(abs(share), 2) < 1 else 1


def percent(value: Number, *, signed: bool = False) -> str:
    """A fraction as a percentage, one decimal (two below 1 %): 0.1599 → `16.0%`, 0.0031 → `0.31%`."""
    if is_missing(value):
        return DASH
    share = 100 * float(value)  # type: ignore[arg-type]
    decimals = rate_decimals(share)
    return f"{share:+.{decimals}f}%" if signed else f"{share:.{decimals}f}%"


def points(value: Number) -> str:
    """A change of a rate in percentage points, at the precision of rates: 0.012 → `+1.2 pp`, 0.0012 → `+0.12 pp`."""
    if is_missing(value):
        return DASH
    change = 100 * float(value)  # type: ignore[arg-type]
    return f"{change:+.{rate_decimals(change)}f} pp"


# Words for category values whose code is not readable by replacing underscores (`smb` → `SMB`).
CATEGORY_WORDS = {"smb": "SMB", "mid_market": "Mid-market", "all": "All customers"}


def category(value: object) -> str:
    """A category code from data as a reader sees it, the same on every page: `mid_market` → `Mid-market`,
    `paid_search` → `Paid search`, `DE` → `DE` (codes in capitals stay as they are)."""
    if is_missing(value):
        return DASH
    text = str(value)
    if text in CATEGORY_WORDS:
        return CATEGORY_WORDS[text]
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


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


# ------------------------------------------------------------------ values from data inside Markdown


def markdown_text(value: object) -> str:
    """A value from data as Markdown that shows exactly its text: no link, image, HTML, emphasis or directive.

    Streamlit renders captions, notices and `st.markdown` as GitHub Markdown and has no escape helper, so every
    ASCII punctuation mark is backslash-escaped (CommonMark), line breaks become spaces, and an invisible word
    joiner stops a bare URL or e-mail address from becoming a link (GitHub Markdown finds those in plain text).
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _AUTOLINK_STARTS.sub(lambda match: (match.group(1) or "") + WORD_JOINER, text)
    return "".join("\\" + character if character in string.punctuation else character for character in text)


def markdown_code(value: object) -> str:
    """A value (a path, a name) as a Markdown code span that holds it whole, backticks included (CommonMark)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"
