"""Overview: the headline figures of the last month of the period, their change, trend and context."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting
from lib.definitions import define

context = controls.current()
dimension, value, note = context.scope(("segment", "country", "acquisition_channel", "plan_interval"))
monthly = data.monthly_figures(context.warehouse, dimension, value)
period = figures.in_period(monthly, context.start, context.end)
month, before = context.end, figures.previous_month(context.end)

st.title("Overview")
st.caption(
    f"{context.filter_caption} · month of {formatting.month_label(month)} compared with "
    f"{formatting.month_label(before)} · trends over {context.period_label} · figures in {context.currency_caption}"
)
if note:
    st.caption(note)

headlines = {headline.key: headline for headline in figures.headlines(monthly, month)}
groups = (
    ("How big", ("mrr", "arr", "active_customers")),
    ("What we lose", ("customer_churn_rate", "gross_revenue_churn_rate", "net_revenue_churn_rate")),
    ("How we grow", ("nrr", "quick_ratio", "expansion_share")),
)
for heading, keys in groups:
    st.subheader(heading)
    with display.tiles():
        for key in keys:
            display.metric(headlines[key], context.currency, compared_with=formatting.month_label(before),
                           trend=period[key])

st.subheader("Trends")
left, right = st.columns(2)
with left:
    st.altair_chart(charts.mrr_area(period, context.currency), width="stretch")
with right:
    st.altair_chart(
        charts.trend(
            period,
            {
                "customer_churn_rate": "Customer churn",
                "gross_revenue_churn_rate": "Gross revenue churn",
                "net_revenue_churn_rate": "Net revenue churn",
            },
            value_format=".1%",
            title="Churn rates by month",
        ),
        width="stretch",
    )
left, right = st.columns(2)
with left:
    st.altair_chart(
        charts.trend(period, {"nrr": "NRR", "grr": "GRR"}, value_format=".1%", title="Revenue retention by month"),
        width="stretch",
    )
with right:
    st.altair_chart(
        charts.trend(
            period, {"quick_ratio": "Quick ratio"}, value_format=".2f", title="Quick ratio by month",
            reference=1.0, reference_label="1 = growth equals losses",
        ),
        width="stretch",
    )

st.subheader("Context: published reference points")
st.caption(
    "Figures other companies publish, shown for context, never as targets. They are annual figures; "
    "ours are monthly."
)
if data.has(context.warehouse, "reference.churn_benchmarks"):
    benchmarks = data.benchmarks(context.warehouse)
    churn_rate = headlines["customer_churn_rate"].value
    annual = figures.annual_equivalent(churn_rate)
    left, right = st.columns(2)
    with left:
        st.markdown("**Customer churn**")
        if annual is not None:
            st.markdown(
                f"Ours: {formatting.percent(churn_rate)} a month. If that held for a year, about "
                f"**{formatting.percent(annual)}** of customers would leave in a year "
                "(1 − (1 − monthly rate)¹²)."
            )
        for point in figures.benchmark_points(benchmarks, "customer_churn_rate"):
            display.reference_point(point)
    with right:
        st.markdown("**Expansion share of new MRR**")
        st.markdown(
            f"Ours in {formatting.month_label(month)}: "
            f"**{formatting.percent(headlines['expansion_share'].value)}**. {define('expansion_share')}"
        )
        for point in figures.benchmark_points(benchmarks, "expansion_share"):
            display.reference_point(point)
else:
    st.caption("The seed `reference.churn_benchmarks` is not in the published warehouse.")
