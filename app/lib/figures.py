"""Shaping loaded marts for display: headline figures with their change, waterfall steps, long frames.

Pure functions of data frames, no SQL and no Streamlit, so they are easy to test and pages stay layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import re

import numpy as np
import pandas as pd

from lib.formatting import category, is_missing, percent


@dataclass(frozen=True)
class Headline:
    """One headline figure for a month: its value, last month's value and the change between them."""

    key: str
    label: str
    kind: str  # money, count, rate or ratio
    value: float | None
    previous: float | None
    change: float | None
    lower_is_better: bool = False


# (column, label, kind, lower is better), in the order the overview shows them.
HEADLINE_FIGURES: tuple[tuple[str, str, str, bool], ...] = (
    ("mrr", "MRR", "money", False),
    ("arr", "ARR", "money", False),
    ("active_customers", "Active customers", "count", False),
    ("customer_churn_rate", "Customer churn rate", "rate", True),
    ("gross_revenue_churn_rate", "Gross revenue churn", "rate", True),
    ("net_revenue_churn_rate", "Net revenue churn", "rate", True),
    ("nrr", "Net revenue retention (NRR)", "rate", False),
    ("quick_ratio", "Quick ratio", "ratio", False),
    ("expansion_share", "Expansion share of new MRR", "rate", False),
)

MOVEMENTS: tuple[tuple[str, str, int], ...] = (
    ("new_mrr", "New", 1),
    ("expansion_mrr", "Expansion", 1),
    ("reactivation_mrr", "Reactivation", 1),
    ("contraction_mrr", "Contraction", -1),
    ("churn_mrr", "Churn", -1),
)


