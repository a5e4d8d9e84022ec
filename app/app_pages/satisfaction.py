"""Satisfaction: NPS, CSAT and survey response rate by month."""

import streamlit as st

from lib import campaign_sections, charts, controls, data, display, figures, formatting

context = controls.current()
data.require(context.warehouse, "marts.satisfaction_monthly")
dimension, value, note = context.scope(("segment",))
monthly = data.satisfaction(context.warehouse, dimension, value)
period = figures.in_period(monthly, context.start, context.end)
month, before = context.end, figures.previous_month(context.end)

st.title("Satisfaction")
st.caption(
    f"{context.filter_caption} · month of {formatting.month_label(month)} compared with "
    f"{formatting.month_label(before)}"
    f" · trends over {context.period_label}"
)
if note:
    st.caption(note)

headlines = figures.satisfaction_headlines(monthly, month)
with display.tiles():
    for headline in headlines:
        display.metric(headline, context.currency, compared_with=formatting.month_label(before),
                       trend=period[headline.key])

nps_reference = figures.nps_reference(data.benchmarks(context.warehouse)) if data.has(
    context.warehouse, "reference.churn_benchmarks") else None
left, right = st.columns(2)
with left:
    st.altair_chart(
        charts.trend(
            period, {"nps": "NPS"}, value_format=".0f", title="Net Promoter Score by month",
            reference=None if nps_reference is None else nps_reference.value,
            reference_label=None if nps_reference is None else nps_reference.label,
        ),
        width="stretch",
    )
    if nps_reference is not None:
        st.caption(f"Dashed line: {formatting.markdown_text(nps_reference.label)}, for context, not a target "
                   f"({formatting.markdown_text(nps_reference.source)}).")
with right:
    st.altair_chart(
        charts.trend(period, {"csat": "CSAT", "response_rate": "Response rate"}, value_format=".0%",
                     title="CSAT and response rate"),
        width="stretch",
    )
st.altair_chart(
    charts.stacked_by_month(
        figures.nps_answers_long(period), "answer", "answers", value_format=charts.COUNT_FORMAT,
        title="NPS answers by month: promoters (9–10), passives (7–8), detractors (0–6)",
        colours=charts.NPS_COLOURS,
    ),
    width="stretch",
)

campaign_sections.comment_themes(context, dimension, value)
