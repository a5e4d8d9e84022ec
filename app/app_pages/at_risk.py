"""At-risk customers: who shows warning signs today, why, and how much MRR is at stake; a CSV for the CRM."""

from functools import partial

import streamlit as st

from lib import charts, controls, data, display, figures, formatting
from lib.definitions import SIGNALS, define, signal_label

context = controls.current()
data.require(context.warehouse, "marts.customer_health")
dimension, value, note = context.scope(("segment", "country", "acquisition_channel", "plan_interval"))
totals = figures.tier_summary(data.health_totals(context.warehouse, dimension, value))
options = data.health_options(context.warehouse)

st.title("At-risk customers")
list_date = data.health_list_date(context.warehouse)
st.caption(
    f"{context.filter_caption} · customers paying on {formatting.day_label(list_date)}, the as-of date · "
    f"figures in {context.currency_caption}"
)
if note:
    st.caption(note)

alerts = data.health_alert_count(context.warehouse, dimension, value) if data.has(
    context.warehouse, "marts.health_alerts") else None
with display.tiles():
    display.simple_metric("High-risk customers", formatting.count(totals["high"]["customers"]), figure="risk_score")
    display.simple_metric("MRR at high risk", formatting.money(totals["high"]["mrr"], context.currency),
                          figure="mrr_at_risk")
    display.simple_metric(
        "MRR at high or medium risk",
        formatting.percent(figures.share_at_risk(totals)),
        help_text="The share of today's MRR paid by high- and medium-risk customers: their MRR ÷ the MRR of every "
        "customer paying today.",
    )
    display.simple_metric(
        "Newly high risk", formatting.count(alerts),
        help_text="Customers whose risk is high today and was not at the last month end.",
    )

st.subheader("The list")
tier_column, signal_column, segment_column, plan_column = st.columns(4)
with tier_column:
    tiers = st.multiselect("Risk", [tier for tier in figures.TIER_ORDER if tier in options["risk_tier"]],
                           default=[tier for tier in ("high", "medium") if tier in options["risk_tier"]],
                           format_func=formatting.category, key="risk_tiers", help=define("risk_score"))
with signal_column:
    signals = st.multiselect("Warning sign (any of)", list(SIGNALS), format_func=signal_label, key="risk_signals",
                             placeholder="Any sign")
with segment_column:
    segments = st.multiselect("Segment", options["segment"], format_func=formatting.category, key="risk_segments",
                              placeholder="Every segment")
with plan_column:
    plans = st.multiselect("Plan", options["plan_interval"], format_func=formatting.category, key="risk_plans",
                           placeholder="Every plan")

chosen = (context.warehouse, tuple(tiers), tuple(signals), tuple(segments), tuple(plans), dimension, value)
at_risk = data.at_risk_customers(*chosen)
shown = figures.at_risk_view(at_risk.head(figures.LIST_ROWS_SHOWN))
st.markdown(
    f"**{formatting.count(len(at_risk))} customers** with "
    f"**{formatting.markdown_text(formatting.money(at_risk['current_mrr'].sum(), context.currency))}** of MRR, "
    "largest first"
    + (f" (the first {formatting.count(figures.LIST_ROWS_SHOWN)} shown; the download has all)"
       if len(at_risk) > figures.LIST_ROWS_SHOWN else "")
)
display.plain_table(
    shown,
    **{
        "Risk score": st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0),
        "MRR at risk": st.column_config.NumberColumn(format="dollar" if context.currency == "USD" else "localized"),
        "Why": st.column_config.TextColumn(width="large"),
    },
)
st.download_button(
    "Download this list as CSV (for the CRM)",
    data=partial(data.at_risk_csv, *chosen),
    file_name=f"at_risk_customers_{list_date or 'today'}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    key="risk_download",
)

reasons = figures.signal_counts(at_risk)
if not reasons.empty:
    st.altair_chart(
        charts.bars(reasons, "reason", "mrr", value_format=charts.money_axis_format(context.currency),
                    title="MRR of the listed customers, by warning sign", colour="#fb8c00"),
        width="stretch",
    )
if data.has(context.warehouse, "marts.customer_health_history"):
    history = figures.in_period(
        figures.tiers_by_month(data.health_history(context.warehouse, dimension, value)),
        context.start, context.end,
    )
    st.altair_chart(
        charts.stacked_by_month(history, "tier", "mrr", value_format=charts.money_axis_format(context.currency),
                                title="MRR at risk at each month end",
                                colours={"High risk": "#e53935", "Medium risk": "#fb8c00"}),
        width="stretch",
    )

if data.has(context.warehouse, "marts.health_backtest"):
    st.subheader("Does the risk score work?")
    backtest = figures.in_period(data.health_backtest(context.warehouse), context.start, context.end)
    latest = figures.backtest_latest(backtest)
    if latest is None:
        st.caption("Not known yet: a month end is judged once the 3 month ends after it are complete.")
    else:
        st.caption(
            f"Customers scored at the end of {formatting.month_label(latest['month'])}, judged on who stopped paying "
            "in the 3 months after (the score was fitted only on what was known then)."
        )
        with display.tiles():
            display.simple_metric(
                "Ranking quality", formatting.score(latest["roc_auc"], decimals=2),
                help_text="ROC AUC: the chance that a customer who left scored higher than one who stayed: 0.5 is a coin "
                "toss, 1 is perfect.",
            )
            display.simple_metric(
                "High-risk customers who left", formatting.percent(latest["high_tier_precision"]),
                help_text="Of the customers flagged high risk, the share who stopped paying within 3 months.",
            )
            display.simple_metric(
                "Leavers flagged high risk", formatting.percent(latest["high_tier_recall"]),
                help_text="Of the customers who stopped paying within 3 months, the share flagged high risk.",
            )
        st.altair_chart(
            charts.trend(
                backtest,
                {"high_tier_churn_rate": "High risk", "medium_tier_churn_rate": "Medium risk",
                 "low_tier_churn_rate": "Low risk"},
                value_format=".0%",
                title="Share of each tier that stopped paying within 3 months",
                zero=True,
                colours=charts.TIER_COLOURS,
            ),
            width="stretch",
        )
