"""Cohorts: how long customers and their revenue stay, by the month they first paid."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting
from lib.definitions import define

context = controls.current()
data.require(context.warehouse, "marts.cohort_retention")
dimension, value, note = context.scope(("segment", "country", "acquisition_channel", "plan_interval"))
cohorts = figures.cohorts_in_period(data.cohort_retention(context.warehouse, dimension, value), context.start, context.end)

st.title("Cohorts")
st.caption(
    f"{context.filter_caption} · customers who first paid between {context.period_label}, followed up to "
    f"{formatting.month_label(context.months[-1])}"
)
if note:
    st.caption(note)

if cohorts.empty:
    st.info("No customer of this group started paying in the chosen period.")
    st.stop()

average = figures.average_retention_by_age(cohorts)
at_twelve = figures.retention_at_age(average, 12)
with display.tiles():
    display.simple_metric("Customers in these cohorts", formatting.count(figures.cohort_sizes(cohorts).sum()))
    display.simple_metric(
        "Still paying after 12 months",
        formatting.percent(at_twelve["logo_retention"]),
        help_text=define("logo_retention") + " Averaged over the cohorts that reached 12 months, weighted by size.",
    )
    display.simple_metric(
        "Revenue kept after 12 months",
        formatting.percent(at_twelve["revenue_retention"]),
        help_text=define("revenue_retention") + " Averaged over the cohorts that reached 12 months, weighted by MRR.",
    )

logo, revenue = st.tabs(["Customers (logo retention)", "Revenue (revenue retention)"])
with logo:
    st.altair_chart(
        charts.heatmap(cohorts, "logo_retention", title="Share of each cohort's customers still paying",
                       value_title="Logo retention", domain=figures.colour_range(cohorts["logo_retention"])),
        width="stretch",
    )
    st.caption(define("logo_retention"))
with revenue:
    st.altair_chart(
        charts.heatmap(cohorts, "revenue_retention", title="Each cohort's MRR against its first month's MRR",
                       value_title="Revenue retention", domain=figures.colour_range(cohorts["revenue_retention"])),
        width="stretch",
    )
    st.caption(define("revenue_retention"))

st.altair_chart(charts.retention_by_age(average), width="stretch")
