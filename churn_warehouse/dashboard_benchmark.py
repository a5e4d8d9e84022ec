"""Serve the dashboard, drive it in headless Chromium, and time each page once its data is cached.

    python -m churn_warehouse.dashboard_benchmark --warehouse /path/to/warehouse.duckdb [--browser]
    python -m churn_warehouse.dashboard_benchmark --warehouse postgresql://user@host:port/dbname [--browser]

For each page it runs the app's script in-process (Streamlit's AppTest) once to fill the caches, then
times further renders: the server-side time a page takes once cached. With `--browser` it also serves
the app with `streamlit run` and times, in Debian's headless Chromium, a page load until every chart is
drawn. The server and browser helpers are shared with the dashboard's browser tests.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

PROJECT_DIR = Path(__file__).resolve().parent.parent
APP_SCRIPT = PROJECT_DIR / "app" / "streamlit_app.py"
WAREHOUSE_ENV = "CHURN_WAREHOUSE_DB"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TARGET_SECONDS = 1.0


def is_postgres_url(warehouse: Path | str) -> bool:
    """Whether the dashboard's warehouse setting names a PostgreSQL database rather than a DuckDB file."""
    return str(warehouse).lower().startswith(("postgresql://", "postgres://"))


def warehouse_setting(warehouse: Path | str) -> str:
    """The dashboard's `CHURN_WAREHOUSE_DB` for a DuckDB file (resolved) or a PostgreSQL URL (as it is)."""
    return str(warehouse) if is_postgres_url(warehouse) else str(Path(warehouse).resolve())


@dataclass(frozen=True)
class DashboardPage:
    """A page of the app: its file (for AppTest), its URL path (for a browser) and its title."""

    script: str
    url_path: str
    title: str
    mart: str  # the mart without which the page shows a notice instead of charts


PAGES: tuple[DashboardPage, ...] = (
    DashboardPage("app_pages/overview.py", "", "Overview", "marts.mrr_monthly"),
    DashboardPage("app_pages/mrr_movements.py", "mrr_movements", "MRR movements", "marts.mrr_monthly"),
    DashboardPage("app_pages/cohorts.py", "cohorts", "Cohorts", "marts.cohort_retention"),
    DashboardPage("app_pages/reactivation.py", "reactivation", "Reactivation and win-back", "marts.reactivation_monthly"),
    DashboardPage("app_pages/lifetime_value.py", "lifetime_value", "Lifetime value", "marts.customer_cltv"),
    DashboardPage("app_pages/at_risk.py", "at_risk", "At-risk customers", "marts.customer_health"),
    DashboardPage("app_pages/outlook.py", "outlook", "Outlook", "marts.mrr_forecast"),
    DashboardPage("app_pages/satisfaction.py", "satisfaction", "Satisfaction", "marts.satisfaction_monthly"),
    DashboardPage("app_pages/data_quality.py", "data_quality", "Data quality", "marts.raw_row_accounting"),
)


# ---------------------------------------------------------------- serving the app


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base_url: str, timeout: float = 90.0, process: subprocess.Popen | None = None) -> None:
    """Poll Streamlit's readiness endpoint `/_stcore/health` until it answers `ok`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url}/_stcore/health did not answer ok within {timeout:.0f} s")


@contextmanager
def dashboard_server(warehouse: Path | str, log_path: Path | None = None) -> Iterator[str]:
    """Serve the app with `streamlit run` on a free 127.0.0.1 port, headless; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        WAREHOUSE_ENV: warehouse_setting(warehouse),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--client.toolbarMode=viewer",
    ]
    log_path = log_path or Path(tempfile.mkstemp(prefix="dashboard-", suffix=".log")[1])
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_healthy(base_url, process=process)
            yield base_url
        finally:
            stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """End the server this module started (its own process group), politely first."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


# ---------------------------------------------------------------- driving Chromium


@contextmanager
def chromium(width: int = 1600, height: int = 1000) -> Iterator["WebDriver"]:
    """Debian's headless Chromium through its chromedriver (no browser download), with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            driver.set_page_load_timeout(60)
            yield driver
        finally:
            driver.quit()


_PAGE_STATE_JS = """
// charts in a tab that is not shown have no layout: count the visible ones
const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(c => c.offsetParent !== null);
return {
  titles: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
  running: document.querySelector('[data-testid="stStatusWidgetRunningIcon"]') !== null,
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
  stale: document.querySelectorAll('[data-testid="stElementContainer"][data-stale="true"]').length,
  charts: charts.length,
  drawn: charts.filter(c => {
      const mark = c.querySelector('canvas, svg.marks');
      return mark !== null && mark.getBoundingClientRect().width > 0;
  }).length,
  exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText.slice(0, 500)),
  notices: [...document.querySelectorAll('[data-testid="stAlert"]')].map(e => e.innerText.slice(0, 300)),
  metrics: [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => ({
      label: (m.querySelector('[data-testid="stMetricLabel"]') || {innerText: ''}).innerText.trim(),
      value: (m.querySelector('[data-testid="stMetricValue"]') || {innerText: ''}).innerText.trim(),
  })),
  height: Math.max(
      document.body.scrollHeight,
      ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"]')]
          .map(e => e.scrollHeight)),
};
"""


@dataclass(frozen=True)
class PageState:
    """What a browser shows of a page once it settled."""

    seconds: float
    titles: list[str]
    charts: int
    drawn: int
    exceptions: list[str]
    notices: list[str]
    metrics: list[dict[str, str]]
    height: int


def load_page(driver: "WebDriver", base_url: str, page: DashboardPage, timeout: float = 60.0) -> PageState:
    """Open a page by its URL (a new session) and wait until it settled (see `wait_until_settled`)."""
    started = time.perf_counter()
    driver.get(f"{base_url}/{page.url_path}")
    return wait_until_settled(driver, page, started, timeout)


