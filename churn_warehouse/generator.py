"""Deterministic, vectorised sample-data generator for the ten raw tables of docs/raw_contract.md.

Every customer carries a latent engagement level, and the simulation writes only
behaviour: billing (trials, renewals, plan changes, pauses, cancellations,
reactivations, dunning), one-off purchases, product and e-mail events, surveys
and support tickets. Customers heading for a voluntary cancellation go quiet in
the one to three months before it; customers heading for involuntary churn fail
payments first. No score or signal is ever written.

Usage::

    python -m churn_warehouse.generator --out data/raw --customers 5000 --months 36 --seed 42
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from churn_warehouse import check_end_date, today_utc

__all__ = ["DAILY_TABLES", "TABLES", "generate", "main", "stage_days", "write_daily_files"]

TABLES: tuple[str, ...] = (
    "customers",
    "plans",
    "subscriptions",
    "invoices",
    "invoice_lines",
    "payments",
    "exchange_rates",
    "events",
    "survey_responses",
    "support_tickets",
)

DAY = 86_400  # seconds
MONTH_DAYS = 30.4375
NO_TS = -1  # sentinel for a missing timestamp / day in the int64 working arrays

# --- catalogue -------------------------------------------------------------------------------
INTERVALS = np.array([1, 3, 6, 12], dtype=np.int64)
INTERVAL_NAMES = ("monthly", "quarterly", "semiannual", "annual")
INTERVAL_DISCOUNT = np.array([1.0, 0.95, 0.90, 0.83])
TIERS = ("starter", "pro", "business", "enterprise", "analytics_addon")
TIER_LABELS = ("Starter", "Pro", "Business", "Enterprise", "Analytics add-on")
UNIT_PRICE_USD = np.array([15.0, 35.0, 60.0, 95.0, 49.0])  # per seat and month; add-on per account
ADDON = 4
CURRENCIES = ("USD", "EUR", "GBP", "AUD", "JPY")
CURRENCY_PRICE_FACTOR = np.array([1.0, 0.95, 0.80, 1.50, 150.0])
RATE_START = np.array([1.0, 1.08, 1.27, 0.66, 0.0067])  # USD per unit at the start of the rate history
# Cents per smallest unit of each currency: JPY has no minor unit, so its amounts are whole yen.
CURRENCY_UNIT_CENTS = np.array([1, 1, 1, 1, 100])
RATE_LEAD_DAYS = 60  # rates start this many days before the first possible invoice

COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "ES", "IE", "AU", "JP")
COUNTRY_P = np.array([0.40, 0.07, 0.14, 0.12, 0.08, 0.05, 0.04, 0.02, 0.06])  # JP is drawn apart: JP_SHARE
COUNTRY_CURRENCY = np.array([0, 0, 2, 1, 1, 1, 1, 1, 3, 4])
JP = COUNTRIES.index("JP")
JP_SHARE = 0.03  # customers moved to Japan (JPY, a zero-decimal currency) by a stream of their own
SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_P = np.array([0.62, 0.28, 0.10])
CHANNELS = ("organic", "paid_search", "partner", "outbound", "referral")
CHANNEL_P = np.array([0.32, 0.26, 0.14, 0.12, 0.16])
NULL_SHARE = {"country": 0.015, "segment": 0.01, "acquisition_channel": 0.03}

# --- behaviour, by segment (smb, mid_market, enterprise) -------------------------------------
TIER_P = np.array([[0.50, 0.40, 0.10, 0.00], [0.05, 0.40, 0.40, 0.15], [0.00, 0.05, 0.40, 0.55]])
INTERVAL_P = np.array([[0.68, 0.10, 0.05, 0.17], [0.50, 0.15, 0.10, 0.25], [0.20, 0.10, 0.10, 0.60]])
TRIAL_P = np.array([0.55, 0.40, 0.20])
TRIAL_DAYS = np.array([14, 14, 30])
ADDON_P = np.array([0.05, 0.15, 0.30])
VOL_HAZARD = np.array([0.030, 0.018, 0.010])  # monthly voluntary cancellation hazard
ACTIVITY_PER_MONTH = np.array([8.0, 11.0, 15.0])
TICKETS_PER_MONTH = np.array([0.08, 0.15, 0.30])
NET_TERMS_P = np.array([0.0, 0.05, 0.40])  # share paying by bank transfer days after issue
SUBSCRIBER_P = 0.88
BASE_SHARE = 0.22  # customers created in the first month (the installed base)

INVOL_FACTOR = 0.35  # terminal payment failure per invoice = customer risk * factor
CHANGE_P = 0.012  # monthly plan-change probability
PAUSE_P = 0.006  # monthly pause probability (monthly plans)
SEAT_GROWTH_P, SEAT_SHRINK_P = 0.05, 0.015  # per renewal
ADDON_GAIN_P, ADDON_LOSS_P = 0.025, 0.008  # per renewal
VOID_P = 0.002  # share of monthly renewal invoices voided
WARN_SHARE = 0.85  # voluntary churners who go quiet first
DIP_SHARE = 0.12  # healthy customers with one quiet spell
REFUND_P = 0.012
PRE_FAILURE_DAYS = 75.0  # invoices this close before a terminal failure usually fail and recover late
EMAILS_PER_MONTH = 2.5
POST_CANCEL_LEVEL = 0.08
QUIET_DAYS = (45.0, 120.0)  # how long before cancelling a warning churner starts to fade
QUIET_SHAPE = 2.0  # > 1: the fade is steep early in the quiet spell
PAUSE_FADE_DAYS = 45.0
SENTIMENT_LEAD = 1.6  # survey scores start to sour this much earlier than usage fades
EVENT_CHUNK = 2_500_000  # expected candidate events per written batch

# Stripe's cancellation feedback codes, so a Stripe export of the same world says the same.
CANCEL_REASONS = ("too_expensive", "missing_features", "switched_service", "unused", "customer_service")
CANCEL_REASON_P = np.array([0.30, 0.22, 0.16, 0.20, 0.04])  # the remaining 8 % stay null
CANCEL_AT_SHARE = 0.8  # share of voluntary cancellations whose billing tool records when they take effect
FAILURE_REASONS = ("expired_card", "insufficient_funds", "card_declined")  # Stripe's charge failure codes
FAILURE_REASON_P = np.array([0.35, 0.45, 0.20])
RETRY_DAYS = np.array([0, 3, 8, 15])  # cumulative dunning schedule

ACTIVITY_P = np.array([0.45, 0.40, 0.15])  # login, feature_used, report_exported
PROPERTIES = {
    "login": ('{"device": "web"}', '{"device": "ios"}', '{"device": "android"}'),
    "feature_used": tuple(f'{{"feature": "{f}"}}'
                          for f in ("dashboards", "alerts", "integrations", "forecasting", "api")),
    "report_exported": tuple(f'{{"format": "{f}"}}' for f in ("csv", "pdf", "xlsx")),
    "email": tuple(f'{{"campaign": "{c}"}}'
                   for c in ("newsletter", "onboarding", "product_update", "renewal_reminder")),
}
EVENT_NAMES = ("login", "feature_used", "report_exported", "email_sent", "email_opened", "email_clicked")
WIN_BACK_PROPERTY = '{"campaign": "win_back"}'  # appended last, so every other property keeps its index
PROPERTY_VALUES: tuple[str, ...] = sum((PROPERTIES[k] for k in ("login", "feature_used", "report_exported", "email")),
                                       ()) + (WIN_BACK_PROPERTY,)
_PROPERTY_GROUP = ("login", "feature_used", "report_exported", "email", "email", "email")  # per EVENT_NAMES entry
PROPERTY_SIZE = np.array([len(PROPERTIES[g]) for g in _PROPERTY_GROUP])
PROPERTY_OFFSET = np.array([PROPERTY_VALUES.index(PROPERTIES[g][0]) for g in _PROPERTY_GROUP])
TICKET_CATEGORIES = ("billing", "bug", "how_to", "cancellation")
PRIORITIES = ("low", "normal", "high", "urgent")
# Win-back e-mails: a randomly chosen share of churned subscriptions gets one a few days after service ends.
# Of those who would not have come back on their own, WIN_BACK_LIFT (as a probability of the whole group)
# return 35-60 days after service ends, inside the 3 months after the churn month: the true effect on the
# 3-month reactivation rate is exactly WIN_BACK_LIFT. Drawn from streams of their own ("win_back...").
WIN_BACK_SHARE = 0.5
WIN_BACK_LIFT = 0.15
WIN_BACK_SEND_DAYS = (3.0, 20.0)
WIN_BACK_RETURN_DAYS = (35.0, 60.0)
WIN_BACK_OPEN_P, WIN_BACK_REOPEN_P, WIN_BACK_CLICK_P = 0.35, 0.3, 0.35
# Survey comments; customers in France write theirs in French (the same themes, with accents).
COMMENTS_GOOD = ("Great product", "Saves us hours every week", "Support was quick and helpful",
                 "Very easy to use")
COMMENTS_BAD = ("Too expensive for what we use", "Missing features we need", "Too many bugs lately",
                "We are evaluating alternatives", "We switched to a competitor", "We no longer need it",
                "Support never answers", "Hard to use, the reports are confusing",
                "Price went up and the app crashes")
COMMENTS_GOOD_FR = ("Excellent produit", "Nous gagnons des heures chaque semaine", "Le support est rapide et efficace",
                    "Très facile à utiliser")
COMMENTS_BAD_FR = ("Trop cher pour ce que nous utilisons", "Il manque des fonctionnalités essentielles",
                   "Trop de bugs ces derniers temps", "Nous évaluons d'autres solutions",
                   "Nous sommes passés à un concurrent", "Nous n'en avons plus besoin",
                   "Le service client ne répond jamais", "Difficile à utiliser, l'interface est compliquée",
                   "Le prix a augmenté et l'application plante")
COMMENTS = COMMENTS_GOOD + COMMENTS_BAD + COMMENTS_GOOD_FR + COMMENTS_BAD_FR
FRENCH = COUNTRIES.index("FR")


# --- small helpers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Calendar:
    """The simulated history: whole days since the Unix epoch, end inclusive."""

    start_day: int
    end_day: int
    stop_ts: int | None = None  # a moment within end_day where the history stops instead of at its end

    @property
    def start_ts(self) -> int:
        """First second of the history."""
        return self.start_day * DAY

    @property
    def end_ts(self) -> int:
        """First second after the history (the end of end_date, or stop_ts): every timestamp written is below it."""
        day_after = (self.end_day + 1) * DAY
        return day_after if self.stop_ts is None else min(self.stop_ts, day_after)


def make_calendar(end_date: date, months: int, until: datetime | None = None) -> Calendar:
    """History of `months` calendar months, the last one being end_date's (partial) month, stopping at `until`
    (UTC) if that comes before the end of end_date."""
    if months < 2:
        raise ValueError("months must be at least 2")
    end = np.datetime64(end_date, "D")
    start = (end.astype("datetime64[M]") - (months - 1)).astype("datetime64[D]")
    stop = None if until is None else int(until.replace(tzinfo=timezone.utc).timestamp())
    if stop is not None and stop < int(end.astype(np.int64)) * DAY:
        raise ValueError(f"the history would stop at {until:%Y-%m-%d %H:%M} UTC, before its end date {end_date} "
                         "begins: choose an end date no later than today")
    return Calendar(int(start.astype(np.int64)), int(end.astype(np.int64)), stop)


def default_stop(end_date: date) -> datetime | None:
    """Where a history ending on end_date stops when not told: the start of the current UTC hour if end_date is
    today or later (a row stamped later than now would be quarantined as `future_timestamp`), else nowhere."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(minute=0, second=0, microsecond=0) if end_date >= now.date() else None


