"""The 12-month MRR forecast of docs/metrics.md (Outlook), run as of the last complete month and of every
earlier month end with enough history, so that its error can be measured against what happened.

Existing customers keep their MRR times their survival under the sBG model of their segment and billing
interval (refitted on what was known at each run's month end), except for scheduled cancellations, which
end on their month; new business is the trailing 6-month average of new and reactivation MRR a month,
decayed by the survival of the customers who recently started. Two naive forecasts sit beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from churn_warehouse.fit_memo import frames_digest
from churn_warehouse.subscription_cltv import (
    OVERALL, PeriodModel, _fit_or_reason, _model_of, calibration_frame, choose_model,
)

HORIZON_MONTHS = 12
MIN_HISTORY_MONTHS = 12  # a backtest run needs this many complete months before its month 0
NEW_BUSINESS_MONTHS = 6  # new business: the average of the trailing 6 months' new + reactivation MRR
TREND_MONTHS = 3  # the naive trend forecast: the last 3 months' growth continues
BAND_MIN_ERRORS = 6  # past errors needed at a horizon before the band is taken from them
BAND_QUANTILES = (0.1, 0.9)
Z_90 = 1.6449  # two-sided 80 % band from the customers' survival variance when too few errors are known
METHODS = ("survival", "flat", "trend_3m")
RUN_COLUMNS = [
    "as_of_month", "is_latest", "method", "months_ahead", "month", "forecast_mrr", "existing_mrr",
    "new_business_mrr", "committed_mrr", "scheduled_churn_mrr", "scheduled_contraction_mrr", "low_mrr",
    "high_mrr", "actual_mrr",
]


def _no_runs() -> pd.DataFrame:
    """The runs of a build without a complete month: none, with typed columns (an untyped empty frame becomes
    a table of NULL-typed columns, which breaks the marts' contracts)."""
    types = {"as_of_month": pa.date32(), "is_latest": pa.bool_(), "method": pa.string(), "months_ahead": pa.int64(),
             "month": pa.date32()}
    return pd.DataFrame({column: pd.Series([], dtype=pd.ArrowDtype(types.get(column, pa.float64())))
                         for column in RUN_COLUMNS})


def _month(value: object) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


Models = dict[tuple[str, int], PeriodModel]


def _survival_ratios(models: Models, customers: pd.DataFrame, horizons: np.ndarray) -> np.ndarray:
    """Each customer's chance of still paying h months on, given the renewals already made: one row per horizon h
    in `horizons`, one column per customer; each (segment, interval) group is worked out at once for every h."""
    ratio = np.ones((len(horizons), len(customers)))
    period = customers["interval_months"].to_numpy(dtype=np.int64)
    tenure = customers["tenure_months"].to_numpy(dtype=float)
    segment = customers["segment"].fillna(OVERALL).astype(str).to_numpy()
    ahead = np.asarray(horizons, dtype=float)[:, None]
    groups = pd.DataFrame({"segment": segment, "period": period}).groupby(["segment", "period"]).indices
    for (group_segment, group_period), rows in groups.items():
        model = models.get((group_segment, int(group_period))) or models.get((OVERALL, int(group_period)))
        if model is None:
            continue
        made = np.floor(tenure[rows] / group_period)
        later = np.floor((tenure[rows] + ahead) / group_period)
        ratio[:, rows] = model.survival(later) / model.survival(made)
    return ratio


def _new_customer_survival(models: Models, starters: pd.DataFrame, ages: np.ndarray) -> np.ndarray:
    """Survival after each age in months of a new customer, weighted by the starting MRR of recent starters."""
    if starters.empty or starters["start_mrr"].sum() <= 0:
        return np.ones(len(ages))
    ratios = _survival_ratios(models, starters.assign(tenure_months=0), ages)
    return np.array([np.average(ratio, weights=starters["start_mrr"]) for ratio in ratios])


def _fits_as_of(survival: pd.DataFrame, months_back: int, min_customers: int,
                current_fits: pd.DataFrame) -> tuple[pd.DataFrame, Models]:
    """The customers as they were `months_back` months before the last complete month, and the retention model
    of each (segment, interval) and (`all`, interval): int_sbg_segment_fits for the latest run, else refitted
    on what was known then, chosen as int_sbg_segment_fits chooses (without its holdout check)."""
    if not months_back:
        return survival, {(str(fit.segment), int(fit.interval_months)): _model_of(fit)
                          for fit in current_fits.itertuples(index=False)}
    frame = calibration_frame(survival, months_back)
    frame = frame.assign(renewals=frame["renewals"].astype("int64"))
    models: Models = {}
    for period_months, interval_customers in frame.groupby("interval_months", sort=True):
        period_months = int(period_months)
        # Fitted once and handed to every choice of the interval: a segment that cannot be fitted falls back to it.
        interval_fit = _fit_or_reason(interval_customers, min_customers)
        pooled, _ = choose_model(interval_customers, interval_customers, frame, segment=OVERALL,
                                 period_months=period_months, min_customers=min_customers, interval_fit=interval_fit)
        models[(OVERALL, period_months)] = pooled
        for segment, customers in interval_customers.groupby("segment", sort=True):
            models[(str(segment), period_months)] = choose_model(
                customers, interval_customers, frame, segment=str(segment), period_months=period_months,
                min_customers=min_customers, interval_fit=interval_fit)[0]
    return frame, models


def _scheduled_losses(scheduled: pd.DataFrame, mrr_now: pd.Series, month0: pd.Timestamp, known_by: pd.Timestamp,
                      months: list[pd.Timestamp]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per customer and month ahead: the MRR a cancellation known by `known_by` has ended by then (lost), and
    the MRR of scheduled subscriptions still running (committed until their month)."""
    rows = scheduled[(scheduled["month"] == month0) & (scheduled["known_at"] < known_by)
                     & (scheduled["effective_month"] > month0)]
    rows = rows.join(mrr_now.rename("mrr_now"), on="customer_id", how="inner")  # keeps the rows' order
    amount = rows["share_of_customer_mrr"].to_numpy(dtype=float) * rows["mrr_now"].to_numpy()
    lost = pd.DataFrame(0.0, index=mrr_now.index, columns=range(len(months)))
    for h, month in enumerate(months):
        ended = (rows["effective_month"] <= month).to_numpy()
        if ended.any():
            lost[h] = pd.Series(amount[ended], index=rows["customer_id"][ended]).groupby(level=0).sum() \
                .reindex(mrr_now.index, fill_value=0.0)
    total = pd.Series(amount, index=rows["customer_id"]).groupby(level=0).sum().reindex(mrr_now.index, fill_value=0.0)
    return lost.clip(upper=mrr_now.to_numpy()[:, None], axis=0), total.clip(upper=mrr_now)


def _run(month0: pd.Timestamp, survival: pd.DataFrame, mrr: pd.DataFrame, new_mrr: pd.Series,
         scheduled: pd.DataFrame, known_by: pd.Timestamp, last_month: pd.Timestamp,
         min_customers: int, current_fits: pd.DataFrame) -> pd.DataFrame:
    """The survival forecast as of month end `month0`, months 0 to 12, with committed MRR and the band's variance."""
    months_back = (last_month.year - month0.year) * 12 + last_month.month - month0.month
    frame, models = _fits_as_of(survival, months_back, min_customers, current_fits)
    mrr_now = mrr[mrr["month"] == month0].set_index("customer_id")["mrr"].astype(float)
    mrr_now = mrr_now[mrr_now > 0]
    customers = frame.set_index("customer_id").reindex(mrr_now.index)
    customers["interval_months"] = customers["interval_months"].fillna(1).astype("int64")
    customers["tenure_months"] = customers["tenure_months"].fillna(0)
    months = [month0 + pd.DateOffset(months=h) for h in range(HORIZON_MONTHS + 1)]
    lost, scheduled_total = _scheduled_losses(scheduled, mrr_now, month0, known_by, months)
    unscheduled = (mrr_now - scheduled_total).to_numpy()
    window = [month0 - pd.DateOffset(months=k) for k in range(NEW_BUSINESS_MONTHS)]
    monthly_new = float(new_mrr.reindex(window, fill_value=0.0).mean())
    starter_ids = mrr[(mrr["month"].isin(window)) & (mrr["is_start"])][["customer_id", "mrr"]]
    starters = starter_ids.rename(columns={"mrr": "start_mrr"}).merge(
        frame[["customer_id", "segment", "interval_months"]], on="customer_id", how="inner")
    decay = _new_customer_survival(models, starters, np.arange(HORIZON_MONTHS))
    ratios = _survival_ratios(models, customers.reset_index(), np.arange(HORIZON_MONTHS + 1))
    rows = []
    for h, month in enumerate(months):
        ratio = ratios[h]
        still_scheduled = scheduled_total.to_numpy() - lost[h].to_numpy()
        existing = float(np.sum(unscheduled * ratio) + np.sum(still_scheduled))
        new_business = monthly_new * float(np.sum(decay[:h][::-1])) if h else 0.0
        committed = float(mrr_now.sum() - lost[h].sum())
        churned = lost[h].to_numpy() >= mrr_now.to_numpy() - 1e-9
        rows.append({
            "months_ahead": h, "month": month, "existing_mrr": existing, "new_business_mrr": new_business,
            "forecast_mrr": existing + new_business, "committed_mrr": committed,
            "scheduled_churn_mrr": float(lost[h].to_numpy()[churned].sum()),
            "scheduled_contraction_mrr": float(lost[h].to_numpy()[~churned].sum()),
            "variance": float(np.sum(unscheduled ** 2 * ratio * (1.0 - ratio))),
        })
    return pd.DataFrame(rows)


def _naive(month0: pd.Timestamp, totals: pd.Series) -> pd.DataFrame:
    """Flat (MRR stays as it is) and trend (the last 3 months' monthly growth rate continues) forecasts."""
    now = float(totals.get(month0, 0.0))
    before = float(totals.get(month0 - pd.DateOffset(months=TREND_MONTHS), 0.0))
    growth = (now / before) ** (1.0 / TREND_MONTHS) if before > 0 and now > 0 else 1.0
    rows = []
    for h in range(HORIZON_MONTHS + 1):
        month = month0 + pd.DateOffset(months=h)
        rows.append({"method": "flat", "months_ahead": h, "month": month, "forecast_mrr": now})
        rows.append({"method": "trend_3m", "months_ahead": h, "month": month, "forecast_mrr": now * growth ** h})
    return pd.DataFrame(rows)


def _add_bands(runs: pd.DataFrame) -> pd.DataFrame:
    """The survival forecast's low and high: the 10th and 90th percentiles of its relative errors at the same
    horizon among earlier runs whose outcome was known at month 0; until 6 are known, +-1.645 standard
    deviations of the customers' survival. The naive forecasts get no band."""
    runs = runs.sort_values(["method", "months_ahead", "as_of_month"]).reset_index(drop=True)
    spread = Z_90 * np.sqrt(runs["variance"].astype(float))
    low, high = runs["forecast_mrr"] - spread, runs["forecast_mrr"] + spread
    error = runs["actual_mrr"] / runs["forecast_mrr"] - 1.0
    survival = runs[(runs["method"] == "survival") & (runs["months_ahead"] > 0)]
    for _, group in survival.groupby("months_ahead"):
        for index, row in group.iterrows():
            known = error.loc[group.index][(group["month"] <= row["as_of_month"]) & error.loc[group.index].notna()]
            if len(known) >= BAND_MIN_ERRORS:
                q_low, q_high = np.quantile(known, BAND_QUANTILES)
                low.loc[index] = row["forecast_mrr"] * (1.0 + q_low)
                high.loc[index] = row["forecast_mrr"] * (1.0 + q_high)
    return runs.assign(low_mrr=low.clip(lower=0.0), high_mrr=high)


def _with_customer_codes(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """The frames with `customer_id` replaced by its position among all their customer ids sorted, so that sorting
    by the code sorts as by the id."""
    ids = pd.concat([frame["customer_id"] for frame in frames], ignore_index=True)
    codes, _ = pd.factorize(ids, sort=True)
    bounds = np.cumsum([0, *(len(frame) for frame in frames)])
    return [frame.assign(customer_id=codes[start:end]) for frame, start, end in zip(frames, bounds, bounds[1:])]


def run_months(months: Iterable[object], every_months: int) -> list[pd.Timestamp]:
    """Month 0 of every run, given the months with MRR (`months`, any order, repeats allowed): the last one (the
    last complete month) and every `every_months`-th month before it, counted back from the last, with at least
    12 complete months before it."""
    if every_months < 1:
        raise ValueError(f"dbt var forecast_backtest_every_months must be 1 or more, got {every_months}")
    months = sorted({_month(month) for month in months})
    if not months:
        return []
    first, last = months[0], months[-1]
    month0 = first + pd.DateOffset(months=MIN_HISTORY_MONTHS)
    return [month for month in months if month0 <= month < last
            and ((last.year - month.year) * 12 + last.month - month.month) % every_months == 0] + [last]


def customer_months_read(starts: list[pd.Timestamp]) -> str:
    """SQL condition on int_customer_mrr_movements for the rows forecast_runs reads of it: the paying customers in
    the month 0 of a run (`starts`, from run_months) and every start (a new or reactivation month)."""
    starts_sql = ", ".join(f"date '{start:%Y-%m-%d}'" for start in starts)
    paying = f"(mrr > 0 and month in ({starts_sql})) or " if starts else ""
    return f"{paying}movement in ('new', 'reactivation')"


# SQL aggregate over int_customer_mrr_movements, grouped by month, for the `monthly` input of forecast_runs: summed as
# decimals (money has 6 decimals), so each month's figure is exact whatever order the rows come in.
MONTHLY_SUMS = (
    "month, cast(sum(cast(mrr as decimal(38, 6))) as double) as mrr, "
    "cast(sum(cast(new_mrr as decimal(38, 6)) + cast(reactivation_mrr as decimal(38, 6))) as double) "
    "as new_business_mrr"
)


def backtest_inputs_digest(survival: pd.DataFrame, monthly: pd.DataFrame, customer_months: pd.DataFrame,
                           scheduled: pd.DataFrame, starts: list[pd.Timestamp]) -> str:
    """The digest (churn_warehouse.fit_memo) of what the survival forecasts of the backtest runs read: forecast_runs'
    inputs of those names, the scheduled cancellations of months before the latest run's, and the run months. The
    latest run reads more (the as-of date, today's cancellations, int_sbg_segment_fits) and is run every time."""
    before_latest = pd.to_datetime(scheduled["month"]) < starts[-1] if starts else scheduled["month"].notna()
    return frames_digest(survival, monthly, customer_months, scheduled[before_latest].reset_index(drop=True),
                         pd.DataFrame({"start": pd.to_datetime(pd.Series(starts, dtype="datetime64[us]"))}))


def _held_run(held: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The survival forecast of the backtest run `start` as a run that wrote `held` (int_mrr_forecast_runs) had it,
    in _run's columns, with its band kept aside (held_low_mrr, held_high_mrr): a backtest run's band reads only
    errors known at its month 0, so it does not change."""
    rows = held[(held["method"] == "survival") & (pd.to_datetime(held["as_of_month"]) == start)]
    rows = rows.sort_values("months_ahead")
    return pd.DataFrame({
        "months_ahead": rows["months_ahead"].to_numpy(dtype="int64"),
        "month": pd.to_datetime(rows["month"]).to_numpy(),
        **{column: rows[column].to_numpy(dtype=float) for column in (
            "existing_mrr", "new_business_mrr", "forecast_mrr", "committed_mrr", "scheduled_churn_mrr",
            "scheduled_contraction_mrr")},
        "variance": np.nan,
        "held_low_mrr": rows["low_mrr"].to_numpy(dtype=float),
        "held_high_mrr": rows["high_mrr"].to_numpy(dtype=float),
    })


def forecast_runs(survival: pd.DataFrame, fits: pd.DataFrame, monthly: pd.DataFrame, customer_months: pd.DataFrame,
                  scheduled: pd.DataFrame, as_of_date: object, *, min_customers: int,
                  starts: list[pd.Timestamp], held: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every run of the three forecasts, one from each month of `starts` (run_months: the last complete month, which
    is_latest marks, and the earlier month ends of the backtest), months 0 to 12, with the actual MRR where it is
    known.

    `survival` is int_customer_survival and `fits` int_sbg_segment_fits; `monthly` has one row per month of
    int_customer_mrr_movements with its total mrr and new_business_mrr (new + reactivation; MONTHLY_SUMS);
    `customer_months` has customer_id, month, mrr and movement of int_customer_mrr_movements, at least the rows
    customer_months_read selects; `scheduled` is int_scheduled_cancellations. Each earlier run refits the sBG
    models on what was known then (an optimisation per group on its pooled (renewals, censored) cells, the
    interval's fit shared by the segments that fall back to it): these fits are nearly all of the cost, and it
    hardly grows with the number of customers; hence the step. `held`, the rows of a run whose backtest inputs had
    the same digest (backtest_inputs_digest), gives the backtest runs' survival forecasts and bands instead.
    """
    # Customer ids as integer codes in key order: every lookup below is by customer, and integer keys keep the
    # sorts and joins of a million customers' rows cheap. The output holds no customer id.
    survival, customer_months, scheduled = _with_customer_codes(survival, customer_months, scheduled)
    # In key order, so float sums come out the same on every engine whatever order the rows are read in.
    survival = survival.sort_values("customer_id", kind="stable", ignore_index=True)
    customer_months = customer_months.sort_values(["customer_id", "month"], kind="stable", ignore_index=True)
    scheduled = scheduled.sort_values(["subscription_id", "month"], kind="stable", ignore_index=True)
    mrr = customer_months.assign(month=pd.to_datetime(customer_months["month"]),
                                 mrr=customer_months["mrr"].astype(float))
    mrr["is_start"] = mrr["movement"].isin(["new", "reactivation"])
    monthly = monthly.assign(month=pd.to_datetime(monthly["month"])).set_index("month").sort_index()
    totals = monthly["mrr"].astype(float)
    new_mrr = monthly["new_business_mrr"].astype(float)
    scheduled = scheduled.assign(
        month=pd.to_datetime(scheduled["month"]), effective_month=pd.to_datetime(scheduled["effective_month"]),
        known_at=pd.to_datetime(scheduled["known_at"]),
    )
    if not starts:
        return _no_runs()
    last = starts[-1]
    runs = []
    for start in starts:
        # What was known: up to the as-of date for the latest run, up to the run's month end for the others.
        known_by = pd.Timestamp(as_of_date) + pd.Timedelta(days=1) if start == last else start + pd.offsets.MonthBegin()
        if held is not None and start != last:
            run = _held_run(held, start)
        else:
            run = _run(start, survival, mrr, new_mrr, scheduled, known_by, last, min_customers, fits)
        naive = _naive(start, totals)
        for frame, method in ((run, "survival"), (naive[naive["method"] == "flat"], "flat"),
                              (naive[naive["method"] == "trend_3m"], "trend_3m")):
            runs.append(frame.assign(as_of_month=start, is_latest=start == last, method=method))
    result = pd.concat(runs, ignore_index=True)
    result["actual_mrr"] = result["month"].map(totals).where(result["month"] <= last)
    result = _add_bands(result)
    if "held_low_mrr" in result:
        kept = result["held_low_mrr"].notna()
        result.loc[kept, "low_mrr"] = result.loc[kept, "held_low_mrr"]
        result.loc[kept, "high_mrr"] = result.loc[kept, "held_high_mrr"]
    result["as_of_month"] = result["as_of_month"].dt.date
    result["month"] = result["month"].dt.date
    return result[RUN_COLUMNS].astype({"months_ahead": "int64", "is_latest": bool})
