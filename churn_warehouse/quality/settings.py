"""The knobs of the data-quality checks, with the defaults the suites use (README, "Data quality")."""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING = "blocking"
WARNING = "warning"


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds of the raw and mart suites. Bounds from history are median ± k · robust sd, computed by us."""

    # Volume: robust z of a day's (or a month's) rows against the trailing window; below -k blocks, above +k warns.
    volume_k: float = 6.0
    # Daily volume: days in the trailing window, and the smallest baseline median (rows a day) worth checking.
    volume_window_days: int = 28
    volume_min_daily_rows: float = 20.0
    # Monthly volume (billing tables): complete months in the trailing window, and the relative floor of the
    # robust sd (rows a day drift with growth, so a month may differ from the median by this share per sd).
    volume_window_months: int = 6
    volume_monthly_relative_floor: float = 0.05
    volume_min_monthly_rows: float = 300.0
    # Profiles (null shares, distributions): the last `recent_months` months up to the as-of month are checked
    # against the `history_months` months before them; a month counts only with at least this many rows.
    recent_months: int = 3
    history_months: int = 12
    profile_min_rows: int = 100
    profile_min_history_months: int = 3
    profile_k: float = 6.0
    # Floors of the robust sd: absolute for null shares, relative to the median for amounts and scores.
    null_share_floor: float = 0.02
    distribution_relative_floor: float = 0.1
    # Freshness: the latest row of a table may lie at most this many days before the as-of date.
    freshness_days_billing: int = 35
    freshness_days_activity: int = 3
    freshness_days_other: int = 45
    # Marts: month-over-month MRR change (mrr / previous month's mrr - 1) allowed after the first
    # `mrr_warmup_months` months of history; outside the band blocks publishing.
    mrr_change_min: float = -0.25
    mrr_change_max: float = 0.5
    mrr_warmup_months: int = 6
    # Marts: plausible monthly NRR and GRR (warnings only: a real month can be unusual).
    nrr_plausible_min: float = 0.7
    nrr_plausible_max: float = 1.3
    grr_plausible_min: float = 0.7
    # Marts larger than this are validated on their latest partition only (memory at 100,000 customers).
    mart_row_limit: int = 1_000_000
    # How many offending values a failure message shows.
    sample_size: int = 5
