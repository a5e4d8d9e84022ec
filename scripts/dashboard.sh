#!/usr/bin/env bash
# Starts the executive dashboard on the published warehouse (build it first with scripts/demo.sh).
# Options pass through to `streamlit run`, e.g. `scripts/dashboard.sh --server.port 8502`.
# CHURN_WAREHOUSE_DB names another published file (default: warehouse.duckdb at the repository root)
# or a PostgreSQL database: postgresql://user@host:port/dbname.
# It listens on 127.0.0.1 only: the dashboard shows customer-level data and has no login of its own.
# CHURN_WAREHOUSE_DASHBOARD_ADDRESS=0.0.0.0 (or one interface's address) listens there instead; put a reverse
# proxy with authentication in front first (README, "Sharing the dashboard safely").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
address=${CHURN_WAREHOUSE_DASHBOARD_ADDRESS:-127.0.0.1}
if [ "$address" != 127.0.0.1 ] && [ "$address" != localhost ] && [ "$address" != ::1 ]; then
    echo "dashboard: listening on $address, not only on this machine. The dashboard has no authentication of" \
         "its own and shows customer-level data: anyone who can reach this address sees it, unless a reverse" \
         "proxy with authentication stands in front (README, \"Sharing the dashboard safely\")." >&2
fi
exec .venv/bin/streamlit run app/streamlit_app.py --client.toolbarMode=viewer --server.address "$address" "$@"
