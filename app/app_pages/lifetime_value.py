"""Lifetime value: the simple CLTV trend, the predicted CLTV per segment, the retention model behind it and its checks."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting
from lib.definitions import define

context = controls.current()
data.require(context.warehouse, "marts.cltv_monthly", "marts.customer_cltv", "marts.retention_curves",
             "marts.cltv_fit_quality")
dimension, value, note = context.scope(("segment",))
simple = data.cltv_monthly(context.warehouse)
chosen = figures.in_period(figures.of_dimension(simple, dimension, value), context.start, context.end)
row = figures.row_of_month(chosen, context.end)

st.title("Lifetime value")
st.caption(f"{context.filter_caption} · month of {formatting.month_label(context.end)} · figures in {context.currency_caption}")
if note:
    st.caption(note)

st.subheader("Simple lifetime value")
with display.tiles():
    display.simple_metric(
        "Lifetime value per customer",
        formatting.money(None if row is None else row["cltv_simple"], context.currency),
        figure="cltv_simple",
    )
    display.simple_metric("ARPA", formatting.money(None if row is None else row["arpa"], context.currency, decimals=2),
                          figure="arpa")
    display.simple_metric(
        "Monthly churn, 3-month average",
        formatting.percent(None if row is None else row["avg_customer_churn_rate"]),
        help_text="The mean customer churn rate of the last 3 months, the denominator of the simple lifetime value.",
    )
left, right = st.columns((3, 2))
with left:
    st.altair_chart(
        charts.trend(
            chosen, {"cltv_simple": "Simple lifetime value"}, value_format=charts.money_axis_format(context.currency),
            title="Simple lifetime value by month",
        ),
        width="stretch",
    )
with right:
    segments = figures.simple_cltv_by_segment(simple, context.end)
    st.altair_chart(
        charts.bars(segments, "segment", "cltv_simple", value_format=charts.money_axis_format(context.currency),
                    title=f"By segment, {formatting.month_label(context.end)}"),
        width="stretch",
    )
if row is not None and not formatting.is_missing(row["gross_margin"]):
    st.caption(f"Gross margin assumed: {formatting.percent(row['gross_margin'])} (a build setting). "
               "A month is blank when one of its last 3 churn rates is unknown or churn was 0.")

st.subheader("Predicted lifetime value of today's customers")
totals = data.cltv_totals(context.warehouse)
spread = data.predicted_cltv_by_segment(context.warehouse)
with display.tiles():
    display.simple_metric("Predicted value of paying customers", formatting.money(totals["total_cltv"], context.currency),
                          figure="cltv_predicted")
    display.simple_metric("Per paying customer, on average", formatting.money(totals["mean_cltv"], context.currency),
                          figure="cltv_predicted")
    display.simple_metric("Paying customers", formatting.count(totals["paying_customers"]),
                          figure="active_customers")
if not spread.empty:
    st.altair_chart(
        charts.ranges(spread.assign(segment=spread["segment"].map(formatting.category)), context.currency,
                      "Predicted lifetime value per paying customer, by segment"),
        width="stretch",
    )
    st.caption("Thick bar: the middle half of the segment's customers; thin line: 10th to 90th percentile; "
               "white tick: the median.")
coverage = figures.mrr_by_model_sentence(data.cltv_mrr_by_fit_source(context.warehouse))
if coverage:
    st.caption(coverage)  # built from numbers and fixed words only

st.subheader("Retention model against what happened")
curves = data.retention_curves(context.warehouse)
segments = figures.curve_segments(curves)
default = segments.index(value) if dimension == "segment" and value in segments else 0
left, right = st.columns(2)
with left:
    segment = st.selectbox("Customers", segments, index=default, format_func=figures.segment_label,
                           key="curve_segment")
with right:
    interval = st.selectbox("Billing interval", figures.curve_intervals(curves, segment),
                            format_func=lambda k: f"{figures.interval_name(k).capitalize()} plans", key="curve_interval")
curve = figures.of_segment(curves, segment, interval)
if not curve.empty:
    st.altair_chart(
        charts.survival(figures.survival_long(curve),
                        f"Share never churned, by renewal: {figures.group_label(segment, interval)}"),
        width="stretch",
    )
st.caption(f"{define('observed_survival')} {define('fitted_survival')}")
fit = figures.fit_summary(curve)
if fit:
    st.caption(fit)  # built from numbers and fixed words only

st.subheader("How far the predictions can be trusted")
quality = data.cltv_fit_quality(context.warehouse)
for sentence in figures.holdout_sentences(quality):
    st.caption(sentence)  # built from numbers and fixed words only
st.caption(
    "Each group's model is checked against what happened: it is refitted on the data as they stood a year ago, "
    "and its expected number of customers still with us after each renewal since is compared with the actual "
    "number. \"Churn falls with tenure\" says whether customers who have stayed longer are clearly less likely "
    "to leave than a flat churn rate would say."
)
display.plain_table(  # data text (group names, reasons) only in table cells, which show plain text
    figures.fit_quality_table(quality),
    **{
        "Year-ago check: average miss (customers)": st.column_config.NumberColumn(format="%.1f"),
    },
)