def click_page(driver: "WebDriver", page: DashboardPage, timeout: float = 60.0) -> PageState:
    """Switch to a page by its link in the sidebar, as a user does (same session), and wait until it settled."""
    from selenium.webdriver.common.by import By

    links = driver.find_elements(By.CSS_SELECTOR, 'a[data-testid="stSidebarNavLink"]')
    wanted = "/" + page.url_path
    link = next(
        (item for item in links if (item.get_attribute("href") or "").rstrip("/").endswith(wanted.rstrip("/"))
         and (page.url_path or not any(other.url_path and (item.get_attribute("href") or "").endswith(
             "/" + other.url_path) for other in PAGES))),
        None,
    )
    if link is None:
        raise LookupError(f"no sidebar link to {page.title!r}")
    started = time.perf_counter()
    link.click()
    return wait_until_settled(driver, page, started, timeout)


def wait_until_settled(driver: "WebDriver", page: DashboardPage, started: float, timeout: float) -> PageState:
    """Wait until the page's title shows, its script finished (no running sign, no element left over from the
    page before), and every visible chart is drawn, for 0.3 s.

    The time returned runs from `started` to the moment the page first reached that state.
    """
    deadline = time.monotonic() + timeout
    settled_since, state = None, {}
    while time.monotonic() < deadline:
        state = driver.execute_script(_PAGE_STATE_JS)
        ready = (
            (page.title in state["titles"] or state["exceptions"])
            and not state["running"]
            and state["skeletons"] == 0
            and state["stale"] == 0
            and state["drawn"] == state["charts"]
        )
        if ready and settled_since is None:
            settled_since = time.perf_counter()
        elif not ready:
            settled_since = None
        if settled_since is not None and time.perf_counter() - settled_since >= 0.3:
            return PageState(seconds=settled_since - started, **{
                key: state[key] for key in ("titles", "charts", "drawn", "exceptions", "notices", "metrics", "height")
            })
        time.sleep(0.02)
    raise TimeoutError(f"page {page.title!r} did not settle within {timeout:.0f} s; last state: {state}")


def screenshot(driver: "WebDriver", state: PageState, path: Path, width: int = 1600) -> Path:
    """Save the whole page (the window is stretched to the page's height) as a PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, max(900, min(state.height + 120, 12000)))
    time.sleep(0.6)  # let charts re-lay out to the new size
    driver.save_screenshot(str(path))
    return path


# ---------------------------------------------------------------- timing


def apptest_render_times(warehouse: Path | str, repeats: int = 5) -> dict[str, list[float]]:
    """Per page: seconds of each render after a first, cache-filling one (Streamlit's AppTest, in-process)."""
    from streamlit.testing.v1 import AppTest

    os.environ[WAREHOUSE_ENV] = warehouse_setting(warehouse)
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=300)
    app.run()
    times: dict[str, list[float]] = {}
    for page in PAGES:
        app.switch_page(page.script)
        app.run()  # fills the caches
        if app.exception:
            raise RuntimeError(f"{page.title}: {app.exception[0].value}")
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            app.run()
            runs.append(time.perf_counter() - started)
        times[page.title] = runs
    return times


def browser_times(warehouse: Path | str, repeats: int = 3) -> dict[str, dict[str, list[float]]]:
    """Per page, in headless Chromium after a first, cache-filling visit: seconds until every chart is drawn,
    when switching to it in the sidebar (`switch`) and when opening its URL in a new session (`open`)."""
    times: dict[str, dict[str, list[float]]] = {page.title: {"switch": [], "open": []} for page in PAGES}
    with dashboard_server(warehouse) as base_url, chromium() as driver:
        for page in PAGES:
            load_page(driver, base_url, page)
        for _ in range(repeats):
            for page in PAGES:
                times[page.title]["open"].append(load_page(driver, base_url, page).seconds)
            load_page(driver, base_url, PAGES[-1])
            for page in PAGES:
                times[page.title]["switch"].append(click_page(driver, page).seconds)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m churn_warehouse.dashboard_benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(PROJECT_DIR / "warehouse.duckdb"),
                        help="published DuckDB file or postgresql:// URL")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time page loads in headless Chromium")
    args = parser.parse_args(argv)
    if not is_postgres_url(args.warehouse) and not Path(args.warehouse).is_file():
        print(f"No warehouse at {args.warehouse}: build one first (scripts/demo.sh).", file=sys.stderr)
        return 1
    server = apptest_render_times(args.warehouse, args.repeats)
    browser = browser_times(args.warehouse, max(1, args.repeats // 2)) if args.browser else {}
    print(f"Dashboard render time once cached, {args.warehouse} (target under {TARGET_SECONDS:.0f} s a page)")
    print("  server: the page's script (queries from cache, layout), in-process; browser: headless Chromium until")
    print("  every chart is drawn, switching page in the sidebar, or opening the page's URL in a new session.")
    header = f"{'page':<28}{'server median':>15}{'server max':>12}"
    print(header + (f"{'browser switch':>16}{'browser open':>14}" if browser else ""))
    slow = []
    for page in PAGES:
        runs = server[page.title]
        line = f"{page.title:<28}{statistics.median(runs):>14.3f}s{max(runs):>11.3f}s"
        worst = max(runs)
        if browser:
            switch = statistics.median(browser[page.title]["switch"])
            line += f"{switch:>15.3f}s{statistics.median(browser[page.title]['open']):>13.3f}s"
            worst = max(worst, switch)
        print(line)
        if worst >= TARGET_SECONDS:
            slow.append(page.title)
    if slow:
        print(f"Over {TARGET_SECONDS:.0f} s: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
