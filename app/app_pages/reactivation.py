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

with display.tiles():
    display.simple_metric("Came back this month", formatting.count(row["reactivated_customers"]), figure="reactivation_mrr")
    display.simple_metric(
        "Reactivation rate", formatting.percent(row["reactivation_rate"]), figure="reactivation_rate"
    )
    display.simple_metric(
        "MRR won back this month", formatting.money(row["reactivation_mrr"], context.currency), figure="reactivation_mrr"
    )
    display.simple_metric("Former customers", formatting.count(row["former_customers"]),
                          help_text="Customers who paid before, stopped, and have not come back yet.")

st.subheader("Win-back: of the customers who left, how many came back")
win_back = figures.comparable_win_back(period)
if win_back.first is None:
    st.caption("Not known yet for the period: no month of it has the 3 months after it complete.")
else:
    months = (formatting.month_label(win_back.first) if win_back.first == win_back.last
              else f"{formatting.month_label(win_back.first)} – {formatting.month_label(win_back.last)}")
    st.markdown(
        f"Of the **{formatting.count(win_back.churned)} customers who left in {months}**, the share who came back "
        "within 3, 6 and 12 months. All three are measured on these same customers, so a longer window is never "
        "lower; later months are left out because their 12 months (or 6, or 3) are not over yet."
    )
with display.tiles():
    for months_after, share in win_back.shares.items():
        display.simple_metric(
            f"Back within {months_after} months",
            formatting.percent(share),
            help_text=define("win_back") + ("" if share is not None else
                                            f" Not known yet: {months_after} months have not passed."),
        )

left, right = st.columns(2)
with left:
    st.altair_chart(
        charts.trend(
            period,
            {"win_back_3m": "Within 3 months", "win_back_6m": "Within 6 months", "win_back_12m": "Within 12 months"},
            value_format=".1%",
            title="Win-back by month of leaving",
        ),
        width="stretch",
    )
    st.caption("Each line stops at the last month whose window is over: the 12-month line ends 9 months before "
               "the 3-month one.")
with right:
    st.altair_chart(
        charts.trend(period, {"reactivation_rate": "Reactivation rate"}, value_format=".1%",
                     title="Reactivation rate by month"),
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
