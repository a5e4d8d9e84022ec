"""Outlook: committed MRR, the 12-month forecast with its band and its measured error, and the renewals ahead with
their risk; a CSV of the next 90 days' renewals."""

from functools import partial

import streamlit as st

from lib import charts, controls, data, display, formatting, outlook

context = controls.current()
data.require(context.warehouse, "marts.mrr_forecast", "marts.committed_mrr_monthly", "marts.mrr_forecast_backtest",
              "marts.renewal_calendar", "marts.upcoming_renewals")
months = data.mrr_outlook(context.warehouse)

st.title("Outlook")
st.caption(f"the next 12 months from the end of the last complete month · figures in {context.currency_caption}")
if months.empty:
    st.info("No forecast yet: the warehouse has no complete month with paying customers.")
    st.stop()

now, ahead = months.iloc[0], months.iloc[-1]
with display.tiles():
    display.simple_metric(
        f"MRR at the end of {formatting.month_label(now['month'])}",
        formatting.money(now["forecast_mrr"], context.currency),
        help_text="Month 0: the MRR of the last complete month, where the forecast and committed MRR start.",
    )
    display.simple_metric(
        f"Committed MRR in {formatting.month_label(ahead['month'])}",
        formatting.money(ahead["committed_mrr"], context.currency),
        help_text="Today's MRR less the cancellations already scheduled to take effect by then.",
    )
    display.simple_metric(
        f"Forecast MRR in {formatting.month_label(ahead['month'])}",
        formatting.money(ahead["forecast_mrr"], context.currency),
        help_text=(f"Between {formatting.money(ahead['low_mrr'], context.currency)} and "
                   f"{formatting.money(ahead['high_mrr'], context.currency)} (the band). Existing customers times "
                   "their chance of staying, plus new business at the last 6 months' pace."),
    )

st.altair_chart(
    charts.trend(
        months,
        {"forecast_mrr": "Forecast", "low_mrr": "Low", "high_mrr": "High", "committed_mrr": "Committed"},
        value_format=charts.money_axis_format(context.currency),
        title="MRR ahead: forecast with its band, and committed MRR",
        colours=["#1e88e5", "#90caf9", "#90caf9", "#43a047"],
    ),
    width="stretch",
)

st.subheader("How wrong were our past forecasts?")
backtest = data.forecast_backtest(context.warehouse)
for horizon in (6, 12):
    st.markdown(formatting.markdown_text(outlook.backtest_sentence(backtest, horizon)))

st.subheader("Renewals ahead and their risk")
calendar = data.renewal_calendar(context.warehouse)
if calendar.empty:
    st.caption("No quarterly, semi-annual or annual customer renews in the next 12 months.")
else:
    st.altair_chart(
        charts.trend(
            outlook.renewal_months(calendar),
            {"arr_renewing": "ARR renewing", "risk_weighted_arr": "ARR at risk (weighted by risk score)"},
            value_format=charts.money_axis_format(context.currency),
            title="ARR renewing each month",
            zero=True,
        ),
        width="stretch",
    )
renewals = data.upcoming_renewals(context.warehouse)
st.markdown(
    f"**{formatting.count(len(renewals))} renewals in the next 90 days** with "
    f"**{formatting.markdown_text(formatting.money(renewals['arr_renewing'].sum(), context.currency))}** of ARR, "
    "largest first"
)
money_column = st.column_config.NumberColumn(format="dollar" if context.currency == "USD" else "localized")
display.plain_table(
    outlook.renewals_view(renewals),
    **{
        "Renews on": st.column_config.DateColumn(format="D MMM YYYY"),
        "ARR renewing": money_column,
        "ARR at risk": money_column,
        "Risk score": st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0),
        "Why": st.column_config.TextColumn(width="large"),
    },
)
st.download_button(
    "Download the next 90 days' renewals as CSV",
    data=partial(data.upcoming_renewals_csv, context.warehouse),
    file_name="upcoming_renewals.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    key="renewals_download",
)
