#!/usr/bin/env bash
# Creates .venv with the pinned dependencies and the package itself; does nothing when they are already there.
# Optional engines: `scripts/setup.sh postgres spark` adds requirements-postgres.txt and requirements-spark.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
files=(requirements.txt)
for extra in "$@"; do
    [ -f "requirements-$extra.txt" ] || { echo "setup: no requirements-$extra.txt" >&2; exit 2; }
    files+=("requirements-$extra.txt")
done
stamp=.venv/.requirements.sha256
wanted=$(cat "${files[@]}" pyproject.toml | sha256sum | cut -d' ' -f1)

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing pinned dependencies (${files[*]}), about a minute"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${files[@]/#/-r}"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
    .venv/bin/python -m pip check
    echo "$wanted" > "$stamp"
fi
