"""Data quality: when the marts were built, the validation runs, what the raw checks set aside, Data Docs."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting, quality

context = controls.current()
data.require(context.warehouse, "marts.build_info", "marts.raw_row_accounting")
info = data.build_info(context.warehouse)

st.title("Data quality")
st.caption("Where these figures come from and what the checks found. Customer filters do not apply here.")

first, second, third, fourth = st.columns(4)
with first:
    display.simple_metric("Marts built", f"{info['built_at']:%d %b %Y}",
                          help_text=f"When the build that produced the published marts started: "
                          f"{info['built_at']:%d %b %Y %H:%M} UTC.")
with second:
    display.simple_metric("Data as of", f"{info['as_of_date']:%d %b %Y}",
                          help_text="Nothing dated after this day is read by any figure.")
accounting = data.raw_row_accounting(context.warehouse)
tables = figures.rows_per_table(accounting)
with third:
    display.simple_metric("Raw rows read", formatting.count(tables["table_raw_rows"].sum()),
                          help_text="Rows read from the raw tables of this build.")
with fourth:
    display.simple_metric("Rows quarantined", formatting.count(tables["quarantined"].sum()), figure="quarantined_rows")
with st.expander("Build details"):
    display.plain_table(figures.build_details(info))

st.subheader("Validation runs")
runs = quality.validation_runs(context.warehouse)
if runs.steps is None:
    st.info(quality.no_runs_message(context.warehouse), icon=":material/hourglass_top:")
else:
    st.caption(f"From {runs.source}.")
    display.plain_table(quality.run_summary(runs.steps))
    findings = quality.latest_findings(runs.steps)
    if not findings.empty:
        st.markdown("**What the latest run's checks found**")
        display.plain_table(findings)
if runs.data_docs is not None:
    st.markdown(f"**Data Docs**, the full validation report: [open]({runs.data_docs.as_uri()})")
    st.caption(
        f"A local file, {formatting.markdown_code(runs.data_docs)}: if your browser does not open the link from "
        "this page, open the path directly."
    )
else:
    st.caption("No Data Docs yet: they are written by the validation step of the build (`scripts/demo.sh`).")

st.subheader("Rows set aside by the raw checks")
quarantine = figures.quarantine_counts(accounting)
if quarantine.empty:
    st.success("No raw row was quarantined in this build.", icon=":material/check_circle:")
else:
    left, right = st.columns(2)
    with left:
        st.altair_chart(
            charts.bars(
                figures.readable_quarantine(quarantine), "table_and_reason", "row_count", value_format=charts.COUNT_FORMAT,
                title="Quarantined rows per table and reason", colour="#fb8c00",
            ),
            width="stretch",
        )
    with right:
        display.plain_table(
            figures.quarantine_table(quarantine),
            **{"Share of the table": st.column_config.NumberColumn(format="%.3f%%")},
        )
st.markdown("**Every raw row accounted for**")
display.plain_table(
    tables.rename(columns={"table_name": "Table", "table_raw_rows": "Raw rows", "staged": "Staged",
                           "quarantined": "Quarantined", "collapsed_duplicate": "Exact duplicates collapsed"}),
)
