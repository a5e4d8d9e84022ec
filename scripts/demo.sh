#!/usr/bin/env bash
# The main job on the embedded default: set up, generate the sample raw data, dbt build, publish, summarise.
# `--billing-source stripe` writes the sample billing in the Stripe layout (data/raw_stripe/stripe/) and reads it so.
# The sample ends today (UTC), at the start of the current hour, unless `--end-date YYYY-MM-DD` says otherwise; dbt vars go in `--vars '{gross_margin: 0.75}'`.
# Options pass through, e.g. `scripts/demo.sh --customers 100000`; see `scripts/demo.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m churn_warehouse demo "$@"
