"""Data quality: when the marts were built, the validation runs, what the raw checks set aside, Data Docs."""

import streamlit as st

from lib import charts, controls, data, display, figures, formatting, quality

context = controls.current()
data.require(context.warehouse, "marts.build_info", "marts.raw_row_accounting")
info = data.build_info(context.warehouse)

st.title("Data quality")
st.caption("Where these figures come from and what the checks found. Customer filters do not apply here.")

accounting = data.raw_row_accounting(context.warehouse)
tables = figures.rows_per_table(accounting)
with display.tiles():
    display.simple_metric("Figures built", f"{info['built_at']:%d %b %Y}",
                          help_text=f"When the build that produced the figures shown started: "
                          f"{info['built_at']:%d %b %Y %H:%M} UTC.")
    display.simple_metric("Data as of", f"{info['as_of_date']:%d %b %Y}",
                          help_text="Nothing dated after this day is read by any figure.")
    display.simple_metric("Raw rows read", formatting.count(tables["table_raw_rows"].sum()),
                          help_text="Rows read from the raw tables of this build.")
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
    st.markdown(
        "**Data Docs**, the full validation report, are web pages saved on the machine that ran the build "
        f"({formatting.markdown_code(runs.data_docs.parent)}). A browser does not open a saved file from a page "
        "it was served, so open them on that machine with:"
    )
    st.code(quality.open_data_docs_command(runs.data_docs), language="bash", wrap_lines=True)
else:
    st.caption("No Data Docs yet: they are written by the validation step of the build (`scripts/demo.sh`).")

st.subheader("Rows set aside by the raw checks")
quarantine = figures.quarantine_counts(accounting)
if quarantine.empty:
    st.success("No raw row was quarantined in this build.", icon=":material/check_circle:")
else:
    st.altair_chart(
        charts.bars(
            figures.readable_quarantine(quarantine), "table_and_reason", "row_count", value_format=charts.COUNT_FORMAT,
            title="Quarantined rows per table and reason", colour="#fb8c00",
        ),
        width="stretch",
    )
    display.plain_table(figures.quarantine_table(quarantine))
st.markdown("**Every raw row accounted for**")
display.plain_table(
    tables.assign(table_name=tables["table_name"].map(formatting.category)).rename(columns={"table_name": "Table", "table_raw_rows": "Raw rows", "staged": "Staged",
                           "quarantined": "Quarantined", "collapsed_duplicate": "Exact duplicates collapsed"}),
)
