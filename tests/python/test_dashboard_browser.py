"""The dashboard served by `streamlit run` and loaded in a real headless Chromium (Debian's, via chromedriver).

Each page loads, draws its charts and shows no error at a window 1400 and 1024 px wide, with no metric label or
figure cut and no chart text cut, run into another or out of its chart; a screenshot of each page at each width
lands in build/screenshots/ (e.g. overview-1400.png).
Then a build runs while the app is serving: the app keeps answering with the last published figures during
the build and shows the new ones once the build is published, without a restart.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from churn_warehouse.build import build_and_publish
from churn_warehouse.dashboard_benchmark import PAGES, chromium, dashboard_server, load_page, screenshot
from churn_warehouse.generator import generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
END_DATE = date(2025, 6, 20)


WIDTHS = (1400, 1024)
# What a reader would see cut or garbled, as the DOM tells it: a metric's label, figure or change wider than its
# box (Streamlit ends it with an ellipsis), chart text Vega shortened with "…", axis or legend labels that run
# out of the chart, and labels of one axis that overlap. Charts are drawn as SVG (lib/charts.py), so their text
# is in the DOM.
_LAYOUT_PROBLEMS_JS = """
const problems = [];
const visible = e => e.offsetParent !== null;
const cut = e => e.scrollWidth > e.clientWidth + 1;
for (const metric of [...document.querySelectorAll('[data-testid="stMetric"]')].filter(visible)) {
  for (const part of ['stMetricLabel', 'stMetricValue', 'stMetricDelta']) {
    const box = metric.querySelector(`[data-testid="${part}"]`);
    if (box && [box, ...box.querySelectorAll('*')].some(cut)) {
      problems.push(`${part} cut: ${box.innerText.trim()}`);
    }
  }
}
const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
for (const chart of [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(visible)) {
  const svg = chart.querySelector('svg.marks');
  if (!svg) { problems.push('chart not drawn as SVG'); continue; }
  const frame = chart.getBoundingClientRect();
  const title = (svg.querySelector('.role-title-text') || {textContent: '?'}).textContent;
  for (const text of svg.querySelectorAll('text')) {
    if (text.getAttribute('opacity') === '0' || !text.textContent) continue;
    const where = text.closest('[class*="role-"]');
    const role = where ? where.getAttribute('class') : 'text';
    if (text.textContent.endsWith('…')) problems.push(`${title}: ${role} cut: ${text.textContent}`);
    const box = text.getBoundingClientRect();
    if (/role-(legend|axis)-label/.test(role) && (box.right > frame.right + 4 || box.left < frame.left - 4)) {
      problems.push(`${title}: ${role} runs out of the chart: ${text.textContent}`);
    }
  }
  for (const axis of svg.querySelectorAll('.role-axis')) {
    const labels = [...axis.querySelectorAll('.role-axis-label text')]
      .filter(t => t.getAttribute('opacity') !== '0' && t.textContent)
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}));
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      if (overlap(labels[i].box, labels[j].box)) problems.push(`${title}: axis labels run into each other: ${labels[i].text} | ${labels[j].text}`);
    }
  }
}
return problems;
"""


_PAGE_HEIGHT_JS = """
return Math.max(document.body.scrollHeight,
    ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"]')]
        .map(e => e.scrollHeight));
"""


def layout_problems(driver) -> list[str]:
    """Cut or overlapping text on the page as it is laid out now."""
    return driver.execute_script(_LAYOUT_PROBLEMS_JS)


def published_mrr(db_path: Path) -> float:
    """MRR of the last complete month in a published file (read-only, closed at once)."""
    with duckdb.connect(str(db_path), read_only=True) as connection:
        return float(connection.execute("select mrr from marts.mrr_monthly order by month desc limit 1").fetchone()[0])


def marts_in(db_path: Path) -> set[str]:
    with duckdb.connect(str(db_path), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    return {row[0] for row in rows}


def shown_mrr(state) -> float:
    value = next(metric["value"] for metric in state.metrics if metric["label"] == "MRR")
    assert re.fullmatch(r"\$[\d,]+", value), value
    return float(value[1:].replace(",", ""))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Two generated samples; the first built, validated and published by the main job's build step."""
    root = tmp_path_factory.mktemp("dashboard_browser")
    first, second = root / "raw_first", root / "raw_second"
    generate(first, customers=300, months=24, seed=5, end_date=END_DATE)
    generate(second, customers=360, months=24, seed=6, end_date=END_DATE)
    published, build_db = root / "published" / "warehouse.duckdb", root / "build" / "warehouse.duckdb"
    result = build_and_publish({"raw_path": str(first)}, published, build_db, echo=False)
    assert result.ok, result.output[-5000:]
    return {"published": published, "build_db": build_db, "next_raw": second, "log": root / "streamlit.log"}