def _rng(seed: int, name: str, *extra: int) -> np.random.Generator:
    """An independent, reproducible stream per component, so one part never shifts another."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()), *extra]))


def _add_months(days: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Add k calendar months to day numbers, clamping the day of month (Jan 31 + 1 = Feb 28/29)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    new_month = month + np.asarray(k, dtype=np.int64)
    first = new_month.astype("datetime64[D]")
    length = ((new_month + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first.astype(np.int64) + np.minimum(dom, length - 1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws of category indices with probabilities p (normalised)."""
    return rng.choice(len(p), size=n, p=p / p.sum())


def _choice_by_group(rng: np.random.Generator, group: np.ndarray, p: np.ndarray) -> np.ndarray:
    """One category draw per row, from the probability row p[group]."""
    cum = np.cumsum(p, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(len(group))
    return np.minimum((u[:, None] > cum[group]).sum(axis=1), p.shape[1] - 1)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Text keys such as C0000042, built in Arrow (fast for tens of millions of rows)."""
    digits = pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def _labels(values: tuple[str, ...], idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Strings from category indices; rows flagged in `null` become null."""
    mask = None if null is None else np.asarray(null, dtype=bool)
    return pa.array(values, pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64), mask=mask))


def _ts(seconds: np.ndarray) -> pa.Array:
    """Naive UTC timestamp[us] from epoch seconds; NO_TS becomes null."""
    s = np.asarray(seconds, dtype=np.int64)
    return pa.array(s * 1_000_000, type=pa.timestamp("us"), mask=s == NO_TS)


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """date32 from day numbers."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=null)


def _int(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """int64 column with optional nulls."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=null)


def _decimal(unscaled: np.ndarray, scale: int) -> pa.Array:
    """Exact decimal128(18, scale) from integer unscaled values (cents for money)."""
    u = np.asarray(unscaled, dtype=np.int64)
    words = np.empty((len(u), 2), dtype=np.int64)
    words[:, 0] = u
    words[:, 1] = np.where(u < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(u), [None, pa.py_buffer(words.tobytes())])


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate a list of column dicts with the same keys."""
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _take(cols: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Row subset (or reorder) of a column dict."""
    return {k: v[idx] for k, v in cols.items()}


