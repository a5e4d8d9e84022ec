"""Reactivation and win-back: former customers who came back, and how many churned customers return."""

import streamlit as st

from lib import campaign_sections, charts, controls, data, display, figures, formatting
from lib.definitions import define

context = controls.current()
data.require(context.warehouse, "marts.reactivation_monthly")
_, _, note = context.scope(())
monthly = data.reactivation(context.warehouse)
period = figures.in_period(monthly, context.start, context.end)
month = context.end
row = figures.row_of_month(monthly, month)

st.title("Reactivation and win-back")
st.caption(f"All customers · month of {formatting.month_label(month)} · trends over {context.period_label}")
if note:
    st.caption(note)

first, second, third, fourth = st.columns(4)
with first:
    display.simple_metric("Came back this month", formatting.count(row["reactivated_customers"]), figure="reactivation_mrr")
with second:
    display.simple_metric(
        "Reactivation rate", formatting.percent(row["reactivation_rate"]), figure="reactivation_rate"
    )
with third:
    display.simple_metric(
        "MRR won back this month", formatting.money(row["reactivation_mrr"], context.currency), figure="reactivation_mrr"
    )
with fourth:
    display.simple_metric("Former customers", formatting.count(row["former_customers"]),
                          help_text="Customers who paid before, stopped, and have not come back yet.")

st.subheader("Win-back: of the customers who left in a month, how many came back")
columns = st.columns(3)
for column, (key, months) in zip(columns, (("win_back_3m", 3), ("win_back_6m", 6), ("win_back_12m", 12))):
    known_month, share = figures.latest_known(period, key)
    with column:
        display.simple_metric(
            f"Back within {months} months",
            formatting.percent(share, decimals=1),
            help_text=define("win_back")
            + (f" Latest known: customers who left in {formatting.month_label(known_month)}." if known_month else ""),
        )
        if known_month:
            st.caption(f"Of those who left in {formatting.month_label(known_month)}")
        else:
            st.caption(f"Not known yet for the period: the {months} months after it are not complete")

left, right = st.columns(2)
with left:
    st.altair_chart(
        charts.trend(
            period,
            {"win_back_3m": "Within 3 months", "win_back_6m": "Within 6 months", "win_back_12m": "Within 12 months"},
            value_format=".1%",
            title="Share of each month's churned customers who came back",
        ),
        width="stretch",
    )
with right:
    st.altair_chart(
        charts.trend(period, {"reactivation_rate": "Reactivation rate"}, value_format=".2%",
                     title="Former customers coming back each month"),
        width="stretch",
    )
st.altair_chart(
    charts.trend(
        period,
        {"churned_customers": "Left", "reactivated_customers": "Came back"},
        value_format=charts.COUNT_FORMAT,
        title="Customers who left and who came back, by month",
    ),
    width="stretch",
)

campaign_sections.win_back_campaigns(context)
