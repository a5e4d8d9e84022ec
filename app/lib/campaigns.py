"""Win-back campaigns and comment themes: the loaders of their marts and the shaping two pages need.

The SQL follows lib.data's rules (parameters bound, never formatted in; syntax DuckDB and PostgreSQL share);
it lives here rather than in lib.data so the campaign and theme figures are found by their name.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib import formatting
from lib.warehouse import WarehouseId, run_query

THEME_LABELS = {
    "price": "Price",
    "missing_features": "Missing features",
    "bugs_reliability": "Bugs and reliability",
    "support": "Support",
    "ease_of_use": "Ease of use",
    "competitor": "Switched to a competitor",
    "no_longer_needed": "No longer needed",
    "other": "Other (no keyword matched)",
}
GROUPS = ("detractor", "passive", "promoter")
EXAMPLES_PER_THEME = 3
_COUNTS = ("emails_sent", "customers_reached", "unique_opens", "unique_clicks", "lapsed_customers_reached",
           "reactivated_30d_customers", "reactivated_90d_customers", "reactivated_90d_mrr")


# ------------------------------------------------------------------ loaders


@st.cache_data(show_spinner=False, max_entries=64)
def campaign_monthly(warehouse: WarehouseId) -> pd.DataFrame:
    """The e-mail funnel per campaign and send month (marts.campaign_monthly)."""
    return run_query(
        warehouse,
        """
        select campaign, month, is_win_back_campaign, emails_sent, customers_reached, unique_opens, unique_clicks,
            lapsed_customers_reached, reactivated_30d_customers, reactivated_90d_customers, reactivated_90d_mrr
        from marts.campaign_monthly
        order by campaign, month
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def win_back_uplift(warehouse: WarehouseId) -> pd.DataFrame:
    """Per win-back campaign, sent against comparable not-sent churned customers (marts.win_back_uplift)."""
    return run_query(
        warehouse,
        """
        select campaign, all_sent_customers, strata, sent_customers, comparison_customers, is_comparison_too_small,
            sent_reactivation_rate, comparison_reactivation_rate, uplift, uplift_ci_low, uplift_ci_high
        from marts.win_back_uplift
        order by campaign
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def theme_counts(warehouse: WarehouseId, dimension: str, value: str, start: date, end: date) -> pd.DataFrame:
    """Comments and theme comments per respondent group and theme, summed over the months start..end."""
    return run_query(
        warehouse,
        """
        select respondent_group, theme, sum(group_comments) as group_comments, sum(theme_comments) as theme_comments
        from marts.feedback_themes_monthly
        where dimension = ? and dimension_value = ? and month between ? and ?
        group by respondent_group, theme
        """,
        [dimension, value, start, end],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def theme_churn(warehouse: WarehouseId) -> pd.DataFrame:
    """Each theme's share among comments of customers who churned within 3 months and of those who stayed."""
    return run_query(
        warehouse,
        """
        select theme, churned_comments, churned_theme_share, stayed_comments, stayed_theme_share
        from marts.feedback_themes_churn
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def themed_comments(warehouse: WarehouseId, dimension: str, value: str, start: date, end: date) -> pd.DataFrame:
    """Every comment received in the months start..end with its theme (one row per theme), newest first."""
    return run_query(
        warehouse,
        """
        select theme, respondent_group, survey_type, score, responded_at, segment, comment, response_id
        from marts.feedback_themes
        where month between ? and ? and (? = 'all' or (? = 'segment' and segment = ?))
        order by responded_at desc, response_id
        """,
        [start, end, dimension, dimension, value],
    )


# ------------------------------------------------------------------ shaping


def funnel_table(monthly: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Per campaign, the funnel of the e-mails sent in start..end, its rates recomputed from the sums.

    Reactivations count only the months whose window is complete (their figure is known); the 90-day rate is
    over the lapsed customers of those months only.
    """
    months = pd.to_datetime(monthly["month"]).dt.date
    period = monthly[(months >= start) & (months <= end)].copy()
    known = period["reactivated_90d_customers"].notna()
    period["lapsed_90d_known"] = period["lapsed_customers_reached"].where(known, 0)
    sums = period.groupby("campaign", sort=True).agg(
        is_win_back_campaign=("is_win_back_campaign", "max"),
        **{column: (column, "sum") for column in _COUNTS + ("lapsed_90d_known",)},
    )

    def rate(numerator: str, denominator: str) -> pd.Series:
        return (sums[numerator] / sums[denominator].where(sums[denominator] > 0)).astype(float)

    sums["open_rate"] = rate("unique_opens", "emails_sent")
    sums["click_rate"] = rate("unique_clicks", "emails_sent")
    sums["click_to_open_rate"] = rate("unique_clicks", "unique_opens")
    sums["reactivation_rate_90d"] = rate("reactivated_90d_customers", "lapsed_90d_known")
    return sums.reset_index().sort_values(["is_win_back_campaign", "emails_sent", "campaign"],
                                          ascending=[False, False, True], kind="stable")


def funnel_display(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The funnel as an executive reads it: rates as percentages, money with its currency."""
    return pd.DataFrame({
        "Campaign": table["campaign"].map(formatting.category),
        "Win-back": table["is_win_back_campaign"].map({True: "yes", False: "no"}),
        "E-mails sent": table["emails_sent"].astype(int),
        "Customers reached": table["customers_reached"].astype(int),
        "Opened": table["unique_opens"].astype(int),
        "Clicked": table["unique_clicks"].astype(int),
        "Open rate": table["open_rate"].map(formatting.percent),
        "Click rate": table["click_rate"].map(formatting.percent),
        "Click-to-open": table["click_to_open_rate"].map(formatting.percent),
        "Lapsed customers reached": table["lapsed_customers_reached"].astype(int),
        "Back within 30 days": table["reactivated_30d_customers"].astype(int),
        "Back within 90 days": table["reactivated_90d_customers"].astype(int),
        "MRR brought back (90 days)": table["reactivated_90d_mrr"].map(lambda v: formatting.money(v, currency)),
    })


def uplift_sentence(row: pd.Series) -> str:
    """What the uplift row says, in one or two plain sentences (numbers and fixed words only)."""
    if row["is_comparison_too_small"]:
        return (
            f"The comparison group is too small: only {formatting.count(row['comparison_customers'])} churned "
            "customers of the same churn months and segments were not sent this campaign, so no uplift is given."
        )
    return (
        f"Churned customers sent the campaign came back within 3 months "
        f"{formatting.percent(row['sent_reactivation_rate'])} of the time, against "
        f"{formatting.percent(row['comparison_reactivation_rate'])} for comparable churned customers "
        f"not sent it: {formatting.points(row['uplift'])}, likely between "
        f"{formatting.points(row['uplift_ci_low'])} and {formatting.points(row['uplift_ci_high'])} "
        "(95 times in 100, a range drawn this way holds the true difference)."
    )


def theme_share_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Per theme, its share of the comments of detractors, passives and promoters (fractions; null without any)."""
    comments = counts.groupby("respondent_group")["group_comments"].max()
    shares = counts.pivot_table(index="theme", columns="respondent_group", values="theme_comments", aggfunc="sum")
    shares = shares.reindex(index=list(THEME_LABELS), columns=list(GROUPS)).fillna(0)
    for group in GROUPS:
        total = float(comments.get(group, 0) or 0)
        shares[group] = shares[group] / total if total else float("nan")
    return shares


def theme_share_display(shares: pd.DataFrame) -> pd.DataFrame:
    """The share table with readable theme names and percentages."""
    return pd.DataFrame({
        "Theme": [THEME_LABELS[theme] for theme in shares.index],
        "Detractors": shares["detractor"].map(formatting.percent),
        "Passives": shares["passive"].map(formatting.percent),
        "Promoters": shares["promoter"].map(formatting.percent),
    })


def theme_churn_display(churn: pd.DataFrame) -> pd.DataFrame:
    """Themes of customers who left within 3 months against those who stayed, largest difference first."""
    frame = churn.assign(
        difference=churn["churned_theme_share"].astype(float) - churn["stayed_theme_share"].astype(float)
    ).sort_values(["difference", "theme"], ascending=[False, True], na_position="last", kind="stable")
    return pd.DataFrame({
        "Theme": frame["theme"].map(THEME_LABELS).fillna(frame["theme"]),
        "Customers who left within 3 months": frame["churned_theme_share"].map(formatting.percent),
        "Customers who stayed": frame["stayed_theme_share"].map(formatting.percent),
        "Difference": frame["difference"].map(formatting.points),
    })


def theme_examples(comments: pd.DataFrame, per_theme: int = EXAMPLES_PER_THEME) -> pd.DataFrame:
    """The newest few comments of each theme (comments arrive newest first), in the themes' order."""
    examples = comments.groupby("theme", sort=False).head(per_theme)
    order = {theme: position for position, theme in enumerate(THEME_LABELS)}
    examples = examples.sort_values("theme", key=lambda themes: themes.map(order), kind="stable")
    return pd.DataFrame({
        "Theme": examples["theme"].map(THEME_LABELS).fillna(examples["theme"]),
        "Comment": examples["comment"],
        "Group": examples["respondent_group"].map(formatting.category),
        "Survey": examples["survey_type"].str.upper(),
        "Score": examples["score"].astype(int),
        "Received": pd.to_datetime(examples["responded_at"]).dt.date.map(formatting.day_label),
    })


def comments_csv(comments: pd.DataFrame) -> bytes:
    """Every themed comment of the period as CSV (UTF-8), one row per comment and theme."""
    return comments.to_csv(index=False).encode("utf-8")
