"""MRR movements: what was gained and lost each month, a waterfall for one month, and why customers left."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting
from lib.definitions import define

context = controls.current()
dimension, value, note = context.scope(("segment", "country", "acquisition_channel", "plan_interval"))
monthly = data.monthly_figures(context.warehouse, dimension, value)
period = figures.in_period(monthly, context.start, context.end)

st.title("MRR movements")
st.caption(f"{context.filter_caption} · {context.period_label} · figures in {context.currency_caption}")
if note:
    st.caption(note)

st.altair_chart(charts.stacked_movements(figures.movements_long(period), context.currency), width="stretch")
with st.expander("What each movement means"):
    for column in ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churn_mrr", "fx_adjustment_mrr"):
        st.markdown(f"- {define(column)}")

st.subheader("One month, step by step")
choices = [month for month in context.months if context.start <= month <= context.end]
month = st.selectbox(
    "Month",
    list(reversed(choices)),
    format_func=formatting.month_label,
    key="waterfall_month",
)
row = figures.row_of_month(monthly, month)
steps = figures.waterfall(row)
summary = figures.month_summary(row)
with display.tiles():
    display.simple_metric("MRR gained", formatting.money(summary["gained"], context.currency),
                          help_text="New + expansion + reactivation MRR this month.")
    display.simple_metric("MRR lost", formatting.money(summary["lost"], context.currency),
                          help_text="Contraction + churned MRR this month.")
    display.simple_metric("Exchange-rate effect", formatting.money(summary["fx"], context.currency, signed=True),
                          figure="fx_adjustment_mrr")
    display.simple_metric(
        "Net change in MRR",
        formatting.money(summary["net_change"], context.currency, signed=True),
        help_text="This month's MRR minus last month's: gained − lost + exchange-rate effect.",
    )
st.caption(
    f"MRR gained {formatting.money(summary['gained'], context.currency)} − lost "
    f"{formatting.money(summary['lost'], context.currency)} + exchange-rate effect "
    f"{formatting.money(summary['fx'], context.currency, signed=True)} = net change "
    f"{formatting.money(summary['net_change'], context.currency, signed=True)}: customers paying in another "
    "currency are worth more or less in ours when exchange rates move, without paying more or less."
)
st.altair_chart(
    charts.waterfall(
        steps,
        context.currency,
        f"MRR from {formatting.month_label(figures.previous_month(month))} to {formatting.month_label(month)}",
        figures.waterfall_axis(steps),
    ),
    width="stretch",
)
st.caption("The MRR axis does not start at zero, so that the month's movements are visible.")
with display.tiles():
    display.simple_metric("New customers", formatting.count(row["new_customers"]), figure="new_mrr")
    display.simple_metric("Customers lost", formatting.count(row["churned_customers"]), figure="customer_churn_rate")
    display.simple_metric("Came back", formatting.count(row["reactivated_customers"]), figure="reactivation_mrr")

movers = figures.split_movers(data.largest_movements(context.warehouse, month, dimension, value))
money_column = st.column_config.NumberColumn(format="dollar" if context.currency == "USD" else "localized")
for heading, frame in (("Largest gains", movers.gains), ("Largest losses", movers.losses)):
    st.markdown(f"**{heading} in {formatting.month_label(month)}**")
    display.plain_table(frame, **{"MRR before": money_column, "MRR now": money_column, "Change": money_column})

st.subheader("Why customers left")
if dimension != "all":
    st.caption("Churn reasons are kept for all customers only; this section ignores the customer filter.")
if data.has(context.warehouse, "marts.churn_reasons_monthly"):
    reasons = figures.readable_reasons(figures.in_period(data.churn_reasons(context.warehouse), context.start, context.end))
    st.altair_chart(
        charts.stacked_by_month(reasons, "churn_reason", "churned_customers", value_format=charts.COUNT_FORMAT,
                                title="Churned customers by reason"),
        width="stretch",
    )
    totals = figures.totals_by(reasons, "churn_reason", "churn_mrr")
    st.altair_chart(
        charts.bars(totals, "churn_reason", "churn_mrr", value_format=charts.money_axis_format(context.currency),
                    title=f"Churned MRR by reason over {context.period_label}", colour="#e53935"),
        width="stretch",
    )
    st.caption(figures.REASONS_NOTE)
else:
    st.caption("Churn reasons are not in the published warehouse yet: a build of this version adds them.")