def _number(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def in_period(frame: pd.DataFrame, start: date, end: date, column: str = "month") -> pd.DataFrame:
    """Rows whose month lies in [start, end]."""
    months = pd.to_datetime(frame[column]).dt.date
    return frame.loc[(months >= start) & (months <= end)].reset_index(drop=True)


def row_of_month(frame: pd.DataFrame, month: date, column: str = "month") -> pd.Series | None:
    """The row of `month`, or None."""
    rows = frame.loc[pd.to_datetime(frame[column]).dt.date == month]
    return rows.iloc[0] if len(rows) else None


def previous_month(month: date) -> date:
    """First day of the month before."""
    return (pd.Timestamp(month) - pd.DateOffset(months=1)).date()


def headlines(
    frame: pd.DataFrame, month: date, spec: tuple[tuple[str, str, str, bool], ...] = HEADLINE_FIGURES
) -> list[Headline]:
    """Figures of `spec` for `month`, each with the change from the month before (None when unknown)."""
    current, before = row_of_month(frame, month), row_of_month(frame, previous_month(month))
    result = []
    for key, label, kind, lower_is_better in spec:
        value = None if current is None else _number(current[key])
        previous = None if before is None else _number(before[key])
        change = None if value is None or previous is None else value - previous
        result.append(Headline(key, label, kind, value, previous, change, lower_is_better))
    return result


SATISFACTION_FIGURES: tuple[tuple[str, str, str, bool], ...] = (
    ("nps", "NPS", "score", False),
    ("csat", "CSAT", "rate", False),
    ("response_rate", "Survey response rate", "rate", False),
    ("answers", "Survey answers received", "count", False),
)


def satisfaction_headlines(frame: pd.DataFrame, month: date) -> list[Headline]:
    """NPS, CSAT, response rate and answers for `month`, with the change from the month before."""
    return headlines(frame, month, SATISFACTION_FIGURES)


@dataclass(frozen=True)
class Reference:
    """A benchmark drawn as a reference line."""

    value: float
    label: str
    source: str


def nps_reference(benchmarks: pd.DataFrame) -> Reference | None:
    """The NPS reference point of the seed, if any."""
    points = benchmarks.loc[benchmarks["metric"] == "nps"]
    if not len(points):
        return None
    point = points.iloc[0]
    return Reference(float(point["low_value"]), f"NPS {float(point['low_value']):.0f}: {point['industry'].lower()}",
                     str(point["source"]))


def nps_answers_long(frame: pd.DataFrame) -> pd.DataFrame:
    """Promoters, passives and detractors per month, long."""
    long = frame[["month", "promoters", "passives", "detractors"]].melt(
        "month", var_name="answer", value_name="answers"
    )
    long["answer"] = long["answer"].str.capitalize()
    return long


def annual_equivalent(monthly_rate: float | None) -> float | None:
    """A monthly churn rate held for 12 months, as an annual rate: 1 - (1 - r)^12 (for comparing benchmarks)."""
    if monthly_rate is None or is_missing(monthly_rate):
        return None
    return 1 - (1 - float(monthly_rate)) ** 12


def movements_long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per month and movement, gains positive and losses negative, for stacked bars."""
    rows = [
        {"month": month, "movement": label, "order": order, "mrr": sign * float(amount)}
        for month, values in zip(frame["month"], frame.to_dict("records"))
        for order, (column, label, sign) in enumerate(MOVEMENTS)
        for amount in [values[column]]
    ]
    return pd.DataFrame(rows, columns=["month", "movement", "order", "mrr"])


def waterfall(row: pd.Series) -> pd.DataFrame:
    """From last month's MRR to this month's, step by step: exchange rates, gains, then losses.

    Each step has its start and end level, so the bars float; the identity of docs/metrics.md makes the last
    step end exactly at this month's MRR.
    """
    opening = float(row["opening_mrr"])
    fx = float(row["fx_adjustment_mrr"])
    steps = [("Last month", opening - fx, "total")]
    steps.append(("Exchange rates", fx, "fx"))
    steps += [(label, sign * float(row[column]), "gain" if sign > 0 else "loss") for column, label, sign in MOVEMENTS]
    records, level = [], 0.0
    for order, (label, amount, kind) in enumerate(steps):
        if kind == "total":
            start, end = 0.0, amount
        else:
            start, end = level, level + amount
        level = end
        records.append({"order": order, "step": label, "kind": kind, "amount": amount, "start": start, "end": end})
    closing = float(row["mrr"])
    records.append(
        {"order": len(records), "step": "This month", "kind": "total", "amount": closing, "start": 0.0,
         "end": closing}
    )
    return pd.DataFrame(records)


def waterfall_axis(steps: pd.DataFrame) -> tuple[float, float]:
    """The MRR range a waterfall shows: around the moving steps, so that they are visible next to a total
    many times larger (the total bars are cut at the bottom; the chart says the axis does not start at 0)."""
    moving = steps.loc[steps["kind"] != "total"]
    low = float(min(moving["start"].min(), moving["end"].min(), steps["end"].min()))
    high = float(max(moving["start"].max(), moving["end"].max(), steps["end"].max()))
    span = max(high - low, abs(high) * 0.01, 1.0)
    return max(0.0, low - 0.6 * span), high + 0.25 * span


def month_summary(row: pd.Series) -> dict[str, float]:
    """MRR gained, lost, the exchange-rate effect, and the net change from last month's MRR, which is
    gained − lost + exchange-rate effect (the identity of docs/metrics.md)."""
    gained = sum(float(row[column]) for column, _, sign in MOVEMENTS if sign > 0)
    lost = sum(float(row[column]) for column, _, sign in MOVEMENTS if sign < 0)
    fx = float(row["fx_adjustment_mrr"])
    last_month = float(row["opening_mrr"]) - fx
    return {"gained": gained, "lost": lost, "fx": fx, "net_change": float(row["mrr"]) - last_month}


@dataclass(frozen=True)
class Movers:
    """The customers behind a month's largest gains and losses, with readable column names."""

    gains: pd.DataFrame
    losses: pd.DataFrame


MOVER_COLUMNS = {
    "customer_id": "Customer", "movement": "Movement", "prev_mrr": "MRR before", "mrr": "MRR now",
    "mrr_change": "Change", "churn_type": "Churn type", "segment": "Segment", "country": "Country",
    "plan_interval": "Plan",
}


def split_movers(frame: pd.DataFrame) -> Movers:
    """Gains (largest first) and losses (largest first) as two tables."""
    readable = frame.assign(
        movement=frame["movement"].map(lambda code: MOVEMENT_WORDS.get(code, category(code))),
        churn_type=frame["churn_type"].map(lambda code: "" if is_missing(code) else CHURN_TYPE_WORDS.get(
            code, category(code))),
        segment=frame["segment"].map(category),
        plan_interval=frame["plan_interval"].map(category),
    ).rename(columns=MOVER_COLUMNS)
    gains = readable.loc[readable["Change"] > 0].sort_values("Change", ascending=False).drop(columns=["Churn type"])
    losses = readable.loc[readable["Change"] < 0].sort_values("Change")
    return Movers(gains.reset_index(drop=True), losses.reset_index(drop=True))


# The two reasons a reader could take for one (docs/metrics.md, "Voluntary and involuntary churn").
REASON_WORDS = {
    "unspecified": "Cancelled, no reason given",
    "unknown": "Stopped paying, never cancelled",
    "payment_failed": "Payment failed (involuntary)",
}
REASONS_NOTE = (
    "\"Cancelled, no reason given\": the customer cancelled without saying why. \"Stopped paying, never "
    "cancelled\": billing simply stopped with no cancellation on record, so no reason can exist. \"Payment "
    "failed\" is involuntary churn; every other reason is the customer's choice."
)
MOVEMENT_WORDS = {"churn": "Churned", "contraction": "Pays less", "expansion": "Pays more", "new": "New",
                  "reactivation": "Came back"}
CHURN_TYPE_WORDS = {"unknown": "No cancellation"}


def reason_label(reason: object) -> str:
    """A churn reason code in words; `unspecified` and `unknown` spelled out so they cannot be confused."""
    return REASON_WORDS.get(str(reason), category(reason))


def readable_reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """Churn reason codes in words (too_expensive → Too expensive)."""
    return frame.assign(churn_reason=frame["churn_reason"].map(reason_label))


def totals_by(frame: pd.DataFrame, category: str, value: str) -> pd.DataFrame:
    """Sum of `value` per `category`."""
    return frame.groupby(category, as_index=False)[value].sum()


@dataclass(frozen=True)
class BenchmarkPoint:
    """A published reference point in words: whose figure, the figure (a range when it is one), its source."""

    who: str
    figure: str
    source: str


def benchmark_points(frame: pd.DataFrame, metric: str) -> list[BenchmarkPoint]:
    """The reference points of one mart column (seed reference.churn_benchmarks), in words."""
    from lib.formatting import score

    points = []
    for row in frame.loc[frame["metric"] == metric].itertuples():
        if row.unit == "fraction":
            low, high = percent(row.low_value), percent(row.high_value)
        else:
            low, high = score(row.low_value, decimals=0), score(row.high_value, decimals=0)
        figure = low if low == high else f"{low}–{high}"
        if isinstance(row.period, str) and row.period and metric == "customer_churn_rate":
            figure += " a year" if row.period == "annual" else f" ({row.period})"
        year = "" if is_missing(row.reference_year) else f" ({int(row.reference_year)})"
        points.append(BenchmarkPoint(f"{row.industry}{year}", figure, str(row.source)))
    return points


def cohorts_in_period(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Cohorts that started within the period (every age they reached)."""
    return in_period(frame, start, end, column="cohort_month")


def average_retention_by_age(frame: pd.DataFrame) -> pd.DataFrame:
    """Retention by age over the cohorts shown, weighted by cohort size and starting MRR."""
    grouped = frame.groupby("months_since_start", as_index=False).agg(
        cohort_customers=("cohort_customers", "sum"),
        retained_customers=("retained_customers", "sum"),
        cohort_starting_mrr=("cohort_starting_mrr", "sum"),
        mrr=("mrr", "sum"),
        cohorts=("cohort_customers", "size"),
    )
    grouped["logo_retention"] = grouped["retained_customers"] / grouped["cohort_customers"].where(
        grouped["cohort_customers"] > 0
    )
    grouped["revenue_retention"] = grouped["mrr"] / grouped["cohort_starting_mrr"].where(
        grouped["cohort_starting_mrr"] > 0
    )
    return grouped


def retention_at_age(average: pd.DataFrame, age: int) -> dict[str, float | None]:
    """Average logo and revenue retention at one age; None when no cohort reached it."""
    row = average.loc[average["months_since_start"] == age]
    if not len(row):
        return {"logo_retention": None, "revenue_retention": None}
    return {name: _number(row.iloc[0][name]) for name in ("logo_retention", "revenue_retention")}


def cohort_sizes(frame: pd.DataFrame) -> pd.Series:
    """Customers per cohort (the size at age 0)."""
    return frame.loc[frame["months_since_start"] == 0].set_index("cohort_month")["cohort_customers"]


def colour_range(values: pd.Series) -> tuple[float, float]:
    """Colour scale of a retention heatmap: from the lowest value shown (rounded down to 10 %) to 100 %, or to
    the 95th percentile when revenue retention runs above 100 %, so differences between cohorts stand out."""
    known = values.dropna().astype(float)
    if not len(known):
        return 0.0, 1.0
    low = max(0.0, min(0.9, float(np.floor(known.min() * 10) / 10)))
    return low, max(1.0, float(known.quantile(0.95)))


def latest_known(frame: pd.DataFrame, column: str) -> tuple[date | None, float | None]:
    """The latest month whose `column` is not null, and its value."""
    known = frame.loc[frame[column].notna()]
    if not len(known):
        return None, None
    last = known.iloc[-1]
    return pd.Timestamp(last["month"]).date(), float(last[column])


WIN_BACK_WINDOWS = (3, 6, 12)


@dataclass(frozen=True)
class WinBack:
    """Win-back within 3, 6 and 12 months of the same churned customers, so the three can be compared."""

    first: date | None
    last: date | None
    churned: int
    shares: dict[int, float | None]  # window in months -> share won back (None when not known for these months)


def comparable_win_back(frame: pd.DataFrame) -> WinBack:
    """Win-back of the customers who left in the months of `frame` whose longest known window is complete.

    The latest month known for 3 months is more recent than the latest known for 12, so showing each window's
    latest month compares different customers (and 12 months can then read lower than 6). Here every window is
    measured on the same months: those for which the longest window known in the period is complete, each
    month weighted by its churned customers.
    """
    for longest in reversed(WIN_BACK_WINDOWS):
        months = frame.loc[frame[f"win_back_{longest}m"].notna() & (frame["churned_customers"] > 0)]
        if len(months):
            break
    else:
        return WinBack(None, None, 0, {window: None for window in WIN_BACK_WINDOWS})
    churned = months["churned_customers"].astype(float)
    shares = {
        window: float((months[f"win_back_{window}m"].astype(float) * churned).sum() / churned.sum())
        if window <= longest else None
        for window in WIN_BACK_WINDOWS
    }
    first, last = (pd.Timestamp(month).date() for month in (months["month"].min(), months["month"].max()))
    return WinBack(first, last, int(churned.sum()), shares)


def survival_long(frame: pd.DataFrame) -> pd.DataFrame:
    """Observed, fitted and projected survival by renewal as one long frame for a line chart."""
    x = ["periods_since_start", "months_since_start"]
    observed = frame.loc[frame["observed_survival"].notna(), [*x, "observed_survival"]]
    fitted = frame.loc[frame["fitted_survival"].notna() & ~frame["is_projection"], [*x, "fitted_survival"]]
    last_observed = frame.loc[~frame["is_projection"], "periods_since_start"].max()
    projected = frame.loc[
        frame["fitted_survival"].notna()
        & (frame["is_projection"] | (frame["periods_since_start"] == last_observed)),
        [*x, "fitted_survival"],
    ]
    parts = [
        observed.rename(columns={"observed_survival": "survival"}).assign(series="Observed"),
        fitted.rename(columns={"fitted_survival": "survival"}).assign(series="Model"),
        projected.rename(columns={"fitted_survival": "survival"}).assign(series="Model projection"),
    ]
    return pd.concat(parts, ignore_index=True)


def of_dimension(frame: pd.DataFrame, dimension: str, value: str) -> pd.DataFrame:
    """Rows of one dimension value of a mart with dimension/dimension_value columns."""
    chosen = frame.loc[(frame["dimension"] == dimension) & (frame["dimension_value"] == value)]
    return chosen.reset_index(drop=True)


def segment_label(segment: str) -> str:
    """`all` as `All customers`, a segment in words as on every page (`mid_market` → `Mid-market`)."""
    return category(segment)


def simple_cltv_by_segment(frame: pd.DataFrame, month: date) -> pd.DataFrame:
    """Simple CLTV of each segment in `month` (segments without a value left out)."""
    rows = frame.loc[(frame["dimension"] == "segment") & (pd.to_datetime(frame["month"]).dt.date == month)]
    rows = rows.loc[rows["cltv_simple"].notna()]
    return pd.DataFrame({"segment": rows["dimension_value"].map(segment_label), "cltv_simple": rows["cltv_simple"]})


INTERVAL_NAMES = {1: "monthly", 3: "quarterly", 6: "semi-annual", 12: "annual"}
MODEL_WORDS = {
    "segment_interval": "Own history",
    "interval": "Shared with its billing interval",
    "constant_churn": "Flat churn rate",
}
CLEARLY_BETTER = 3.84  # likelihood ratio above which falling churn beats a flat rate at the 5 % level (1 df)


def interval_name(months: object) -> str:
    """monthly, quarterly, semi-annual, annual, or `every k months`."""
    k = int(months)  # type: ignore[arg-type]
    return INTERVAL_NAMES.get(k, f"every-{k}-months")


def renewal_word(months: object) -> str:
    """What one period is called: month, quarter, half-year, year."""
    return {1: "month", 3: "quarter", 6: "half-year", 12: "year"}.get(int(months), "period")  # type: ignore[arg-type]


def group_label(segment: str, months: object) -> str:
    """`All customers, annual plans`, `smb, monthly plans`."""
    return f"{segment_label(segment)}, {interval_name(months)} plans"


def mrr_by_model_sentence(sources: pd.DataFrame) -> str:
    """How much of current MRR each kind of model values, in words; the uncovered MRR named when there is any."""
    total = float(sources["current_mrr"].sum()) if not sources.empty else 0.0
    if total <= 0:
        return ""
    share = {row.sbg_fit_source: float(row.current_mrr) / total for row in sources.itertuples()}
    parts = [
        f"{percent(share.get('segment_interval', 0.0))} of current MRR is valued with a model of the customers' own "
        "segment and billing interval",
        f"{percent(share.get('interval', 0.0))} with the model of all customers on the same billing interval",
        f"{percent(share.get('constant_churn', 0.0))} with a flat churn rate per renewal (too little history for more)",
    ]
    missing = float(sources["mrr_without_prediction"].sum()) / total
    lead = "Every paying customer has a predicted value: " if missing == 0 else (
        f"{percent(missing)} of current MRR has no predicted value; of the rest, ")
    return lead + "; ".join(parts) + "."


def curve_segments(curves: pd.DataFrame) -> list[str]:
    """`all` first, then the segments."""
    segments = sorted(set(curves["segment"]) - {"all"})
    return (["all"] if "all" in set(curves["segment"]) else []) + segments


def curve_intervals(curves: pd.DataFrame, segment: str) -> list[int]:
    """The billing intervals (months) a segment has curves for, shortest first."""
    return sorted(int(k) for k in set(curves.loc[curves["segment"] == segment, "interval_months"]))


def of_segment(curves: pd.DataFrame, segment: str, interval_months: int | None = None) -> pd.DataFrame:
    """Rows of one segment (and billing interval) of retention_curves."""
    chosen = curves["segment"] == segment
    if interval_months is not None:
        chosen &= curves["interval_months"] == interval_months
    return curves.loc[chosen].reset_index(drop=True)


def fit_summary(curve: pd.DataFrame) -> str:
    """Which model the curve shows and what it says, in plain words built from numbers only."""
    if curve.empty:
        return ""
    first = curve.iloc[0]
    months = int(first["interval_months"])
    word = renewal_word(months)
    at_one = curve.loc[curve["periods_since_start"] == 1, "fitted_survival"]
    first_churn = None if at_one.empty else 1.0 - float(at_one.iloc[0])
    source = first["sbg_fit_source"]
    if source == "segment_interval":
        text = "The model is fitted on this group's own history."
    elif source == "interval":
        text = f"Too little history for a model of its own: the model of all {interval_name(months)} customers is used."
    else:
        text = (f"Too little history for a retention model: a flat churn rate per {word}, measured on "
                f"{interval_name(months)} customers, is used.")
    if first_churn is not None:
        text += f" A new customer has a {percent(first_churn)} chance of leaving at their first renewal"
        text += "; those who stay become less likely to leave." if source != "constant_churn" else "."
    return text + f" One step on the chart is one renewal opportunity (one {word}); dashed: projection."


def holdout_sentences(quality: pd.DataFrame) -> list[str]:
    """Per billing interval (all segments): how far the model's 12-month-old projection missed, in words."""
    sentences = []
    for row in quality.loc[quality["segment"] == "all"].itertuples():
        name = interval_name(row.interval_months)
        if is_missing(row.holdout_mean_abs_error) or not row.holdout_customers:
            sentences.append(f"{name.capitalize()} plans: no customer was with us a year ago, so nothing to check yet.")
            continue
        miss = float(row.holdout_mean_abs_error)
        steps = "the one renewal" if int(row.holdout_periods) == 1 else f"each of the {int(row.holdout_periods)} renewals"
        sentences.append(
            f"{name.capitalize()} plans: refitted on the data as they stood a year ago, the model expected how many of "
            f"the {int(row.holdout_customers):,} customers then would still be with us at {steps} since; it was off "
            f"by {miss:,.1f} customers on average ({percent(miss / int(row.holdout_customers))} of them)."
        )
    return sentences


# The fitting errors whose wording names the model's parameters, in words a reader follows.
_FIT_ERROR_WORDS = (
    (re.compile(r"no finite maximum-likelihood estimate: the optimum runs to the edge of the parameter space "
                r"\([^()]*\); the data do not identify the model's heterogeneity(?: \([^()]*\))?"),
     "the churn seen so far does not show how much customers differ from one another"),
    (re.compile(r"no customer is observed beyond the first period: one period of data cannot separate alpha from "
                r"beta"),
     "no customer is seen beyond the first renewal, too short to tell how churn changes with tenure"),
)


def model_note(note: object) -> str:
    """Why a group has no model of its own, in words: the group's codes (`'mid_market'` → `Mid-market`) and the
    fitting errors without the model's parameter names."""
    if is_missing(note):
        return ""
    text = str(note)
    for pattern, words in _FIT_ERROR_WORDS:
        text = pattern.sub(words, text)
    return re.sub(r"'([a-z0-9_]+)'", lambda code: category(code.group(1)), text)


def fit_quality_table(quality: pd.DataFrame) -> pd.DataFrame:
    """cltv_fit_quality for executives: each group, its model, whether churn falls with tenure, the holdout miss."""
    def falls(ratio: object) -> str:
        if is_missing(ratio):
            return "not tested (no model of its own)"
        return "yes, clearly" if float(ratio) >= CLEARLY_BETTER else "not clearly"

    followed = quality["holdout_customers"].astype("Int64")
    miss = quality["holdout_mean_abs_error"].astype(float)
    return pd.DataFrame({
        "Customers": [group_label(s, k) for s, k in zip(quality["segment"], quality["interval_months"])],
        "How many": quality["customers"].astype("Int64"),
        "Churned so far": quality["churned_customers"].astype("Int64"),
        "Longest history (renewals)": quality["periods_observed"].astype("Int64"),
        "Model used": quality["fit_source"].map(MODEL_WORDS).fillna(quality["fit_source"]),
        "Chance of leaving at the first renewal": quality["period_churn_rate"].map(percent),
        "Churn falls with tenure": quality["likelihood_ratio"].map(falls),
        "Year-ago check: customers followed": followed,
        "Year-ago check: average miss (customers)": miss,
        "Year-ago check: miss as a share": (miss / followed.astype(float).where(followed > 0)).map(percent),
        "Why this model": quality["fit_note"].map(model_note),
    })


def quarantine_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantined raw rows per table and reason, largest first."""
    quarantined = frame.loc[frame["outcome"] == "quarantined"]
    return quarantined[["table_name", "reason", "row_count", "share_of_raw_rows"]].sort_values(
        ["row_count", "table_name"], ascending=[False, True]
    ).reset_index(drop=True)


def quarantine_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine counts with readable names; the share in percent of the table's raw rows."""
    return pd.DataFrame({
        "Table": frame["table_name"].map(category),
        "Reason": frame["reason"].fillna("").map(category),
        "Rows": frame["row_count"],
        "Share of the table": frame["share_of_raw_rows"].map(percent),
    })


def readable_quarantine(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine counts with a `table: reason` label for charts."""
    labelled = frame.copy()
    labelled["table_and_reason"] = (labelled["table_name"].map(category) + ": "
                                    + labelled["reason"].fillna("").str.replace("_", " "))
    return labelled


def build_details(info: dict[str, object]) -> pd.DataFrame:
    """marts.build_info as two columns, in words."""
    labels = {
        "built_at": "Build started (UTC)",
        "as_of_date": "As-of date",
        "raw_path": "Raw data read from",
        "raw_format": "Raw format",
        "reporting_currency": "Reporting currency",
        "package_version": "Package version",
        "dbt_version": "dbt version",
        "target_type": "Database",
        "invocation_id": "dbt invocation id",
    }
    return pd.DataFrame({"Item": list(labels.values()), "Value": [str(info.get(key, "")) for key in labels]})


def rows_per_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per raw table: rows read, staged, quarantined and collapsed duplicates."""
    pivot = frame.pivot_table(
        index="table_name", columns="outcome", values="row_count", aggfunc="sum", fill_value=0
    ).reset_index()
    for outcome in ("staged", "quarantined", "collapsed_duplicate"):
        if outcome not in pivot.columns:
            pivot[outcome] = 0
    raw = frame.groupby("table_name", as_index=False)["table_raw_rows"].max()
    merged = raw.merge(pivot, on="table_name")
    return merged[["table_name", "table_raw_rows", "staged", "quarantined", "collapsed_duplicate"]]


TIER_ORDER = ("high", "medium", "low")


NO_SIGN = "No single warning sign"


def reasons_in_words(signals: str | None) -> str:
    """`inactive, detractor` → `No product activity for 30 days or more; Latest survey answer was unhappy ...`."""
    from lib.definitions import signal_label

    if not signals or is_missing(signals):
        return NO_SIGN
    return "; ".join(signal_label(code.strip()) for code in str(signals).split(",") if code.strip())


def why_at_risk(row: pd.Series) -> str:
    """Why a customer is on the list: the warning signs in words, or, when none fires but the risk model still
    scores the customer above low, what that score rests on (their product activity and how similar customers
    behaved), so that a medium-risk row never reads as if nothing were wrong."""
    reasons = reasons_in_words(row.get("signals"))
    if reasons != NO_SIGN or row.get("risk_tier") == "low":
        return reasons
    last, before = row.get("activity_last_30d"), row.get("activity_prev_30d")
    activity = "" if is_missing(last) or is_missing(before) else (
        f" ({int(last)} in the last 30 days, {int(before)} in the 30 before)")
    return (f"{NO_SIGN}: the risk model rates the customer's product activity{activity} as that of customers "
            "who often left within 3 months")


def at_risk_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The health list as a customer-success lead reads it: reasons in words, readable column names and values."""
    why = frame.apply(why_at_risk, axis=1) if len(frame) else pd.Series([], dtype=str)
    return pd.DataFrame({
        "Customer": frame["customer_id"],
        "Risk": frame["risk_tier"].map(category),
        "Risk score": frame["risk_score"],
        "MRR at risk": frame["current_mrr"],
        "Why": why,
        "Days since last activity": frame["days_since_last_activity"],
        "Activity change (30 days)": frame["activity_change_pct"].map(lambda change: percent(change, signed=True)),
        "Segment": frame["segment"].map(category),
        "Plan": frame["plan_interval"].map(category),
        "Country": frame["country"],
        "Months as customer": frame["tenure_months"],
    })


def at_risk_export(frame: pd.DataFrame) -> str:
    """The CSV for a CRM import: one row per customer, codes and words, largest MRR at risk first."""
    export = frame.assign(reasons=frame.apply(why_at_risk, axis=1) if len(frame) else "")
    columns = [
        "customer_id", "as_of_date", "risk_tier", "risk_score", "current_mrr", "signals", "reasons",
        "days_since_last_activity", "activity_last_30d", "activity_prev_30d", "activity_change_pct",
        "segment", "country", "acquisition_channel", "plan_interval", "tenure_months",
    ]
    return export[columns].to_csv(index=False)


def tier_summary(totals: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Customers and MRR per tier (0 for a tier with nobody), and the shares of all MRR."""
    total_mrr = float(totals["mrr"].sum()) if len(totals) else 0.0
    summary = {}
    for tier in TIER_ORDER:
        row = totals.loc[totals["risk_tier"] == tier]
        mrr = float(row["mrr"].iloc[0]) if len(row) else 0.0
        summary[tier] = {
            "customers": int(row["customers"].iloc[0]) if len(row) else 0,
            "mrr": mrr,
            "mrr_share": mrr / total_mrr if total_mrr else None,
        }
    return summary


def signal_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """How many customers of the list each signal fires for, and their MRR, largest first (signs in a few words)."""
    from lib.definitions import SIGNALS_SHORT, signal_label

    exploded = frame.assign(signal=frame["signals"].fillna("").str.split(", ")).explode("signal")
    exploded = exploded.loc[exploded["signal"].fillna("") != ""]
    grouped = exploded.groupby("signal", as_index=False).agg(
        customers=("customer_id", "count"), mrr=("current_mrr", "sum")
    )
    grouped["reason"] = grouped["signal"].map(lambda code: SIGNALS_SHORT.get(code, signal_label(code)))
    return grouped.sort_values("mrr", ascending=False).reset_index(drop=True)


def tiers_by_month(history: pd.DataFrame) -> pd.DataFrame:
    """MRR per risk tier at each past month end, tiers in words, for stacked bars."""
    frame = history.loc[history["risk_tier"].isin(["high", "medium"])].copy()
    frame["tier"] = frame["risk_tier"].map({"high": "High risk", "medium": "Medium risk"})
    return frame[["month", "tier", "mrr", "customers"]]


LIST_ROWS_SHOWN = 500


def share_at_risk(summary: dict[str, dict[str, float]]) -> float | None:
    """MRR share of the high and medium tiers."""
    total = sum(tier["mrr"] for tier in summary.values())
    return (summary["high"]["mrr"] + summary["medium"]["mrr"]) / total if total else None


def backtest_latest(backtest: pd.DataFrame) -> dict[str, object] | None:
    """The latest judged month end of the backtest, or None."""
    if backtest.empty:
        return None
    row = backtest.iloc[-1].to_dict()
    row["month"] = pd.Timestamp(row["month"]).date()
    return row