@pytest.fixture(scope="module")
def server(warehouse):
    with dashboard_server(warehouse["published"], warehouse["log"]) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module", autouse=True)
def fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path or "overview" for page in PAGES])
def test_each_page_draws_its_charts_without_an_error_or_a_cut_label(warehouse, server, browser, page):
    browser.set_window_size(WIDTHS[0], 1000)
    state = load_page(browser, server, page)
    assert state.exceptions == [], state.exceptions
    assert page.title in state.titles
    if page.mart in marts_in(warehouse["published"]):
        assert state.charts > 0 and state.drawn == state.charts
        assert not any("does not have yet" in notice for notice in state.notices), state.notices
    else:  # a mart another part of the project has not delivered: a plain notice, never a traceback
        assert any(page.mart in notice for notice in state.notices), state.notices
    problems = {}
    for width in WIDTHS:  # the same page resized, not reloaded: a narrower window re-lays it out, taller
        browser.set_window_size(width, 1000)
        time.sleep(0.5)
        laid_out = dataclasses.replace(state, height=browser.execute_script(_PAGE_HEIGHT_JS))
        path = screenshot(browser, laid_out, SCREENSHOTS / f"{page.url_path or 'overview'}-{width}.png", width=width)
        assert path.stat().st_size > 20_000
        problems[width] = layout_problems(browser)  # at the screenshot's layout: what the picture shows
    assert problems == {width: [] for width in WIDTHS}


def test_overview_in_the_browser_shows_the_published_mrr(warehouse, server, browser):
    state = load_page(browser, server, PAGES[0])
    assert shown_mrr(state) == pytest.approx(published_mrr(warehouse["published"]), abs=0.5)


def test_the_app_serves_the_old_marts_during_a_build_and_the_new_ones_after_publish(warehouse, server, browser):
    published, build_db = warehouse["published"], warehouse["build_db"]
    old_mrr = published_mrr(published)
    outcome: dict[str, object] = {}

    def rebuild() -> None:
        outcome["result"] = build_and_publish(
            {"raw_path": str(warehouse["next_raw"])}, published, build_db, echo=False
        )

    original = published.stat().st_ino
    build = threading.Thread(target=rebuild)
    build.start()
    reads_during_build: list[float] = []
    deadline = time.monotonic() + 900
    while build.is_alive() and time.monotonic() < deadline:
        building = build_db.exists()  # the build's own file, which dbt holds while it writes
        state = load_page(browser, server, PAGES[0])
        assert state.exceptions == [], state.exceptions
        # Only a read that began and ended before the publish (same published file throughout) must show the
        # old figures; one that straddles the rename may rightly show either.
        if building and published.stat().st_ino == original:
            reads_during_build.append(shown_mrr(state))
        time.sleep(2)  # a reader every few seconds, not a browser that takes a core from the build it waits for
    build.join(timeout=60)
    result = outcome["result"]
    assert result.ok, result.output[-5000:]
    assert published.stat().st_ino != original, "the build was published (renamed over the served file)"

    assert len(reads_during_build) >= 3, "too few reads while the build was running"
    assert reads_during_build == [pytest.approx(old_mrr, abs=0.5)] * len(reads_during_build)

    new_mrr = published_mrr(published)
    assert new_mrr != pytest.approx(old_mrr, abs=0.5), "the two samples must differ for this test to mean anything"
    after = load_page(browser, server, PAGES[0])
    assert after.exceptions == []
    assert shown_mrr(after) == pytest.approx(new_mrr, abs=0.5)
