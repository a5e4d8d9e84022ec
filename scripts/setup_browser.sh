#!/usr/bin/env bash
# Installs Debian's headless browser for the dashboard's browser test: chromium and its matching chromedriver.
# Idempotent: does nothing when both are already there. Needs root (apt-get); browser downloads by
# Playwright or Selenium Manager do not work offline, so the test drives these Debian packages.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup_browser: chromium and chromium-driver are missing; run as root: bash scripts/setup_browser.sh" >&2
    exit 1
fi
echo "setup_browser: installing chromium and chromium-driver (Debian packages), about a minute"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
