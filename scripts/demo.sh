#!/usr/bin/env bash
# The main job on the embedded default: set up, generate the sample raw data, dbt build, publish, summarise.
# Options pass through, e.g. `scripts/demo.sh --customers 100000`; see `scripts/demo.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m churn_warehouse demo "$@"
