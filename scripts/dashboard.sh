#!/usr/bin/env bash
# Starts the executive dashboard on the published warehouse (build it first with scripts/demo.sh).
# Options pass through to `streamlit run`, e.g. `scripts/dashboard.sh --server.port 8502`.
# CHURN_WAREHOUSE_DB names another published file (default: warehouse.duckdb at the repository root)
# or a PostgreSQL database: postgresql://user@host:port/dbname.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
exec .venv/bin/streamlit run app/streamlit_app.py --client.toolbarMode=viewer "$@"