def _random_seconds(rng: np.random.Generator, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Uniform timestamps in [start, start + length)."""
    return start + (rng.random(len(start)) * np.maximum(length, 1)).astype(np.int64)


def _round_to_unit(cents: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Cents rounded to the currency's smallest unit (whole yen for JPY), as int64."""
    unit = CURRENCY_UNIT_CENTS[cur]
    return (np.round(np.asarray(cents, dtype=np.float64) / unit) * unit).astype(np.int64)


# --- plans -----------------------------------------------------------------------------------
def price_table() -> np.ndarray:
    """List price in cents per unit and interval: array[tier, interval index, currency]."""
    monthly = np.round(UNIT_PRICE_USD[:, None] * CURRENCY_PRICE_FACTOR[None, :])  # whole units
    per_interval = monthly[:, None, :] * INTERVALS[None, :, None] * INTERVAL_DISCOUNT[None, :, None]
    return (np.round(per_interval) * 100).astype(np.int64)


def plan_index(tier: np.ndarray, iidx: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Row of the plans table for a tier, interval and currency."""
    return (tier * len(INTERVALS) + iidx) * len(CURRENCIES) + cur


def plan_ids() -> tuple[str, ...]:
    """All plan ids in plans-table order, e.g. pro_monthly_usd."""
    return tuple(f"{t}_{i}_{c.lower()}" for t in TIERS for i in INTERVAL_NAMES for c in CURRENCIES)


def _plans_table(price: np.ndarray) -> pa.Table:
    """One row per tier, interval and currency."""
    t, i, c = np.meshgrid(np.arange(len(TIERS)), np.arange(len(INTERVALS)), np.arange(len(CURRENCIES)),
                          indexing="ij")
    t, i, c = t.ravel(), i.ravel(), c.ravel()
    return pa.table({
        "plan_id": pa.array(plan_ids(), pa.string()),
        "plan_name": pa.array([f"{TIER_LABELS[a]} ({INTERVAL_NAMES[b]})" for a, b in zip(t, i)], pa.string()),
        "interval_months": _int(INTERVALS[i]),
        "currency": _labels(CURRENCIES, c),
        "list_price": _decimal(price[t, i, c], 2),
    })


# --- customers -------------------------------------------------------------------------------
def _creation_times(rng: np.random.Generator, n: int, cal: Calendar) -> np.ndarray:
    """Sorted creation timestamps: an installed base in month one, then gentle exponential growth."""
    first_month_end = min(int(_add_months(np.array([cal.start_day]), 1)[0]) * DAY, cal.end_ts)
    n_base = int(round(n * BASE_SHARE))
    base = cal.start_ts + (rng.random(n_base) * (first_month_end - cal.start_ts)).astype(np.int64)
    span = cal.end_ts - first_month_end
    growth = 0.02 / (MONTH_DAYS * DAY) * max(span, 1)  # about 2 % a month, compounded over the span
    u = rng.random(n - n_base)
    later = first_month_end + (np.log1p(u * np.expm1(growth)) / growth * span).astype(np.int64)
    return np.sort(np.concatenate([base, np.minimum(later, cal.end_ts - 1)]))


@dataclass
class Customers:
    """Customer attributes, observable and latent (latent ones are never written)."""

    created: np.ndarray
    country: np.ndarray
    country_null: np.ndarray
    segment: np.ndarray  # used by the simulation (a null segment behaves as smb)
    segment_null: np.ndarray
    channel: np.ndarray
    channel_null: np.ndarray
    cur: np.ndarray
    z: np.ndarray  # latent engagement / health
    risk: np.ndarray  # latent payment risk
    net_terms: np.ndarray
    dip_start: np.ndarray
    dip_end: np.ndarray

    def __len__(self) -> int:
        return len(self.created)


def _make_customers(seed: int, n: int, cal: Calendar) -> Customers:
    """Draw every customer's attributes."""
    rng = _rng(seed, "customers")
    created = _creation_times(rng, n, cal)
    country = _choice(rng, COUNTRY_P, n)
    country_null = rng.random(n) < NULL_SHARE["country"]
    segment = _choice(rng, SEGMENT_P, n)
    segment_null = rng.random(n) < NULL_SHARE["segment"]
    channel = _choice(rng, CHANNEL_P, n)
    channel_null = rng.random(n) < NULL_SHARE["acquisition_channel"]
    # Japanese customers come from a stream of their own: adding them left every other customer as it was.
    japan = (_rng(seed, "japan").random(n) < JP_SHARE) & ~country_null
    country = np.where(japan, JP, country)
    cur = np.where(country_null, 0, COUNTRY_CURRENCY[country])
    seg_sim = np.where(segment_null, 0, segment)
    z = rng.standard_normal(n)
    risk = rng.beta(1.2, 60.0, n) * np.where(seg_sim == 2, 0.5, 1.0)
    net_terms = rng.random(n) < NET_TERMS_P[seg_sim]
    has_dip = rng.random(n) < DIP_SHARE
    dip_start = _random_seconds(rng, created, cal.end_ts - created).astype(np.float64)
    dip_end = dip_start + rng.uniform(30, 75, n) * DAY
    dip_start = np.where(has_dip, dip_start, np.inf)
    return Customers(created, country, country_null, seg_sim, segment_null, channel, channel_null, cur,
                     z, risk, net_terms, dip_start, dip_end)


def _customers_table(cust: Customers) -> pa.Table:
    """The customers raw table."""
    return pa.table({
        "customer_id": _ids("C", np.arange(1, len(cust) + 1), 7),
        "created_at": _ts(cust.created),
        "country": _labels(COUNTRIES, cust.country, cust.country_null),
        "segment": _labels(SEGMENTS, cust.segment, cust.segment_null),
        "acquisition_channel": _labels(CHANNELS, cust.channel, cust.channel_null),
    })


# --- subscriptions and billing periods -------------------------------------------------------
def _first_wave(seed: int, cust: Customers, cal: Calendar) -> dict[str, np.ndarray]:
    """Each subscribing customer's first subscription request (trial or direct start)."""
    rng = _rng(seed, "first_wave")
    n = len(cust)
    subscribes = rng.random(n) < SUBSCRIBER_P
    start = cust.created + rng.integers(0, 2 * DAY, n)
    c = np.flatnonzero(subscribes & (start < cal.end_ts))
    seg = cust.segment[c]
    trial = rng.random(len(c)) < TRIAL_P[seg]
    qty = np.select([seg == 0, seg == 1],
                    [1 + rng.poisson(1.5, len(c)), 5 + rng.poisson(8.0, len(c))],
                    10 + np.round(rng.lognormal(np.log(30.0), 0.6, len(c))).astype(np.int64))
    return {
        "cust": c,
        "start_ts": start[c],
        "trial_days": np.where(trial, TRIAL_DAYS[seg], 0),
        "tier": _choice_by_group(rng, seg, TIER_P),
        "iidx": _choice_by_group(rng, seg, INTERVAL_P),
        "qty": qty.astype(np.int64),
        "addon": rng.random(len(c)) < ADDON_P[seg],
    }


@dataclass
class _SubState:
    """Mutable per-subscription state of the renewal loop."""

    next_start: np.ndarray  # day the next billing period starts
    tier: np.ndarray
    iidx: np.ndarray
    qty: np.ndarray
    addon: np.ndarray
    nper: np.ndarray
    paused_used: np.ndarray
    rebill: np.ndarray
    pend_pro: np.ndarray
    pend_pro_end: np.ndarray


def _simulate_batch(rng: np.random.Generator, b: dict[str, np.ndarray], cust: Customers, cal: Calendar,
                    price: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Run a batch of subscriptions period by period: one billing record per period, plus the outcome."""
    n = len(b["cust"])
    c = b["cust"]
    has_trial = b["trial_days"] > 0
    trial_start = np.where(has_trial, b["start_ts"], NO_TS)
    trial_end = np.where(has_trial, b["start_ts"] + b["trial_days"] * DAY, NO_TS)
    converts = ~has_trial | (rng.random(n) < _sigmoid(0.6 + 0.9 * cust.z[c]))
    paid_start = np.where(has_trial, trial_end, b["start_ts"])
    paid = converts & (paid_start < cal.end_ts)
    tod = paid_start % DAY
    st = _SubState(paid_start // DAY, b["tier"].copy(), b["iidx"].copy(),
                   b["qty"].copy(), b["addon"].copy(), np.zeros(n, np.int64), np.zeros(n, bool),
                   np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64))
    out = {
        "cust": c, "trial_start": trial_start, "trial_end": trial_end, "trial_days": b["trial_days"],
        "converts": converts, "started": np.where(paid, paid_start, NO_TS),
        "end_kind": np.zeros(n, np.int8), "cancel_ts": np.full(n, NO_TS), "service_end": np.full(n, NO_TS),
        "pause_day": np.full(n, NO_TS), "resume_day": np.full(n, NO_TS), "plan_tier": b["tier"].copy(),
        "plan_iidx": b["iidx"].copy(),
    }
    # a trial that does not convert ends at its trial end (status canceled once that has passed)
    lapsed = has_trial & ~converts
    out["end_kind"][lapsed] = 3
    records: list[dict[str, np.ndarray]] = []
    live = paid.copy()
    while True:
        idx = np.flatnonzero(live)
        ps = st.next_start[idx]
        due = ps * DAY + tod[idx] < cal.end_ts  # the period's invoice is issued within the history
        live[idx[~due]] = False
        idx, ps = idx[due], ps[due]
        if not idx.size:
            break
        records.append(_period_step(rng, idx, ps, st, out, live, c, tod, cust, cal, price))
    out["last_tier"], out["last_qty"] = st.tier, st.qty
    out["cancel_plan"] = np.where(lapsed, trial_end, out["cancel_ts"])  # when it happens, maybe after end_date
    out["cancel_ts"] = np.where(out["cancel_plan"] < cal.end_ts, out["cancel_plan"], NO_TS)  # what is observed
    return out, _concat(records) if records else _no_records()


def _no_records() -> dict[str, np.ndarray]:
    """The billing-record columns with no rows (a batch that never reached a paid period)."""
    ints = ("sub", "ps", "pe", "issued", "tier", "iidx", "qty", "pro", "pro_end")
    flags = ("addon", "void", "rebill", "terminal")
    return {**{k: np.zeros(0, np.int64) for k in ints}, **{k: np.zeros(0, bool) for k in flags}}


def _period_step(rng: np.random.Generator, idx: np.ndarray, ps: np.ndarray, st: _SubState,
                 out: dict[str, np.ndarray], live: np.ndarray, c: np.ndarray, tod: np.ndarray,
                 cust: Customers, cal: Calendar, price: np.ndarray) -> dict[str, np.ndarray]:
    """Bill one period for the live subscriptions idx and draw what happens during it."""
    m = len(idx)
    interval = INTERVALS[st.iidx[idx]]
    pe = _add_months(ps, interval)
    st.nper[idx] += 1
    ci = c[idx]
    void = (st.nper[idx] > 1) & (interval == 1) & ~st.rebill[idx] & (rng.random(m) < VOID_P)
    hazard = (VOL_HAZARD[cust.segment[ci]] * np.exp(-0.8 * cust.z[ci])
              * np.where(st.nper[idx] <= 3, 1.5, 1.0) * np.where(interval >= 6, 0.8, 1.0))
    p_vol = 1.0 - (1.0 - np.minimum(hazard, 0.5)) ** interval
    p_inv = np.where(void | st.rebill[idx], 0.0, np.minimum(cust.risk[ci] * INVOL_FACTOR, 0.2))
    p_chg = 1.0 - (1.0 - CHANGE_P) ** interval
    p_pause = np.where((interval == 1) & ~st.paused_used[idx] & (st.nper[idx] >= 3), PAUSE_P, 0.0)
    u = rng.random(m)
    is_inv = u < p_inv
    is_vol = ~is_inv & (u < p_inv + p_vol)
    is_chg = ~is_inv & ~is_vol & (u < p_inv + p_vol + p_chg)
    is_pause = ~(is_inv | is_vol | is_chg) & (u < p_inv + p_vol + p_chg + p_pause)
    is_renew = ~(is_inv | is_vol | is_chg | is_pause)
    record = {
        "sub": idx, "ps": ps, "pe": pe, "issued": ps * DAY + tod[idx], "tier": st.tier[idx].copy(),
        "iidx": st.iidx[idx].copy(), "qty": st.qty[idx].copy(), "addon": st.addon[idx].copy(),
        "void": void, "rebill": st.rebill[idx].copy(), "pro": st.pend_pro[idx].copy(),
        "pro_end": st.pend_pro_end[idx].copy(), "terminal": is_inv,
    }
    out["plan_tier"][idx], out["plan_iidx"][idx] = st.tier[idx], st.iidx[idx]
    _end_involuntary(rng, idx[is_inv], record["issued"][is_inv], pe[is_inv], out, live)
    _end_voluntary(rng, idx[is_vol], ps[is_vol], pe[is_vol], out, live)
    _change_plan(rng, idx[is_chg], ps[is_chg], pe[is_chg], st, cust.cur[ci[is_chg]], price)
    _pause(rng, idx[is_pause], pe[is_pause], st, out)
    _renew(rng, idx[is_renew], pe[is_renew], st)
    return record


def _end_involuntary(rng: np.random.Generator, idx: np.ndarray, issued: np.ndarray, pe: np.ndarray,
                     out: dict[str, np.ndarray], live: np.ndarray) -> None:
    """The period's invoice fails every retry: canceled for payment_failed after the dunning run."""
    out["end_kind"][idx] = 2
    out["cancel_ts"][idx] = issued + (RETRY_DAYS[-1] + 1) * DAY + rng.integers(0, 3 * DAY, len(idx))
    out["service_end"][idx] = pe
    live[idx] = False


def _end_voluntary(rng: np.random.Generator, idx: np.ndarray, ps: np.ndarray, pe: np.ndarray,
                   out: dict[str, np.ndarray], live: np.ndarray) -> None:
    """Customer cancels during the period; service (and MRR) runs to the period end."""
    room = np.minimum(28, pe - ps - 1)
    days_before_end = 1 + (rng.random(len(idx)) * room).astype(np.int64)
    out["end_kind"][idx] = 1
    out["cancel_ts"][idx] = (pe - days_before_end) * DAY + rng.integers(7 * 3600, 21 * 3600, len(idx))
    out["service_end"][idx] = pe
    live[idx] = False


def _change_plan(rng: np.random.Generator, idx: np.ndarray, ps: np.ndarray, pe: np.ndarray, st: _SubState,
                 cur: np.ndarray, price: np.ndarray) -> None:
    """Mid-period upgrade or downgrade: re-billed from the change day, prorated for the old period's rest."""
    n = len(idx)
    length = pe - ps
    change_day = ps + 1 + (rng.random(n) * (length - 1)).astype(np.int64)
    old_t, old_i, qty = st.tier[idx], st.iidx[idx], st.qty[idx]
    up = (old_t == 0) | ((old_t < 3) & (rng.random(n) < 0.65))
    new_t = old_t + np.where(up, 1, -1)
    switch = rng.random(n) < 0.15
    new_i = np.where(switch, np.where(old_i == 0, 3, 0), old_i)
    old_mrr = price[old_t, old_i, cur] * qty / INTERVALS[old_i]
    new_mrr = price[new_t, new_i, cur] * qty / INTERVALS[new_i]
    remaining = (pe - change_day) / length
    st.pend_pro[idx] = _round_to_unit((new_mrr - old_mrr) * INTERVALS[old_i] * remaining, cur)
    st.pend_pro_end[idx] = pe
    st.rebill[idx] = True
    st.next_start[idx] = change_day
    st.tier[idx], st.iidx[idx] = new_t, new_i


def _pause(rng: np.random.Generator, idx: np.ndarray, pe: np.ndarray, st: _SubState,
           out: dict[str, np.ndarray]) -> None:
    """Pause for one to three months after the period, then resume billing."""
    resume = _add_months(pe, rng.integers(1, 4, len(idx)))
    out["pause_day"][idx], out["resume_day"][idx] = pe, resume
    st.next_start[idx] = resume
    st.paused_used[idx] = True
    st.rebill[idx] = False
    st.pend_pro[idx] = 0


def _renew(rng: np.random.Generator, idx: np.ndarray, pe: np.ndarray, st: _SubState) -> None:
    """Renew at the period end, sometimes with more or fewer seats or a changed add-on."""
    n = len(idx)
    st.next_start[idx] = pe
    st.rebill[idx] = False
    st.pend_pro[idx] = 0
    qty = st.qty[idx]
    u = rng.random(n)
    grow = u < SEAT_GROWTH_P
    shrink = (u >= SEAT_GROWTH_P) & (u < SEAT_GROWTH_P + SEAT_SHRINK_P) & (qty > 1)
    more = np.maximum(1, np.ceil(qty * rng.uniform(0.1, 0.5, n))).astype(np.int64)
    fewer = np.maximum(1, np.floor(qty * rng.uniform(0.5, 0.9, n))).astype(np.int64)
    st.qty[idx] = np.where(grow, qty + more, np.where(shrink, fewer, qty))
    addon = st.addon[idx]
    v = rng.random(n)
    st.addon[idx] = np.where(addon, v >= ADDON_LOSS_P, v < ADDON_GAIN_P)


def _ended(subs: dict[str, np.ndarray], cal: Calendar) -> np.ndarray:
    """Subscriptions that churned (voluntary or involuntary) with service ended within the history."""
    return np.isin(subs["end_kind"], (1, 2)) & (subs["cancel_ts"] != NO_TS) & (subs["service_end"] <= cal.end_day)


def _reactivations(rng: np.random.Generator, subs: dict[str, np.ndarray], cust: Customers,
                   cal: Calendar, lift: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Some churned customers come back months later with a new subscription (no trial).

    With `lift` (an extra return probability per subscription), subs["win_back_extra"] marks those who come back
    only because of it: the same draw, in [p, p + lift). Their return is drawn elsewhere (_win_back_returns).
    """
    ended = _ended(subs, cal)
    p = np.where(subs["end_kind"] == 2, 0.30, 0.16)
    u = rng.random(len(p))
    back = ended & (u < p)
    if lift is not None:
        subs["win_back_extra"] = ended & ~back & (u < p + lift)
    gap_days = 35 + rng.gamma(2.0, 45.0, len(p))
    start = subs["service_end"] * DAY + (gap_days * DAY).astype(np.int64)
    back &= start < cal.end_ts
    i = np.flatnonzero(back)
    seg = cust.segment[subs["cust"][i]]
    return {
        "cust": subs["cust"][i], "start_ts": start[i], "trial_days": np.zeros(len(i), np.int64),
        "tier": subs["last_tier"][i], "iidx": _choice_by_group(rng, seg, INTERVAL_P),
        "qty": subs["last_qty"][i], "addon": np.zeros(len(i), bool),
    }


def _win_back_sends(rng: np.random.Generator, subs: dict[str, np.ndarray], cal: Calendar) -> np.ndarray:
    """The moment of each churned subscription's win-back e-mail (a random WIN_BACK_SHARE of them), else NO_TS."""
    n = len(subs["cust"])
    chosen = _ended(subs, cal) & (rng.random(n) < WIN_BACK_SHARE)
    at = subs["service_end"] * DAY + (rng.uniform(*WIN_BACK_SEND_DAYS, n) * DAY).astype(np.int64)
    return np.where(chosen & (at < cal.end_ts), at, NO_TS)


def _win_back_returns(rng: np.random.Generator, subs: dict[str, np.ndarray], cust: Customers,
                      cal: Calendar) -> dict[str, np.ndarray]:
    """The subscriptions of customers won back by the e-mail: 35-60 days after service ended."""
    start = subs["service_end"] * DAY + (rng.uniform(*WIN_BACK_RETURN_DAYS, len(subs["cust"])) * DAY).astype(np.int64)
    i = np.flatnonzero(subs["win_back_extra"] & (start < cal.end_ts))
    return {
        "cust": subs["cust"][i], "start_ts": start[i], "trial_days": np.zeros(len(i), np.int64),
        "tier": subs["last_tier"][i], "iidx": _choice_by_group(rng, cust.segment[subs["cust"][i]], INTERVAL_P),
        "qty": subs["last_qty"][i], "addon": np.zeros(len(i), bool),
    }


def _simulate_subscriptions(seed: int, cust: Customers, cal: Calendar,
                            price: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """All subscriptions (first ones, then waves of reactivations) and their billing records.

    Win-back e-mails and the returns they cause come from streams of their own: the waves drawn from the
    "subscriptions" stream are the same with or without them; the won-back subscriptions are simulated apart
    (and get no further waves).
    """
    rng = _rng(seed, "subscriptions")
    win_back = _rng(seed, "win_back")
    batch = _first_wave(seed, cust, cal)
    subs_parts, rec_parts, won_back, offset = [], [], [], 0

    def add(subs: dict[str, np.ndarray], recs: dict[str, np.ndarray], sends: np.ndarray) -> None:
        nonlocal offset
        recs["sub"] = recs["sub"] + offset
        rec_parts.append(recs)
        subs["win_back_ts"] = sends
        subs_parts.append(subs)
        offset += len(subs["cust"])

    for wave in range(4):
        if wave and not len(batch["cust"]):
            break
        subs, recs = _simulate_batch(rng, batch, cust, cal, price)
        sends = _win_back_sends(win_back, subs, cal)
        batch = _reactivations(rng, subs, cust, cal, np.where(sends != NO_TS, WIN_BACK_LIFT, 0.0))
        won_back.append(_win_back_returns(win_back, subs, cust, cal))
        subs.pop("win_back_extra")
        add(subs, recs, sends)
    extra = _concat(won_back)
    if len(extra["cust"]):
        subs, recs = _simulate_batch(_rng(seed, "win_back_subscriptions"), extra, cust, cal, price)
        add(subs, recs, np.full(len(subs["cust"]), NO_TS))
    subs = _concat(subs_parts)
    recs = _concat(rec_parts)
    # subscription ids follow the order in which subscriptions begin
    begin = np.where(subs["trial_start"] != NO_TS, subs["trial_start"], subs["started"])
    order = np.lexsort((subs["cust"], begin))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    subs = _take(subs, order)
    recs["sub"] = rank[recs["sub"]]
    return subs, recs


# --- invoices, lines and payments ------------------------------------------------------------
def _one_off_purchases(seed: int, cust: Customers, cal: Calendar, subscribed: np.ndarray) -> dict[str, np.ndarray]:
    """Repeat purchases following a buy-till-you-die (BG/NBD) process, spend from a Gamma-Gamma model."""
    rng = _rng(seed, "one_off")
    n = len(cust)
    buyer = rng.random(n) < np.where(subscribed, 0.25, 0.85)
    lam = rng.gamma(0.9, 0.30, n) / MONTH_DAYS  # purchases per day while alive
    drop = rng.beta(1.0, 3.5, n)  # chance of dropping out after each purchase
    nu = rng.gamma(4.0, 1.0 / 20.0, n)  # Gamma-Gamma: mean spend = 6 / nu (USD)
    t = cust.created + (rng.exponential(7.0, n) * DAY).astype(np.int64)
    alive = buyer & (t < cal.end_ts)
    parts = []
    for _ in range(400):
        i = np.flatnonzero(alive)
        if not i.size:
            break
        parts.append({"cust": i, "issued": t[i]})
        gap = rng.exponential(1.0 / np.maximum(lam[i], 1e-6))
        t[i] = t[i] + (gap * DAY).astype(np.int64)
        alive[i] = (rng.random(len(i)) >= drop[i]) & (t[i] < cal.end_ts)
    buys = _concat(parts) if parts else {"cust": np.zeros(0, np.int64), "issued": np.zeros(0, np.int64)}
    m = len(buys["cust"])
    usd = rng.gamma(6.0, 1.0 / nu[buys["cust"]])
    buys["qty"] = 1 + rng.poisson(0.3, m)
    local = usd * CURRENCY_PRICE_FACTOR[cust.cur[buys["cust"]]]
    buys["cents"] = np.maximum(100, _round_to_unit(local * 100, cust.cur[buys["cust"]]))
    return buys


def _invoice_frame(subs: dict[str, np.ndarray], recs: dict[str, np.ndarray], buys: dict[str, np.ndarray],
                   cust: Customers, price: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Invoices (subscription periods and one-off purchases, ordered by issue time) and their lines."""
    rc = subs["cust"][recs["sub"]]
    cur = cust.cur[rc]
    plan_cents = price[recs["tier"], recs["iidx"], cur] * recs["qty"]
    addon_cents = np.where(recs["addon"], price[ADDON, recs["iidx"], cur], 0)
    pro = np.where(recs["rebill"], recs["pro"], 0)
    n_rec, n_buy = len(rc), len(buys["cust"])
    inv = {
        "cust": np.concatenate([rc, buys["cust"]]),
        "sub": np.concatenate([recs["sub"], np.full(n_buy, -1)]),
        "issued": np.concatenate([recs["issued"], buys["issued"]]),
        "cur": np.concatenate([cur, cust.cur[buys["cust"]]]),
        "total": np.concatenate([plan_cents + addon_cents + pro, buys["cents"]]),
        "void": np.concatenate([recs["void"], np.zeros(n_buy, bool)]),
        "terminal": np.concatenate([recs["terminal"], np.zeros(n_buy, bool)]),
        "src": np.arange(n_rec + n_buy),
    }
    order = np.lexsort((inv["src"], inv["issued"]))
    inv = _take(inv, order)
    pos = np.empty_like(order)
    pos[order] = np.arange(len(order))
    rec_inv, buy_inv = pos[:n_rec], pos[n_rec:]
    lines = _concat([
        _line_block(rec_inv, 0, plan_index(recs["tier"], recs["iidx"], cur), recs["qty"], plan_cents,
                    recs["ps"], recs["pe"], INTERVALS[recs["iidx"]]),
        _take(_line_block(rec_inv, 1, plan_index(np.full(n_rec, ADDON), recs["iidx"], cur), np.ones(n_rec, np.int64),
                          addon_cents, recs["ps"], recs["pe"], INTERVALS[recs["iidx"]]), np.flatnonzero(recs["addon"])),
        _take(_line_block(rec_inv, 2, plan_index(recs["tier"], recs["iidx"], cur), recs["qty"], pro,
                          recs["ps"], recs["pro_end"], INTERVALS[recs["iidx"]]),
              np.flatnonzero(recs["rebill"] & (pro != 0) & (recs["pro_end"] > recs["ps"]))),
        _line_block(buy_inv, 3, np.full(n_buy, -1), buys["qty"], buys["cents"], np.full(n_buy, NO_TS),
                    np.full(n_buy, NO_TS), np.zeros(n_buy, np.int64)),
    ])
    lines = _take(lines, np.lexsort((lines["slot"], lines["inv"])))
    return inv, lines


def _line_block(inv: np.ndarray, slot: int, plan: np.ndarray, qty: np.ndarray, cents: np.ndarray,
                start: np.ndarray, end: np.ndarray, interval: np.ndarray) -> dict[str, np.ndarray]:
    """Lines of one kind (slot 0 plan, 1 add-on, 2 proration, 3 one-time)."""
    n = len(inv)
    return {"inv": inv, "slot": np.full(n, slot), "plan": plan, "qty": qty, "cents": cents,
            "start": start, "end": end, "interval": interval}


def _payments(seed: int, inv: dict[str, np.ndarray], subs: dict[str, np.ndarray], cust: Customers,
              cal: Calendar) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Charge attempts with failures and dunning retries, plus a few refunds; returns invoice statuses too."""
    rng = _rng(seed, "payments")
    n = len(inv["cust"])
    chargeable = ~inv["void"] & (inv["total"] > 0)
    terms = cust.net_terms[inv["cust"]] & (inv["sub"] >= 0) & ~inv["terminal"]
    delay = np.where(terms, rng.integers(3 * DAY, 35 * DAY, n), rng.integers(60, 3600, n))
    warning = _before_terminal(inv, PRE_FAILURE_DAYS)
    p_fail = np.where(warning, 0.75, np.minimum(0.5, 2.5 * cust.risk[inv["cust"]] + 0.01))
    recovering = ~inv["terminal"] & ~terms & (rng.random(n) < p_fail)
    retries = 1 + np.where(warning, _choice(rng, np.array([0.2, 0.4, 0.4]), n),
                           _choice(rng, np.array([0.6, 0.3, 0.1]), n))
    n_fail = np.where(inv["terminal"], len(RETRY_DAYS), np.where(recovering, retries, 0))
    n_att = np.where(chargeable, np.where(inv["terminal"], len(RETRY_DAYS), n_fail + 1), 0)
    row = np.repeat(np.arange(n), n_att)
    j = np.arange(len(row)) - np.repeat(np.cumsum(n_att) - n_att, n_att)
    jitter = np.where(j > 0, rng.integers(0, 6 * 3600, len(row)), 0)
    at = inv["issued"][row] + delay[row] + RETRY_DAYS[np.minimum(j, len(RETRY_DAYS) - 1)] * DAY + jitter
    failed = j < n_fail[row]
    pay = {"inv": row, "at": at, "cents": inv["total"][row], "refund": np.zeros(len(row), bool), "failed": failed,
           "reason": _choice(rng, FAILURE_REASON_P, len(row))}
    pay = _take(pay, np.flatnonzero(at < cal.end_ts))
    paid = np.zeros(n, bool)
    paid[pay["inv"][~pay["failed"]]] = True
    refunds = _refunds(rng, pay, inv, cal)
    pay = _concat([pay, refunds])
    pay = _take(pay, np.lexsort((pay["refund"], pay["inv"], pay["at"])))
    cancel = np.append(subs["cancel_ts"], NO_TS)[inv["sub"]]  # one-off invoices (sub -1) read NO_TS
    uncollectible = inv["terminal"] & (cancel != NO_TS)
    status = np.select([inv["void"], uncollectible, paid | (~inv["void"] & (inv["total"] <= 0))], [3, 2, 0], 1)
    return pay, status  # status indexes INVOICE_STATUSES


INVOICE_STATUSES = ("paid", "open", "uncollectible", "void")


def _before_terminal(inv: dict[str, np.ndarray], days: float) -> np.ndarray:
    """Invoices of a subscription issued in the `days` before its terminally failing one (cards fail first)."""
    n_subs = int(inv["sub"].max()) + 1 if len(inv["sub"]) else 0
    term_at = np.full(n_subs + 1, np.iinfo(np.int64).max)
    t = inv["terminal"]
    term_at[inv["sub"][t]] = inv["issued"][t]
    gap = term_at[inv["sub"]] - inv["issued"]  # one-off invoices (sub -1) read the spare last slot
    return (inv["sub"] >= 0) & ~t & (gap > 0) & (gap <= days * DAY)


def _refunds(rng: np.random.Generator, pay: dict[str, np.ndarray], inv: dict[str, np.ndarray],
             cal: Calendar) -> dict[str, np.ndarray]:
    """Refund a small share of successful charges, fully or in part, days later."""
    ok = np.flatnonzero(~pay["failed"] & ~pay["refund"])
    one_off = inv["sub"][pay["inv"][ok]] < 0
    pick = ok[rng.random(len(ok)) < np.where(one_off, 2.5 * REFUND_P, REFUND_P)]
    at = pay["at"][pick] + rng.integers(1 * DAY, 20 * DAY, len(pick))
    full = rng.random(len(pick)) < 0.6
    part = _round_to_unit(pay["cents"][pick] * rng.uniform(0.2, 0.8, len(pick)), inv["cur"][pay["inv"][pick]])
    cents = np.where(full, pay["cents"][pick], part)
    keep = at < cal.end_ts
    return {"inv": pay["inv"][pick][keep], "at": at[keep], "cents": -cents[keep].astype(np.int64),
            "refund": np.ones(keep.sum(), bool), "failed": np.zeros(keep.sum(), bool),
            "reason": np.zeros(keep.sum(), np.int64)}


def _subscription_status(subs: dict[str, np.ndarray], inv: dict[str, np.ndarray], inv_status: np.ndarray,
                         pay: dict[str, np.ndarray], cal: Calendar) -> np.ndarray:
    """Status at end_date: trialing, active, past_due, paused or canceled (index into SUB_STATUSES)."""
    n = len(subs["cust"])
    failed_inv = np.zeros(len(inv["cust"]), bool)
    failed_inv[pay["inv"][pay["failed"]]] = True
    dunning = (inv_status == 1) & failed_inv & (inv["sub"] >= 0)
    past_due = np.zeros(n, bool)
    past_due[inv["sub"][dunning]] = True
    canceled = subs["cancel_ts"] != NO_TS
    trialing = (subs["trial_start"] != NO_TS) & (subs["trial_end"] >= cal.end_ts)
    paused = (subs["pause_day"] != NO_TS) & (subs["pause_day"] <= cal.end_day) & (subs["resume_day"] > cal.end_day)
    return np.select([canceled, trialing, past_due, paused], [4, 0, 2, 3], 1)


SUB_STATUSES = ("trialing", "active", "past_due", "paused", "canceled")


# --- exchange rates --------------------------------------------------------------------------
def _exchange_rates_table(seed: int, cal: Calendar) -> pa.Table:
    """Daily USD-per-unit rates for every non-USD currency: a gentle mean-reverting random walk."""
    rng = _rng(seed, "exchange_rates")
    days = np.arange(cal.start_day - RATE_LEAD_DAYS, cal.end_day + 1)
    parts = []
    for ci in range(1, len(CURRENCIES)):
        level = np.log(RATE_START[ci])
        steps = rng.normal(0.0, 0.0035, len(days))
        x = np.empty(len(days))
        for i, s in enumerate(steps):  # a few thousand days: a plain loop is fine here
            level += s - 0.004 * (level - np.log(RATE_START[ci]))
            x[i] = level
        parts.append({"day": days, "cur": np.full(len(days), ci), "rate": np.round(np.exp(x) * 1e6).astype(np.int64)})
    r = _concat(parts)
    return pa.table({
        "rate_date": _dates(r["day"]),
        "currency": _labels(CURRENCIES, r["cur"]),
        "rate_to_reporting": _decimal(r["rate"], 6),
    })


# --- behaviour: spans of service, health, events, surveys, tickets ---------------------------
def _spans(seed: int, subs: dict[str, np.ndarray], cust: Customers, cal: Calendar) -> dict[str, np.ndarray]:
    """Intervals in which a customer uses the product, with what shapes their health inside them."""
    rng = _rng(seed, "spans")
    n = len(subs["cust"])
    inf = np.full(n, np.inf)
    vol = subs["end_kind"] == 1
    warn = vol & (rng.random(n) < WARN_SHARE)
    quiet_days = rng.uniform(QUIET_DAYS[0], QUIET_DAYS[1], n)
    c_warn = np.where(warn, subs["cancel_plan"].astype(np.float64), inf)
    c_post = np.where(vol, subs["cancel_plan"].astype(np.float64), inf)
    parts = []
    # trials: a trial that will lapse fades out
    tr = subs["trial_start"] != NO_TS
    lapse = subs["end_kind"] == 3
    parts.append(_span_part(tr, subs, subs["trial_start"], np.minimum(subs["trial_end"], cal.end_ts), 0,
                            np.where(lapse, subs["trial_end"], np.inf), subs["trial_days"] * DAY, 0.2, inf, inf))
    started = subs["started"] != NO_TS
    stop = np.select([vol, subs["end_kind"] == 2], [subs["service_end"] * DAY, subs["cancel_plan"]], cal.end_ts)
    stop = np.minimum(stop, cal.end_ts)
    pause_ts = np.where(subs["pause_day"] != NO_TS, subs["pause_day"] * DAY, cal.end_ts + DAY)
    resume_ts = np.where(subs["resume_day"] != NO_TS, subs["resume_day"] * DAY, cal.end_ts + DAY)
    paused = started & (pause_ts < stop)
    first_end = np.where(paused, pause_ts, stop)
    pause_ramp = np.where(paused, pause_ts.astype(np.float64), inf)
    parts.append(_span_part(started, subs, subs["started"], first_end, 1, c_warn, quiet_days * DAY, POST_CANCEL_LEVEL,
                            c_post, pause_ramp))
    parts.append(_span_part(paused & (resume_ts < stop), subs, resume_ts, stop, 1, c_warn, quiet_days * DAY,
                            POST_CANCEL_LEVEL, c_post, inf))
    sp = _concat(parts)
    sp = _take(sp, np.flatnonzero(sp["t1"] > sp["t0"]))
    return _take(sp, np.lexsort((sp["t0"], sp["cust"])))


def _span_part(mask: np.ndarray, subs: dict[str, np.ndarray], t0: np.ndarray, t1: np.ndarray, paid: int,
               c_warn: np.ndarray, width: np.ndarray, floor: float, c_post: np.ndarray,
               pause_at: np.ndarray) -> dict[str, np.ndarray]:
    """Select the rows of one kind of span."""
    i = np.flatnonzero(mask)
    return {"cust": subs["cust"][i], "sub": i, "t0": t0[i].astype(np.int64), "t1": t1[i].astype(np.int64),
            "paid": np.full(len(i), paid), "c_warn": np.asarray(c_warn, np.float64)[i],
            "width": np.maximum(np.asarray(width, np.float64)[i], DAY), "floor": np.full(len(i), floor),
            "c_post": c_post[i], "pause_at": pause_at[i]}


def _health(t: np.ndarray, sp: dict[str, np.ndarray], rep: np.ndarray, cust: Customers,
            lead: float = 1.0) -> np.ndarray:
    """Engagement multiplier in (0, 1] at time t: fades before a cancellation or pause, dips at random.

    `lead` > 1 stretches the fade further back in time (opinions sour before usage drops).
    """
    tf = t.astype(np.float64)
    c_warn, width, floor = sp["c_warn"][rep], sp["width"][rep] * lead, sp["floor"][rep]
    x = np.clip((c_warn - tf) / width, 0.0, 1.0)
    h = floor + (1.0 - floor) * x ** QUIET_SHAPE
    h = np.where(tf >= sp["c_post"][rep], np.minimum(h, POST_CANCEL_LEVEL), h)
    xp = np.clip((sp["pause_at"][rep] - tf) / (PAUSE_FADE_DAYS * DAY), 0.0, 1.0)
    h = h * (0.25 + 0.75 * xp)
    cu = sp["cust"][rep]
    in_dip = (tf >= cust.dip_start[cu]) & (tf < cust.dip_end[cu])
    return np.where(in_dip, h * 0.3, h)


def _poisson_times(rng: np.random.Generator, sp: dict[str, np.ndarray], rows: np.ndarray,
                   per_month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homogeneous Poisson arrivals inside spans `rows` at `per_month` each; returns (span row, time)."""
    dur = (sp["t1"][rows] - sp["t0"][rows]).astype(np.float64)
    counts = rng.poisson(per_month * dur / (MONTH_DAYS * DAY))
    rep = np.repeat(rows, counts)
    return rep, _random_seconds(rng, sp["t0"][rep], sp["t1"][rep] - sp["t0"][rep])


def _event_batches(seed: int, sp: dict[str, np.ndarray], cust: Customers, subs: dict[str, np.ndarray],
                   buys: dict[str, np.ndarray], cal: Calendar) -> Iterator[dict[str, np.ndarray]]:
    """Activity and e-mail events, generated in chunks of spans so memory stays flat."""
    seg = cust.segment[sp["cust"]]
    level = ACTIVITY_PER_MONTH[seg] * np.exp(0.45 * cust.z[sp["cust"]]) * np.where(sp["paid"] == 1, 1.0, 1.2)
    expected = level * (sp["t1"] - sp["t0"]) / (MONTH_DAYS * DAY)
    chunk_of = ((np.cumsum(expected) - expected) // EVENT_CHUNK).astype(np.int64)
    starts = np.append(np.flatnonzero(np.diff(chunk_of, prepend=-1)), len(expected))
    users = np.clip(subs["last_qty"], 1, 30)
    cust_users = np.ones(len(cust), np.int64)
    cust_users[subs["cust"]] = users  # later subscriptions win: fine for a head count
    for chunk, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
        rng = _rng(seed, "events", chunk)
        rows = np.arange(a, b)
        yield _chunk_events(rng, sp, rows, level[rows], cust, cust_users, cal.end_ts)
    rng = _rng(seed, "events_purchases")
    at = buys["issued"] - rng.integers(60, 1800, len(buys["cust"]))
    keep = at >= cust.created[buys["cust"]]
    yield _event_rows(rng, buys["cust"][keep], at[keep], np.zeros(keep.sum(), np.int64), cust_users)
    if (subs["win_back_ts"] != NO_TS).any():
        yield _win_back_events(_rng(seed, "win_back_events"), subs, cust_users, cal.end_ts)


def _win_back_events(rng: np.random.Generator, subs: dict[str, np.ndarray], cust_users: np.ndarray,
                     end_ts: int) -> dict[str, np.ndarray]:
    """The win-back e-mails sent, opened (some twice) and clicked, all of campaign win_back."""
    i = np.flatnonzero(subs["win_back_ts"] != NO_TS)
    c, sent = subs["cust"][i], subs["win_back_ts"][i]
    n = len(i)
    opened = rng.random(n) < WIN_BACK_OPEN_P
    first_open = sent + (rng.exponential(20.0, n) * 3600).astype(np.int64) + 30
    second_open = first_open + (rng.exponential(2.0, n) * DAY).astype(np.int64) + 60
    click = first_open + (rng.exponential(10.0, n) * 60).astype(np.int64) + 5
    reopened = opened & (rng.random(n) < WIN_BACK_REOPEN_P) & (second_open < end_ts)
    clicked = opened & (rng.random(n) < WIN_BACK_CLICK_P) & (click < end_ts)
    opened &= first_open < end_ts
    custs = np.concatenate([c, c[opened], c[reopened], c[clicked]])
    times = np.concatenate([sent, first_open[opened], second_open[reopened], click[clicked]])
    names = np.concatenate([np.full(n, 3), np.full(opened.sum() + reopened.sum(), 4), np.full(clicked.sum(), 5)])
    ev = _event_rows(rng, custs, times, names, cust_users)
    ev["prop"] = np.full(len(custs), len(PROPERTY_VALUES) - 1)
    return ev

def _chunk_events(rng: np.random.Generator, sp: dict[str, np.ndarray], rows: np.ndarray, level: np.ndarray,
                  cust: Customers, cust_users: np.ndarray, end_ts: int) -> dict[str, np.ndarray]:
    """Events of one chunk of spans: thinned activity, e-mails sent, opened and clicked."""
    rep, t = _poisson_times(rng, sp, rows, level)
    keep = rng.random(len(t)) < _health(t, sp, rep, cust)
    rep, t = rep[keep], t[keep]
    act_name = _choice(rng, ACTIVITY_P, len(t))
    erep, et = _poisson_times(rng, sp, rows, np.full(len(rows), EMAILS_PER_MONTH))
    ec = sp["cust"][erep]
    p_open = _sigmoid(0.2 + 0.9 * cust.z[ec]) * _health(et, sp, erep, cust) ** 2
    opened = rng.random(len(et)) < p_open
    ot = et + (rng.exponential(8.0, len(et)) * 3600).astype(np.int64) + 30
    clicked = opened & (rng.random(len(et)) < 0.3)
    ct = ot + (rng.exponential(10.0, len(et)) * 60).astype(np.int64) + 5
    opened &= ot < end_ts
    clicked &= ct < end_ts
    custs = np.concatenate([sp["cust"][rep], ec, ec[opened], ec[clicked]])
    times = np.concatenate([t, et, ot[opened], ct[clicked]])
    names = np.concatenate([act_name, np.full(len(et), 3), np.full(opened.sum(), 4), np.full(clicked.sum(), 5)])
    sent_at = len(t) + np.arange(len(et))  # an open or click carries the campaign of the e-mail it belongs to
    same_as = np.concatenate([np.full(len(t) + len(et), -1), sent_at[opened], sent_at[clicked]])
    return _event_rows(rng, custs, times, names, cust_users, same_as)


def _event_rows(rng: np.random.Generator, custs: np.ndarray, times: np.ndarray, names: np.ndarray,
                cust_users: np.ndarray, same_as: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Attach user and properties, sorted by customer and time; a row with same_as >= 0 copies that row's properties."""
    n = len(custs)
    user = (cust_users[custs] * rng.random(n) ** 1.7).astype(np.int64) + 1
    user_null = (names < 3) & (rng.random(n) < 0.02)
    prop = _event_properties(rng, names)
    if same_as is not None:
        prop = np.where(same_as >= 0, prop[np.maximum(same_as, 0)], prop)
    ev = {"cust": custs, "at": times, "name": names, "user": user, "user_null": user_null, "prop": prop}
    ev = _take(ev, np.lexsort((ev["name"], ev["at"], ev["cust"])))
    return ev


def _event_properties(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """Index into PROPERTY_VALUES per event, -1 for null."""
    n = len(names)
    u = rng.random(n)
    idx = PROPERTY_OFFSET[names] + (u * PROPERTY_SIZE[names]).astype(np.int64)
    null = ((names == 0) & (rng.random(n) < 0.3)) | ((names >= 3) & (rng.random(n) < 0.05))
    return np.where(null, -1, idx)


def _events_table(ev: dict[str, np.ndarray], first_id: int) -> pa.Table:
    """Arrow table of one batch of events."""
    cust_ids = _ids("C", ev["cust"] + 1, 7)
    user_ids = pc.binary_join_element_wise(cust_ids, pa.array(ev["user"]).cast(pa.string()), "-u")
    user_ids = pc.if_else(pa.array(ev["user_null"]), pa.scalar(None, pa.string()), user_ids)
    return pa.table({
        "event_id": _ids("EV", np.arange(first_id, first_id + len(ev["cust"])), 10),
        "customer_id": cust_ids,
        "user_id": user_ids,
        "event_name": _labels(EVENT_NAMES, ev["name"]),
        "occurred_at": _ts(ev["at"]),
        "properties": _labels(PROPERTY_VALUES, np.maximum(ev["prop"], 0), ev["prop"] < 0),
    })


def _surveys(seed: int, sp: dict[str, np.ndarray], cust: Customers, cal: Calendar) -> dict[str, np.ndarray]:
    """NPS every ~90 days and CSAT every ~45 days while paying; quiet customers answer less, and lower."""
    rng = _rng(seed, "surveys")
    paid = np.flatnonzero(sp["paid"] == 1)
    parts = []
    for kind, period, first in ((0, 90, (20, 90)), (1, 45, (10, 45))):
        phase = rng.uniform(*first, len(cust))[sp["cust"][paid]] * DAY
        dur = (sp["t1"][paid] - sp["t0"][paid]) - phase
        counts = np.where(dur > 0, np.floor(dur / (period * DAY)).astype(np.int64) + 1, 0)
        rep = np.repeat(paid, counts)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        sent = sp["t0"][rep] + np.repeat(phase, counts).astype(np.int64) + j * period * DAY
        sent = sent + rng.integers(0, 2 * DAY, len(rep))
        keep = sent < np.minimum(sp["t1"][rep], cal.end_ts)
        parts.append({"rep": rep[keep], "sent": sent[keep], "kind": np.full(keep.sum(), kind)})
    sv = _concat(parts)
    n = len(sv["rep"])
    c = sp["cust"][sv["rep"]]
    h = _health(sv["sent"], sp, sv["rep"], cust)
    mood = _health(sv["sent"], sp, sv["rep"], cust, lead=SENTIMENT_LEAD)
    answers = rng.random(n) < _sigmoid(0.3 + 0.8 * cust.z[c]) * h ** 2
    responded = sv["sent"] + (rng.exponential(1.5, n) * DAY).astype(np.int64) + 300
    answers &= responded < cal.end_ts
    noise = rng.standard_normal(n)
    nps = np.clip(np.round(7.6 + 1.1 * cust.z[c] - 7.0 * (1 - mood) + 1.6 * noise), 0, 10)
    csat = np.clip(np.round(4.1 + 0.5 * cust.z[c] - 3.2 * (1 - mood) + 0.8 * noise), 1, 5)
    score = np.where(sv["kind"] == 0, nps, csat).astype(np.int64)
    good = np.where(sv["kind"] == 0, score >= 9, score >= 4)
    bad = np.where(sv["kind"] == 0, score <= 6, score <= 2)
    has_comment = answers & (good | bad) & (rng.random(n) < 0.2)
    comment = np.where(good, rng.integers(0, len(COMMENTS_GOOD), n),
                       len(COMMENTS_GOOD) + rng.integers(0, len(COMMENTS_BAD), n))
    french = (cust.country[c] == FRENCH) & ~cust.country_null[c]
    comment = comment + np.where(french, len(COMMENTS_GOOD) + len(COMMENTS_BAD), 0)
    sv.update(cust=c, answered=answers, responded=np.where(answers, responded, NO_TS), score=score,
              comment=np.where(has_comment, comment, -1))
    return _take(sv, np.lexsort((sv["kind"], sv["cust"], sv["sent"])))


def _tickets(seed: int, sp: dict[str, np.ndarray], cust: Customers, cal: Calendar) -> dict[str, np.ndarray]:
    """Help-desk tickets: more of them, more complaints and cancellation requests when health is low."""
    rng = _rng(seed, "tickets")
    paid = np.flatnonzero(sp["paid"] == 1)
    base = TICKETS_PER_MONTH[cust.segment[sp["cust"][paid]]]
    rep, t = _poisson_times(rng, sp, paid, base * 6.0)
    h = _health(t, sp, rep, cust)
    keep = rng.random(len(t)) < (1.0 + 5.0 * (1.0 - h)) / 6.0
    rep, t, h = rep[keep], t[keep], h[keep]
    n = len(t)
    complaint = rng.random(n) < 0.06 + 0.7 * (1.0 - h)
    upset = complaint & (h < 0.6)
    category = np.where(upset, _choice(rng, np.array([0.30, 0.30, 0.0, 0.40]), n),
                        _choice(rng, np.array([0.25, 0.35, 0.38, 0.02]), n))
    priority = np.where(complaint, _choice(rng, np.array([0.05, 0.40, 0.35, 0.20]), n),
                        _choice(rng, np.array([0.28, 0.52, 0.15, 0.05]), n))
    resolved = t + (rng.exponential(np.where(complaint, 3.0, 1.5), n) * DAY).astype(np.int64) + 1800
    unresolved = (rng.random(n) < 0.01 + 0.12 * (1.0 - h)) | (resolved >= cal.end_ts)
    tk = {"cust": sp["cust"][rep], "opened": t, "resolved": np.where(unresolved, NO_TS, resolved),
          "category": category, "priority": priority, "complaint": complaint}
    return _take(tk, np.lexsort((tk["cust"], tk["opened"])))


# --- tables ----------------------------------------------------------------------------------
def _subscriptions_table(subs: dict[str, np.ndarray], status: np.ndarray, cust: Customers,
                         seed: int) -> pa.Table:
    """The subscriptions raw table."""
    rng = _rng(seed, "cancel_reasons")
    n = len(subs["cust"])
    reason_values = CANCEL_REASONS + ("payment_failed",)
    voluntary = _choice(rng, np.append(CANCEL_REASON_P, 1.0 - CANCEL_REASON_P.sum()), n)  # last = no reason given
    reason = np.where(subs["end_kind"] == 2, len(CANCEL_REASONS), voluntary)
    # a lapsed trial states no reason (Stripe records none either); a voluntary cancellation may leave it out
    no_reason = (subs["end_kind"] == 3) | ((subs["end_kind"] == 1) & (voluntary == len(CANCEL_REASONS)))
    reason_null = (subs["cancel_ts"] == NO_TS) | no_reason
    reason = np.where(reason_null, 0, reason)
    trialing = status == 0
    return pa.table({
        "subscription_id": _ids("S", np.arange(1, n + 1), 8),
        "customer_id": _ids("C", subs["cust"] + 1, 7),
        "plan_id": _labels(plan_ids(), plan_index(subs["plan_tier"], subs["plan_iidx"], cust.cur[subs["cust"]])),
        "status": _labels(SUB_STATUSES, status),
        "trial_start_at": _ts(subs["trial_start"]),
        "trial_end_at": _ts(subs["trial_end"]),
        "started_at": _ts(np.where(trialing, NO_TS, subs["started"])),
        "canceled_at": _ts(subs["cancel_ts"]),
        "cancel_reason": _labels(reason_values, reason, reason_null),
        "cancel_at": _ts(_scheduled_cancel_at(subs, seed)),
    })


def _scheduled_cancel_at(subs: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """When a voluntary cancellation takes effect (the end of the paid period), for some of them; else NO_TS.

    Billing tools record a cancellation at period end this way, so a cancellation requested before the end
    date whose period runs past it is a scheduled one. Drawn from its own stream: the rest of the world is
    unchanged.
    """
    rng = _rng(seed, "cancel_at")
    recorded = rng.random(len(subs["cust"])) < CANCEL_AT_SHARE
    scheduled = recorded & (subs["end_kind"] == 1) & (subs["cancel_ts"] != NO_TS)
    return np.where(scheduled, subs["service_end"] * DAY, NO_TS)


def _invoices_table(inv: dict[str, np.ndarray], status: np.ndarray) -> pa.Table:
    """The invoices raw table."""
    n = len(inv["cust"])
    return pa.table({
        "invoice_id": _ids("IN", np.arange(1, n + 1), 9),
        "customer_id": _ids("C", inv["cust"] + 1, 7),
        "subscription_id": pc.if_else(pa.array(inv["sub"] < 0), pa.scalar(None, pa.string()),
                                      _ids("S", inv["sub"] + 1, 8)),
        "issued_at": _ts(inv["issued"]),
        "currency": _labels(CURRENCIES, inv["cur"]),
        "status": _labels(INVOICE_STATUSES, status),
    })


LINE_TYPES = ("subscription", "subscription", "proration", "one_time")


def _lines_table(lines: dict[str, np.ndarray]) -> pa.Table:
    """The invoice_lines raw table."""
    n = len(lines["inv"])
    one_time = lines["slot"] == 3
    return pa.table({
        "line_id": _ids("IL", np.arange(1, n + 1), 10),
        "invoice_id": _ids("IN", lines["inv"] + 1, 9),
        "line_type": _labels(LINE_TYPES, lines["slot"]),
        "plan_id": _labels(plan_ids(), np.maximum(lines["plan"], 0), lines["plan"] < 0),
        "quantity": _int(lines["qty"]),
        "amount": _decimal(lines["cents"], 2),
        "period_start": _dates(lines["start"], one_time),
        "period_end": _dates(lines["end"], one_time),
        "interval_months": _int(lines["interval"], one_time),
    })


def _payments_table(pay: dict[str, np.ndarray], inv: dict[str, np.ndarray]) -> pa.Table:
    """The payments raw table."""
    n = len(pay["inv"])
    return pa.table({
        "payment_id": _ids("PY", np.arange(1, n + 1), 9),
        "invoice_id": _ids("IN", pay["inv"] + 1, 9),
        "attempted_at": _ts(pay["at"]),
        "amount": _decimal(pay["cents"], 2),
        "currency": _labels(CURRENCIES, inv["cur"][pay["inv"]]),
        "payment_type": _labels(("charge", "refund"), pay["refund"].astype(np.int64)),
        "status": _labels(("succeeded", "failed"), pay["failed"].astype(np.int64)),
        "failure_reason": _labels(FAILURE_REASONS, pay["reason"], ~pay["failed"]),
    })


def _surveys_table(sv: dict[str, np.ndarray]) -> pa.Table:
    """The survey_responses raw table."""
    n = len(sv["cust"])
    return pa.table({
        "response_id": _ids("SR", np.arange(1, n + 1), 9),
        "customer_id": _ids("C", sv["cust"] + 1, 7),
        "survey_type": _labels(("nps", "csat"), sv["kind"]),
        "sent_at": _ts(sv["sent"]),
        "responded_at": _ts(sv["responded"]),
        "score": _int(sv["score"], ~sv["answered"]),
        "comment": _labels(COMMENTS, np.maximum(sv["comment"], 0), sv["comment"] < 0),
    })


def _tickets_table(tk: dict[str, np.ndarray]) -> pa.Table:
    """The support_tickets raw table."""
    n = len(tk["cust"])
    return pa.table({
        "ticket_id": _ids("TK", np.arange(1, n + 1), 8),
        "customer_id": _ids("C", tk["cust"] + 1, 7),
        "opened_at": _ts(tk["opened"]),
        "resolved_at": _ts(tk["resolved"]),
        "category": _labels(TICKET_CATEGORIES, tk["category"]),
        "priority": _labels(PRIORITIES, tk["priority"]),
        "is_complaint": pa.array(tk["complaint"], pa.bool_()),
    })


# --- deliberately bad rows -------------------------------------------------------------------
BAD_SHARE_CAP = 0.004  # never more than this share of a table is deliberately bad


def _bad_count(rows: int, share: float, minimum: int) -> int:
    """How many bad rows to inject: a tiny share, at least `minimum`, and never above BAD_SHARE_CAP."""
    return min(max(minimum, int(rows * share)), int(rows * BAD_SHARE_CAP))


def _with_exact_duplicates(rng: np.random.Generator, table: pa.Table, count: int) -> pa.Table:
    """Append byte-for-byte copies of `count` random rows (a re-delivered webhook, a double export)."""
    if table.num_rows == 0 or count == 0:
        return table
    pick = np.sort(rng.choice(table.num_rows, size=min(count, table.num_rows), replace=False))
    return pa.concat_tables([table, table.take(pa.array(pick))])


def _with_orphans(rng: np.random.Generator, table: pa.Table, count: int, n_customers: int, first_key: int) -> pa.Table:
    """Append copies of random rows re-pointed at customer ids that do not exist, with fresh keys."""
    if table.num_rows == 0 or count == 0:
        return table
    pick = rng.choice(table.num_rows, size=count, replace=False)
    rows = table.take(pa.array(np.sort(pick)))
    key = table.column_names[0]
    prefix = "".join(ch for ch in table.column(key)[0].as_py() if ch.isalpha())
    width = len(table.column(key)[0].as_py()) - len(prefix)
    new_keys = _ids(prefix, np.arange(first_key, first_key + count), width)
    ghosts = _ids("C", n_customers + 1 + np.arange(count) * 7919, 7)
    rows = rows.set_column(0, key, new_keys).set_column(rows.column_names.index("customer_id"), "customer_id", ghosts)
    return pa.concat_tables([table, rows])


def _with_bad_scores(rng: np.random.Generator, table: pa.Table, count: int) -> pa.Table:
    """Set `count` answered NPS scores to 11 (out of range: quarantined as bad_score)."""
    score = table.column("score").to_numpy(zero_copy_only=False)
    answered_nps = np.flatnonzero(pc.and_(pc.equal(table.column("survey_type"), "nps"),
                                          pc.is_valid(table.column("score"))).to_numpy(zero_copy_only=False))
    if not answered_nps.size:
        return table
    pick = rng.choice(answered_nps, size=min(count, answered_nps.size), replace=False)
    values = np.where(np.isnan(score), 0, score).astype(np.int64)
    values[pick] = 11
    col = _int(values, np.isnan(score))
    return table.set_column(table.column_names.index("score"), "score", col)


# --- writing ---------------------------------------------------------------------------------
def _write(table: pa.Table, path: Path) -> int:
    """Write one table as Parquet; returns its row count."""
    pq.write_table(table, path, compression="zstd")
    return table.num_rows


def _write_events(batches: Iterator[dict[str, np.ndarray]], path: Path, seed: int, bad_rows: bool,
                  n_customers: int) -> int:
    """Stream event batches into one Parquet file, with a few duplicates and orphans when asked."""
    rng = _rng(seed, "bad_events")
    writer: pq.ParquetWriter | None = None
    rows, next_id = 0, 1
    try:
        for ev in batches:
            table = _events_table(ev, next_id)
            next_id += table.num_rows
            if bad_rows:
                orphans = _bad_count(table.num_rows, 0.00002, 1)
                table = _with_exact_duplicates(rng, table, _bad_count(table.num_rows, 0.0002, 3))
                table = _with_orphans(rng, table, orphans, n_customers, next_id)
                next_id += orphans
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


BILLING_SOURCES = ("contract", "stripe")
# The end date of generate() when none is given: a fixed day, so the same arguments always give the same files
# (tests rely on it). The command lines (this module's and `python -m churn_warehouse demo|generate`) default to
# today instead, so a demo shows current months; a history ending today stops at the start of the current hour.
SAMPLE_END_DATE = date(2026, 11, 20)


def generate(out_dir: Path, customers: int = 5000, months: int = 36, seed: int = 42,
             end_date: date = SAMPLE_END_DATE, progress: Callable[[str], None] | None = None,
             *, bad_rows: bool = True, billing_source: str = "contract", until: datetime | None = None,
             ) -> dict[str, int]:
    """Write the ten raw tables as `<out_dir>/<table>.parquet`; returns the rows written per table.

    The history stops at `until` (naive UTC, within end_date) or, when not given, at default_stop(end_date):
    the start of the current hour if end_date is today or later. The same arguments, with an end date before
    today or an explicit `until`, always give byte-identical files. `bad_rows=False` leaves out the
    handful of deliberately bad rows (duplicates, orphans, an out-of-range score).
    `billing_source="stripe"` writes the same world's six billing tables in the Stripe layout instead,
    as `<out_dir>/stripe/<table>.parquet` (churn_warehouse.stripe_layout; counted as `stripe/<table>`).
    """
    if billing_source not in BILLING_SOURCES:
        raise ValueError(f"billing_source must be one of {BILLING_SOURCES}, got {billing_source!r}")
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    cal = make_calendar(end_date, months, until or default_stop(end_date))
    price = price_table()
    written: dict[str, int] = {}

    def emit(name: str, rows: int) -> None:
        written[name] = rows
        say(f"{name}: {rows} rows")

    billing: dict[str, pa.Table] = {}

    def emit_billing(name: str, table: pa.Table) -> None:
        """A billing table: written now (contract layout), or kept for the Stripe writer."""
        if billing_source == "stripe":
            billing[name] = table
        else:
            emit(name, _write(table, out_dir / f"{name}.parquet"))

    cust = _make_customers(seed, customers, cal)
    emit_billing("customers", _customers_table(cust))
    emit_billing("plans", _plans_table(price))
    subs, recs = _simulate_subscriptions(seed, cust, cal, price)
    subscribed = np.zeros(len(cust), bool)
    subscribed[subs["cust"]] = True
    buys = _one_off_purchases(seed, cust, cal, subscribed)
    inv, lines = _invoice_frame(subs, recs, buys, cust, price)
    pay, inv_status = _payments(seed, inv, subs, cust, cal)
    status = _subscription_status(subs, inv, inv_status, pay, cal)
    emit_billing("subscriptions", _subscriptions_table(subs, status, cust, seed))
    emit_billing("invoices", _invoices_table(inv, inv_status))
    emit_billing("invoice_lines", _lines_table(lines))
    bad = _rng(seed, "bad_rows")
    payments = _payments_table(pay, inv)
    if bad_rows:
        payments = _with_exact_duplicates(bad, payments, _bad_count(payments.num_rows, 0.0002, 1))
    emit_billing("payments", payments)
    if billing_source == "stripe":
        from churn_warehouse.stripe_layout import write_stripe_tables

        for name, rows in write_stripe_tables(billing, out_dir / "stripe", cal.end_ts, seed).items():
            emit(f"stripe/{name}", rows)
    emit("exchange_rates", _write(_exchange_rates_table(seed, cal), out_dir / "exchange_rates.parquet"))
    sp = _spans(seed, subs, cust, cal)
    emit("events", _write_events(_event_batches(seed, sp, cust, subs, buys, cal), out_dir / "events.parquet",
                                 seed, bad_rows, len(cust)))
    surveys = _surveys_table(_surveys(seed, sp, cust, cal))
    if bad_rows:
        surveys = _with_bad_scores(bad, surveys, _bad_count(surveys.num_rows, 0.0001, 1))
    emit("survey_responses", _write(surveys, out_dir / "survey_responses.parquet"))
    tickets = _tickets_table(_tickets(seed, sp, cust, cal))
    if bad_rows:
        tickets = _with_orphans(bad, tickets, _bad_count(tickets.num_rows, 0.0001, 1), len(cust), tickets.num_rows + 1)
    emit("support_tickets", _write(tickets, out_dir / "support_tickets.parquet"))
    return written


# --- daily files: the append-only tables as one file per day -------------------------------------
# Each append-only table and the SQL giving a row's day (an invoice line is dated by its invoice).
DAILY_TABLES: dict[str, str] = {
    "invoices": "issued_at",
    "invoice_lines": "(select min(i.issued_at) from '{dir}/invoices.parquet' as i where i.invoice_id = t.invoice_id)",
    "payments": "attempted_at",
    "events": "occurred_at",
    "survey_responses": "sent_at",
    "support_tickets": "opened_at",
}
UNDATED = "undated"  # the file of rows without a day (none in generated data)


def write_daily_files(out_dir: Path, through: date | None = None,
                      history_through: date | None = None) -> dict[str, int]:
    """Rewrite each append-only table `<table>.parquet` of `out_dir` as `<table>/<YYYY-MM-DD>.parquet`, one file
    per day, as a daily export would deliver it; the other tables stay one file each.

    Days after `through` are left out (the world up to that day). Rows dated on or before `history_through` go
    into one file named after that day (a first export of the history, then one file a day): fewer, larger files.
    Returns the number of files written per table; a table without its single file (a billing table written in
    another layout) is left as it is.
    """
    out_dir = Path(out_dir)
    quoted = str(out_dir).replace("'", "''")
    last = f"where day <= '{through.isoformat()}'" if through else ""
    written: dict[str, int] = {}
    with duckdb.connect() as connection:
        tables = {table: column for table, column in DAILY_TABLES.items() if (out_dir / f"{table}.parquet").exists()}
        for table, column in tables.items():
            day = f"strftime({column.format(dir=quoted)}, '%Y-%m-%d')"
            if history_through:
                day = f"greatest({day}, '{history_through.isoformat()}')"
            staging = out_dir / f".{table}.daily"
            shutil.rmtree(staging, ignore_errors=True)
            connection.execute(
                f"copy (select * from (select t.*, coalesce({day}, '{UNDATED}') as day "
                f"from '{quoted}/{table}.parquet' as t) {last}) "
                f"to '{str(staging).replace(chr(39), chr(39) * 2)}' (format parquet, partition_by (day), "
                "compression zstd)"
            )
            folder = out_dir / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for part in sorted(staging.glob("day=*/*.parquet")):
                part.rename(folder / f"{part.parent.name.removeprefix('day=')}.parquet")
            shutil.rmtree(staging)
            written[table] = len(list(folder.glob("*.parquet")))
        for table in tables:
            (out_dir / f"{table}.parquet").unlink()
    return written


def stage_days(source: Path, target: Path, through: date) -> list[Path]:
    """Make `target` hold the world of `source` up to `through`: every file of `source` except the day files
    dated after it, hard-linked (copied across filesystems). Files already in `target` stay; returns those added.

    Called again with a later day, it adds that day's files: how a daily run's new files arrive.
    """
    source, target = Path(source), Path(target)
    added = []
    for path in sorted(source.rglob("*.parquet")):
        relative = path.relative_to(source)
        if relative.parent.name in DAILY_TABLES and relative.stem != UNDATED and relative.stem > through.isoformat():
            continue
        destination = target / relative
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copyfile(path, destination)
        added.append(destination)
    return added


def _end_date(text: str) -> date:
    """--end-date: a day written YYYY-MM-DD, no later than today."""
    return check_end_date(date.fromisoformat(text))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m churn_warehouse.generator", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the Parquet files")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=_end_date, default=today_utc(),
                        help="last day of the history, YYYY-MM-DD; a history ending today stops at the start of "
                             "the current hour (default: today in UTC, %(default)s)")
    parser.add_argument("--no-bad-rows", action="store_true", help="leave out the deliberately bad rows")
    parser.add_argument("--billing-source", choices=BILLING_SOURCES, default="contract",
                        help="layout of the billing tables: the raw contract's, or Stripe's (under <out>/stripe/)")
    parser.add_argument("--daily-files", action="store_true",
                        help="write the append-only tables as <table>/<YYYY-MM-DD>.parquet, one file per day")
    parser.add_argument("--through", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="with --daily-files: leave out the day files after this day (the world up to it)")
    parser.add_argument("--history-through", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="with --daily-files: rows dated up to this day go into one file named after it")
    args = parser.parse_args(argv)
    if (args.through or args.history_through) and not args.daily_files:
        parser.error("--through and --history-through need --daily-files")
    return args


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: generate and print progress per table and the total time."""
    args = _parse_args(argv)
    began = time.perf_counter()

    def show(message: str) -> None:
        print(f"[{time.perf_counter() - began:7.1f}s] {message}", flush=True)

    rows = generate(args.out, args.customers, args.months, args.seed, args.end_date, show,
                    bad_rows=not args.no_bad_rows, billing_source=args.billing_source)
    if args.daily_files:
        days = write_daily_files(args.out, args.through, args.history_through)
        show("day files: " + ", ".join(f"{table} {count}" for table, count in days.items()))
    print(f"wrote {sum(rows.values())} rows in {len(rows)} tables to {args.out} "
          f"in {time.perf_counter() - began:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
