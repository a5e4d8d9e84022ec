#!/usr/bin/env bash
# Every test: set up, lint the SQL (sqlfluff, dbt templater), then pytest, which runs the dbt builds with
# their dbt data tests on the fixtures and on generated sample data, and every dbt unit test once per engine
# (the hand-worked fixture's build on DuckDB, the parity builds on PostgreSQL and Spark). Modules that only
# read a build share it (tests/python/conftest.py: shared_build, sample_warehouse, hand_worked_warehouse).
#
# pytest runs as three processes side by side, each on its own share of the modules: most of a test's time is
# dbt's single-threaded Python, and the tests also wait (on PostgreSQL, on Spark's JVM, on the browser), so three
# processes keep both cores busier than two (measured: two processes left about a third of the machine idle).
# The engine-parity modules (PostgreSQL, Spark, the Stripe route's, and the determinism check that reuses their
# DuckDB build) stay in one process, as they share one PostgreSQL server and one Spark build; test_bad_input.py
# joins them, as it reads their DuckDB build of the bad input, and so do the modules that read their DuckDB build
# of the parity sample (docs, semantic layer, campaigns, outlook). The second process takes modules that build
# everything they read themselves; the third takes the rest, among them every module that reads the shared
# sample and hand-worked builds. Arguments are passed to every process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh postgres spark  # the optional engines too: the engine-parity tests build on each
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
# The lint (two processes) runs while apt installs the browser, which waits mostly on the network and the disk.
lint_log=$(mktemp)
.venv/bin/sqlfluff lint --processes 2 models analyses tests/dbt > "$lint_log" 2>&1 &
lint_pid=$!
bash scripts/setup_browser.sh  # Debian's chromium + chromedriver for the dashboard's browser test
echo "== sqlfluff lint (dbt templater, DuckDB dialect)"
lint_status=0
wait "$lint_pid" || lint_status=$?
cat "$lint_log"
[ "$lint_status" -eq 0 ] || exit "$lint_status"

parity=(tests/python/test_engine_parity.py tests/python/test_dashboard_postgres.py tests/python/test_spark_parity.py
        tests/python/test_determinism.py tests/python/test_stripe_equivalence_postgres.py tests/python/test_bad_input.py
        tests/python/test_dbt_docs.py tests/python/test_semantic_layer.py tests/python/test_campaigns.py
        tests/python/test_dashboard_campaigns.py tests/python/test_dashboard_outlook.py)
isolated=(tests/python/test_dashboard_browser.py tests/python/test_quality_catalogue.py tests/python/test_incremental.py
          tests/python/test_publish_reliability.py tests/python/test_security.py)
reports=$(mktemp -d)
echo "== pytest, three processes (the other two's output follows the first's)"
.venv/bin/python -m pytest --junitxml="$reports/parity.xml" "${parity[@]}" "$@" > "$reports/parity.log" 2>&1 &
parity_pid=$!
.venv/bin/python -m pytest --junitxml="$reports/isolated.xml" "${isolated[@]}" "$@" > "$reports/isolated.log" 2>&1 &
isolated_pid=$!
status=0
.venv/bin/python -m pytest --junitxml="$reports/rest.xml" "${parity[@]/#/--ignore=}" "${isolated[@]/#/--ignore=}" "$@" \
    || status=$?
wait "$parity_pid" || status=$?
wait "$isolated_pid" || status=$?
echo "== pytest, second process: ${parity[*]}"
cat "$reports/parity.log"
echo "== pytest, third process: ${isolated[*]}"
cat "$reports/isolated.log"
.venv/bin/python scripts/junit_totals.py "$reports/rest.xml" "$reports/parity.xml" "$reports/isolated.xml"
exit "$status"
