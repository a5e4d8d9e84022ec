"""Churn and retention dashboard: the router. Run with `scripts/dashboard.sh` (or
`streamlit run app/streamlit_app.py --server.address 127.0.0.1`: without that option it listens on every interface).

It draws the global controls, then runs the chosen page. Every figure comes from the published warehouse
(`CHURN_WAREHOUSE_DB`: a DuckDB file, default `warehouse.duckdb` at the repository root, or a
`postgresql://` URL), read-only.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:  # `streamlit run` adds it; AppTest and other runners may not
    sys.path.insert(0, str(APP_DIR))

import streamlit as st  # noqa: E402

from lib import controls, notices, warehouse  # noqa: E402
from lib.data import MartMissing  # noqa: E402

st.set_page_config(page_title="Churn and retention", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/mrr_movements.py", title="MRR movements", icon=":material/waterfall_chart:"),
    st.Page("app_pages/cohorts.py", title="Cohorts", icon=":material/grid_on:"),
    st.Page("app_pages/reactivation.py", title="Reactivation and win-back", icon=":material/replay:"),
    st.Page("app_pages/lifetime_value.py", title="Lifetime value", icon=":material/savings:"),
    st.Page("app_pages/at_risk.py", title="At-risk customers", icon=":material/warning:"),
    st.Page("app_pages/outlook.py", title="Outlook", icon=":material/trending_up:"),
    st.Page("app_pages/satisfaction.py", title="Satisfaction", icon=":material/sentiment_satisfied:"),
    st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/fact_check:"),
]

page = st.navigation(PAGES)

try:
    published = warehouse.identify()
    controls.sidebar(published)
except warehouse.WarehouseHeld as problem:
    notices.warehouse_held(str(problem))
except warehouse.WarehouseUnavailable as problem:
    notices.no_warehouse(str(problem))
except controls.NoCompleteMonth:
    notices.no_complete_month()
except MartMissing as missing:
    notices.no_warehouse(
        f"The published warehouse lacks {', '.join(missing.marts)}: it was not built by this project, or "
        "its build did not finish."
    )
else:
    try:
        page.run()
    except MartMissing as missing:
        notices.marts_missing(page.title, missing.marts)
    except warehouse.WarehouseHeld as problem:
        notices.warehouse_held(str(problem))
    except warehouse.WarehouseUnavailable as problem:
        notices.no_warehouse(str(problem))
