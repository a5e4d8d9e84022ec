#!/usr/bin/env bash
# Every test: set up, lint the SQL (sqlfluff, dbt templater), then pytest, which runs the dbt builds with
# their dbt tests and unit tests on the fixtures and on generated sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh postgres spark  # the optional engines too: the engine-parity tests build on each
bash scripts/setup_browser.sh  # Debian's chromium + chromedriver for the dashboard's browser test
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
echo "== sqlfluff lint (dbt templater, DuckDB dialect)"
.venv/bin/sqlfluff lint models analyses tests/dbt
echo "== pytest"
.venv/bin/python -m pytest "$@"
