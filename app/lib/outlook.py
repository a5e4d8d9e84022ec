"""The Outlook page's shaping helpers: the backtest in words and the renewal tables an executive reads."""

from __future__ import annotations

import pandas as pd

from lib import formatting
from lib.figures import reasons_in_words

METHOD_WORDS = {"flat": "assuming MRR stays flat", "trend_3m": "extending the last 3 months' growth"}


def backtest_sentence(backtest: pd.DataFrame, months_ahead: int) -> str:
    """'Our 6-month forecasts were off by 3.1% on average (18 forecasts; ...)', or why there is nothing yet."""
    rows = backtest[backtest["months_ahead"] == months_ahead].set_index("method")
    if "survival" not in rows.index:
        return (f"Our {months_ahead}-month forecasts cannot be judged yet: no month end with 12 months of history "
                f"before it is {months_ahead} months old.")
    ours = rows.loc["survival"]
    direction = "too high" if ours["bias"] > 0 else "too low"
    naive = [f"{formatting.percent(rows.loc[method, 'mape'])} {words}"
             for method, words in METHOD_WORDS.items() if method in rows.index]
    beaten = all(ours["mape"] < rows.loc[method, "mape"] for method in METHOD_WORDS if method in rows.index)
    return (
        f"Our {months_ahead}-month forecasts were off by {formatting.percent(ours['mape'])} on average "
        f"({formatting.count(ours['forecasts'])} past forecasts, on average "
        f"{formatting.percent(abs(ours['bias']))} {direction}); the naive forecasts were off by "
        + " and ".join(naive)
        + (", so ours did better." if beaten else ", so ours did not beat them all.")
    )


def renewal_months(calendar: pd.DataFrame) -> pd.DataFrame:
    """Per renewal month, over every segment: ARR renewing and the risk-weighted ARR, for the chart."""
    return calendar.groupby("renewal_month", as_index=False)[["arr_renewing", "risk_weighted_arr"]].sum() \
        .rename(columns={"renewal_month": "month"})


def renewals_view(renewals: pd.DataFrame) -> pd.DataFrame:
    """The upcoming renewals with column names an executive reads; plans, segments and reasons in plain words."""
    return pd.DataFrame({
        "Customer": renewals["customer_id"],
        "Renews on": renewals["renewal_date"],
        "Plan": renewals["plan_interval"].map(formatting.category),
        "Segment": renewals["segment"].map(formatting.category),
        "ARR renewing": renewals["arr_renewing"].astype(float),
        "Risk score": renewals["risk_score"].astype(float),
        "ARR at risk": renewals["risk_weighted_arr"].astype(float),
        "Why": renewals["signals"].map(reasons_in_words),
        "Cancellation scheduled": renewals["is_cancellation_scheduled"].map({True: "yes", False: ""}),
    })
