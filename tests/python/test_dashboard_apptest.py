"""The dashboard in Streamlit's AppTest on a warehouse built from generated sample data.

Every page runs without an exception, and the headline figures it shows are the values in the marts
(read here independently, straight from the built file). Also: a missing warehouse or mart gives a plain
message, a publish is picked up without a restart, and user choices reach SQL only as parameters.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest


PROJECT_DIR = Path(__file__).resolve().parents[2]
APP_DIR = PROJECT_DIR / "app"
APP = APP_DIR / "streamlit_app.py"
TIMEOUT = 120

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


@pytest.fixture(scope="module")
def sample(sample_warehouse):
    """A warehouse built by dbt from generated customers (the session's sample, conftest.SAMPLE_*)."""
    return sample_warehouse


@pytest.fixture
def app(sample, monkeypatch):
    """The app pointed at the sample warehouse, after its first run."""
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(sample.db_path))
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
    return app


def metrics(app: AppTest) -> dict[str, tuple[str, str, str]]:
    """label -> (shown value, shown change, hover help) of every metric on the page."""
    return {metric.label: (metric.value, metric.delta, metric.help) for metric in app.metric}


# ------------------------------------------------------------------ reading what an executive sees


def shown_money(text: str) -> float:
    match = re.fullmatch(r"([+-]?)\$([\d,]+(?:\.\d+)?)", text)
    assert match, text
    return (-1 if match.group(1) == "-" else 1) * float(match.group(2).replace(",", ""))


def shown_count(text: str) -> int:
    assert re.fullmatch(r"[+-]?[\d,]+", text), text
    return int(text.replace(",", ""))


def shown_percent(text: str) -> float:
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%", text)
    assert match, text
    return float(match.group(1)) / 100


def shown_points(text: str) -> float:
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?) pp", text)
    assert match, text
    return float(match.group(1)) / 100


def shown_ratio(text: str) -> float:
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)×", text)
    assert match, text
    return float(match.group(1))


def decimals_of(text: str) -> int:
    digits = re.search(r"\.(\d+)", text)
    return len(digits.group(1)) if digits else 0


def assert_shows(text: str, expected: object, kind: str) -> None:
    """The shown text is the mart value, to the precision shown."""
    if expected is None:
        assert text == "—"
        return
    expected = float(expected)
    if kind == "money":
        assert shown_money(text) == pytest.approx(expected, abs=0.5 * 10 ** -decimals_of(text) + 1e-9)
    elif kind == "count":
        assert shown_count(text) == round(expected)
    elif kind == "rate":
        assert shown_percent(text) == pytest.approx(expected, abs=0.5 * 10 ** -(decimals_of(text) + 2) + 1e-12)
    elif kind == "points":
        assert shown_points(text) == pytest.approx(expected, abs=0.5 * 10 ** -(decimals_of(text) + 2) + 1e-12)
    elif kind == "ratio":
        assert shown_ratio(text) == pytest.approx(expected, abs=0.5 * 10 ** -decimals_of(text) + 1e-12)
    elif kind == "score":
        assert float(text) == pytest.approx(expected, abs=0.5 * 10 ** -decimals_of(text) + 1e-12)
    else:
        raise AssertionError(kind)


def one(sample, sql: str, parameters: list[object] | None = None) -> dict[str, object]:
    rows = sample.query(sql, parameters)
    assert len(rows) == 1, rows
    return rows[0]


HEADLINES = {
    "MRR": ("mrr", "money"),
    "ARR": ("arr", "money"),
    "Active customers": ("active_customers", "count"),
    "Customer churn rate": ("customer_churn_rate", "rate"),
    "Gross revenue churn": ("gross_revenue_churn_rate", "rate"),
    "Net revenue churn": ("net_revenue_churn_rate", "rate"),
    "Net revenue retention (NRR)": ("nrr", "rate"),
    "Quick ratio": ("quick_ratio", "ratio"),
    "Expansion share of new MRR": ("expansion_share", "rate"),
}
CHANGE_KIND = {"money": "money", "count": "count", "rate": "points", "ratio": "ratio"}


def assert_headlines(shown: dict[str, tuple[str, str, str]], current: dict, previous: dict) -> None:
    for label, (column, kind) in HEADLINES.items():
        value, change, help_text = shown[label]
        assert_shows(value, current[column], kind)
        assert help_text, f"{label} has no plain-language definition on hover"
        if current[column] is None or previous[column] is None:
            assert not change
            continue
        assert_shows(change, float(current[column]) - float(previous[column]), CHANGE_KIND[kind])


# ------------------------------------------------------------------ every page


PAGES = ["overview", "mrr_movements", "cohorts", "reactivation", "lifetime_value", "at_risk", "satisfaction",
         "outlook", "data_quality"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_exception_and_with_its_marts(app, sample, page):
    open_page(app, page)
    assert app.title, "every page has a title"
    notices = " ".join(element.value for element in app.info)
    assert "does not have yet" not in notices, f"{page}: a mart is missing from a full build: {notices}"


def test_overview_headlines_are_the_last_months_figures_with_their_change(app, sample):
    open_page(app, "overview")
    months = [row["month"] for row in sample.query("select month from marts.mrr_monthly order by month")]
    current = one(sample, "select * from marts.mrr_monthly where month = ?", [months[-1]])
    previous = one(sample, "select * from marts.mrr_monthly where month = ?", [months[-2]])
    assert_headlines(metrics(app), current, previous)
    assert len(app.metric) == len(HEADLINES)


def test_overview_follows_the_period_and_the_customer_filter(app, sample):
    months = [row["month"] for row in sample.query("select month from marts.mrr_monthly order by month")]
    segment = sample.query(
        "select dimension_value from marts.mrr_monthly_by_dimension where dimension = 'segment' "
        "group by 1 order by sum(mrr) desc limit 1"
    )[0]["dimension_value"]
    open_page(app, "overview")
    period = next(widget for widget in app.select_slider if widget.label == "Period")
    period.set_value((months[-13], months[-4])).run()
    app.selectbox(key="dimension").set_value("segment").run()
    next(widget for widget in app.selectbox if widget.label == "Segment").set_value(segment).run()
    assert not app.exception
    by_segment = "select * from marts.mrr_monthly_by_dimension where dimension = 'segment' and dimension_value = ? "
    current = one(sample, by_segment + "and month = ?", [segment, months[-4]])
    previous = one(sample, by_segment + "and month = ?", [segment, months[-5]])
    assert_headlines(metrics(app), current, previous)


def test_mrr_movements_show_the_chosen_months_gains_and_losses(app, sample):
    open_page(app, "mrr_movements")
    month = sample.query("select max(month) as month from marts.mrr_monthly")[0]["month"]
    row = one(sample, "select * from marts.mrr_monthly where month = ?", [month])
    shown = metrics(app)
    assert_shows(shown["MRR gained"][0], row["new_mrr"] + row["expansion_mrr"] + row["reactivation_mrr"], "money")
    assert_shows(shown["MRR lost"][0], row["contraction_mrr"] + row["churn_mrr"], "money")
    assert_shows(shown["New customers"][0], row["new_customers"], "count")
    assert_shows(shown["Customers lost"][0], row["churned_customers"], "count")
    assert_shows(shown["Came back"][0], row["reactivated_customers"], "count")
    last_month_mrr = row["opening_mrr"] - row["fx_adjustment_mrr"]
    assert_shows(shown["Net change in MRR"][0], row["mrr"] - last_month_mrr, "money")
    # Gains minus losses equal the net change only with the exchange-rate step, so it is shown beside them.
    assert_shows(shown["Exchange-rate effect"][0], row["fx_adjustment_mrr"], "money")
    gained, lost, fx, net = (shown_money(shown[label][0]) for label in (
        "MRR gained", "MRR lost", "Exchange-rate effect", "Net change in MRR"))
    assert gained - lost + fx == pytest.approx(net, abs=2)  # each shown rounded to the dollar
    tables = [frame.value for frame in app.dataframe]
    gains, losses = tables[0], tables[1]
    assert (gains["Change"] > 0).all() and (losses["Change"] < 0).all()
    biggest_loss = sample.query(
        "select min(mrr - prev_mrr) as change from marts.mrr_movements where month = ?", [month]
    )[0]["change"]
    assert losses["Change"].iloc[0] == pytest.approx(float(biggest_loss))


def test_cohorts_count_the_customers_who_started_in_the_period(app, sample):
    open_page(app, "cohorts")
    months = [row["month"] for row in sample.query("select month from marts.mrr_monthly order by month")]
    start = months[max(0, len(months) - 24)]
    expected = one(
        sample,
        "select sum(cohort_customers) as customers, "
        "sum(retained_customers) filter (where months_since_start = 12) as retained_12, "
        "sum(cohort_customers) filter (where months_since_start = 12) as cohort_12 "
        "from marts.cohort_retention where dimension = 'all' and months_since_start in (0, 12) "
        "and cohort_month >= ?",
        [start],
    )
    shown = metrics(app)
    assert shown_count(shown["Customers in these cohorts"][0]) == sample.query(
        "select sum(cohort_customers) as n from marts.cohort_retention "
        "where dimension = 'all' and months_since_start = 0 and cohort_month >= ?", [start]
    )[0]["n"]
    assert_shows(shown["Still paying after 12 months"][0], expected["retained_12"] / expected["cohort_12"], "rate")


def test_reactivation_shows_the_last_months_comebacks(app, sample):
    open_page(app, "reactivation")
    row = one(sample, "select * from marts.reactivation_monthly order by month desc limit 1")
    shown = metrics(app)
    assert_shows(shown["Came back this month"][0], row["reactivated_customers"], "count")
    assert_shows(shown["Reactivation rate"][0], row["reactivation_rate"], "rate")
    assert_shows(shown["MRR won back this month"][0], row["reactivation_mrr"], "money")
    assert_shows(shown["Former customers"][0], row["former_customers"], "count")
    # Every window is measured on the same churned customers (the months of the default period whose 12 months
    # after are complete), so a longer window never reads lower, and the page says which customers they are.
    months = [r["month"] for r in sample.query("select month from marts.reactivation_monthly order by month")]
    same = one(
        sample,
        "select sum(churned_customers) as churned, min(month) as first, "
        "sum(win_back_3m * churned_customers) / sum(churned_customers) as w3, "
        "sum(win_back_6m * churned_customers) / sum(churned_customers) as w6, "
        "sum(win_back_12m * churned_customers) / sum(churned_customers) as w12 "
        "from marts.reactivation_monthly where win_back_12m is not null and churned_customers > 0 and month >= ?",
        [months[max(0, len(months) - 24)]],
    )
    assert same["churned"], "the sample has months whose 12-month win-back is known"
    shares = [shown[f"Back within {n} months"][0] for n in (3, 6, 12)]
    for text, expected in zip(shares, (same["w3"], same["w6"], same["w12"])):
        assert_shows(text, expected, "rate")
    assert shown_percent(shares[0]) <= shown_percent(shares[1]) <= shown_percent(shares[2])
    assert any(f"{same['churned']:,} customers who left in {same['first']:%b %Y}" in text.value
               for text in app.markdown)


def test_lifetime_value_shows_simple_and_predicted_cltv(app, sample):
    open_page(app, "lifetime_value")
    simple = one(
        sample,
        "select * from marts.cltv_monthly where dimension = 'all' order by month desc limit 1",
    )
    predicted = one(
        sample,
        "select count(*) filter (where current_mrr > 0) as paying, sum(cltv_predicted) as total "
        "from marts.customer_cltv",
    )
    shown = metrics(app)
    assert_shows(shown["Lifetime value per customer"][0], simple["cltv_simple"], "money")
    assert_shows(shown["ARPA"][0], simple["arpa"], "money")
    assert_shows(shown["Paying customers"][0], predicted["paying"], "count")
    assert_shows(shown["Predicted value of paying customers"][0], predicted["total"], "money")


def test_at_risk_list_is_filtered_sorted_by_mrr_at_risk_and_spelled_out(app, sample):
    open_page(app, "at_risk")
    high = one(sample, "select count(*) as n, sum(current_mrr) as mrr from marts.customer_health "
                       "where risk_tier = 'high'")
    shown = metrics(app)
    assert_shows(shown["High-risk customers"][0], high["n"], "count")
    assert_shows(shown["MRR at high risk"][0], high["mrr"] or 0, "money")
    listed = app.dataframe[0].value
    expected = sample.query(
        "select customer_id, current_mrr from marts.customer_health where risk_tier in ('high', 'medium') "
        "order by current_mrr desc, risk_score desc, customer_id"
    )
    assert listed["Customer"].tolist() == [row["customer_id"] for row in expected][: len(listed)]
    assert listed["MRR at risk"].is_monotonic_decreasing
    assert not listed["Why"].str.contains("_").any(), "reasons are in words, not codes"
    assert not listed["Why"].str.contains("No warning sign fires").any(), "a listed customer is there for a reason"
    assert not listed.loc[listed["Risk"] == "Medium", "Why"].eq("No single warning sign").any()
    assert len(app.download_button) == 1

    app.multiselect(key="risk_signals").set_value(["inactive"]).run()
    app.multiselect(key="risk_tiers").set_value(["high", "medium", "low"]).run()
    listed = app.dataframe[0].value
    inactive = sample.query(
        "select customer_id from marts.customer_health where inactive order by current_mrr desc, risk_score desc, "
        "customer_id"
    )
    assert listed["Customer"].tolist() == [row["customer_id"] for row in inactive][: len(listed)]
    assert listed["Why"].str.contains("No product activity for 30 days").all()


def test_at_risk_csv_holds_the_whole_filtered_list_for_a_crm(sample, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(sample.db_path))
    text = data.at_risk_csv(warehouse.identify(), ("high", "medium"), (), (), (), "all", "all")
    lines = text.strip().splitlines()
    expected = sample.query(
        "select customer_id from marts.customer_health where risk_tier in ('high', 'medium') "
        "order by current_mrr desc, risk_score desc, customer_id"
    )
    assert lines[0].startswith("customer_id,as_of_date,risk_tier,risk_score,current_mrr,signals,reasons")
    assert [line.split(",")[0] for line in lines[1:]] == [row["customer_id"] for row in expected]


def test_satisfaction_shows_the_last_months_nps_csat_and_response_rate(app, sample):
    open_page(app, "satisfaction")
    row = one(
        sample,
        "select * from marts.satisfaction_monthly where dimension = 'all' order by month desc limit 1",
    )
    shown = metrics(app)
    assert_shows(shown["NPS"][0], row["nps"], "score")
    assert_shows(shown["CSAT"][0], row["csat"], "rate")
    assert_shows(shown["Survey response rate"][0], row["response_rate"], "rate")


def test_data_quality_shows_the_build_and_the_quarantine_counts(app, sample):
    open_page(app, "data_quality")
    totals = one(
        sample,
        "select sum(row_count) filter (where outcome = 'quarantined') as quarantined, "
        "(select sum(table_raw_rows) from (select distinct table_name, table_raw_rows "
        "from marts.raw_row_accounting)) as raw_rows from marts.raw_row_accounting",
    )
    shown = metrics(app)
    assert_shows(shown["Rows quarantined"][0], totals["quarantined"] or 0, "count")
    assert_shows(shown["Raw rows read"][0], totals["raw_rows"], "count")
    as_of = one(sample, "select as_of_date from marts.build_info")["as_of_date"]
    assert shown["Data as of"][0] == f"{as_of:%d %b %Y}"


def test_data_docs_come_with_the_command_that_opens_them_not_a_file_link(app, tmp_path, monkeypatch):
    from lib import quality

    index = tmp_path / "data_docs" / "index.html"
    index.parent.mkdir()
    index.write_text("<html></html>")
    monkeypatch.setattr(quality, "DEFAULT_DATA_DOCS", index)  # the sample has no run log: the page falls back
    open_page(app, "data_quality")
    # A browser does not follow a file:// link from a page it was served over http.
    assert not any("file:" in element.value for element in app.markdown)
    assert [block.value for block in app.code if "webbrowser" in block.value] == [
        f'python -m webbrowser "{index.as_uri()}"']


# ------------------------------------------------------------------ what every page says, in one style


def chart_texts(chart) -> list[str]:
    """The titles of a Vega-Lite chart and the values it writes on axes, legends and tooltips (text fields)."""
    import json

    import pyarrow as pa

    spec = json.loads(chart.proto.spec)
    texts, fields = [], set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            title = node.get("title")
            if isinstance(title, str):
                texts.append(title)
            elif isinstance(title, dict) and isinstance(title.get("text"), str):
                texts.append(title["text"])
            for channel, encoding in (node.get("encoding") or {}).items():
                for item in encoding if isinstance(encoding, list) else [encoding]:
                    if channel not in ("order", "detail") and isinstance(item, dict) and item.get("type") in (
                            "nominal", "ordinal"):
                        fields.add(item.get("field"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for dataset in chart.proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        for field in fields & set(frame.columns):
            texts += [str(value) for value in frame[field].dropna().unique()]
    return texts


def page_texts(app: AppTest) -> dict[str, list[str]]:
    """Every text a reader sees on the page, by where it is: prose, figures, hover help, tables, charts."""
    unescape = lambda text: re.sub(r"\\(.)", r"\1", str(text))  # noqa: E731 (Markdown escapes of data text)
    prose = [unescape(element.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                                  "warning", "success") for element in app.get(kind)]
    prose += [element.label for element in app.get("expandable")] + [element.label for element in app.tabs]
    figures = [text for metric in app.metric for text in (metric.label, metric.value, metric.delta) if text]
    hover = [unescape(metric.help) for metric in app.metric if metric.help]
    widgets = []
    for kind in ("selectbox", "multiselect", "select_slider"):
        for widget in app.get(kind):
            widgets += [widget.label, *map(str, widget.options)]
    tables = []
    for frame in (element.value for element in app.dataframe):
        tables += [str(column) for column in frame.columns]
        for column in frame.columns:
            if column != "Customer" and not pd.api.types.is_numeric_dtype(frame[column]) \
                    and not pd.api.types.is_datetime64_any_dtype(frame[column]):
                tables += [str(value) for value in frame[column].dropna()]
    charts = [text for chart in app.get("vega_lite_chart") for text in chart_texts(chart)]
    return {"prose": prose, "figures": figures, "hover": hover, "widgets": widgets, "tables": tables,
            "charts": charts}


RATE = re.compile(r"(?<![\w.,])([+-]?\d+(?:\.(\d+))?)\s?(%|pp\b)")
JARGON = [
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), "a snake_case code"),
    (re.compile(r"\b(?:marts|reference|raw|staging)\.[a-z_]+"), "a table name"),
    (re.compile(r"dbt var|dbt_project|\bvar\(", re.IGNORECASE), "a build setting's internal name"),
    (re.compile(r"[αβ]|\balpha\b|\bbeta\b|\bsBG\b|shifted-beta", re.IGNORECASE), "a model parameter's name"),
]


def rate_precision_problems(texts: list[str]) -> list[str]:
    """Percentages and percentage points written with another precision than one decimal (two below 1)."""
    from lib.formatting import rate_decimals

    problems = []
    for text in texts:
        for match in RATE.finditer(text):
            decimals = len(match.group(2) or "")
            if decimals != rate_decimals(float(match.group(1))):
                problems.append(f"{match.group(0)!r} in {text[:120]!r}")
    return problems


def jargon_problems(texts: list[str]) -> list[str]:
    """Internal names a reader should not meet: codes, table names, build settings, model parameters."""
    problems = []
    for text in texts:
        plain = re.sub(r"\S*[/\\]\S*", " ", text)  # a file path is where something is, not jargon
        problems += [f"{why}: {match.group(0)!r} in {text[:120]!r}"
                     for pattern, why in JARGON for match in pattern.finditer(plain)]
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_every_rate_on_every_page_has_one_decimal_or_two_below_one_percent(app, page):
    texts = page_texts(open_page(app, page))
    assert texts["figures"], "the page shows figures"
    problems = rate_precision_problems(texts["prose"] + texts["figures"] + texts["tables"])
    assert not problems, problems


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_internal_names_codes_or_model_parameters(app, page):
    texts = page_texts(open_page(app, page))
    problems = jargon_problems([text for kind in texts.values() for text in kind])
    assert not problems, problems


def test_the_checks_of_page_text_catch_what_they_look_for():
    assert rate_precision_problems(["16.0% and 15.99%", "0.31%", "+1.23 pp", "0.5%"]) == [
        "'15.99%' in '16.0% and 15.99%'", "'+1.23 pp' in '+1.23 pp'", "'0.5%' in '0.5%'"]
    texts = ["Segment: mid_market", "dbt var `gross_margin`", "fit: alpha = 2.28", "read marts.mrr_monthly",
             "β = 0.4", "Mid-market", "Data Docs in /tmp/a_b/data_docs", "Alphabet, 4 customers"]
    assert [text for text in texts if jargon_problems([text])] == texts[:5]


# ------------------------------------------------------------------ plain messages instead of tracebacks


@pytest.mark.parametrize("content", [None, b"", b"not a database"])
def test_a_missing_or_unreadable_warehouse_says_how_to_build_one(tmp_path, monkeypatch, content):
    path = tmp_path / "warehouse.duckdb"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(path))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "No data to show yet" in app.warning[0].value
    assert any(block.value == "scripts/demo.sh" for block in app.code)


def test_an_empty_duckdb_file_says_how_to_build_one(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(path))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not app.exception
    # The reason names marts and paths, shown as text: its punctuation arrives backslash-escaped (Markdown).
    assert "marts.mrr_monthly" in re.sub(r"\\(.)", r"\1", app.warning[0].value)
    assert any(block.value == "scripts/demo.sh" for block in app.code)


def test_a_page_whose_mart_is_missing_names_it_and_the_build_command(sample, tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(sample.db_path, path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("drop table marts.cohort_retention")
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(path))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.switch_page("app_pages/cohorts.py").run()
    assert not app.exception
    assert app.title[0].value == "Cohorts"
    assert "marts.cohort_retention" in app.info[0].value
    assert any(block.value == "scripts/demo.sh" for block in app.code)


# ------------------------------------------------------------------ a publish is picked up without a restart


def test_a_new_published_file_is_read_without_a_restart(sample, tmp_path, monkeypatch):
    published = tmp_path / "published" / "warehouse.duckdb"
    published.parent.mkdir()
    shutil.copy(sample.db_path, published)
    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(published))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    before = shown_money(metrics(app)["MRR"][0])

    # A new build lands: a file with other figures renamed over the published one, as the main job does.
    staged = tmp_path / "build" / "warehouse.duckdb"
    staged.parent.mkdir()
    shutil.copy(sample.db_path, staged)
    with duckdb.connect(str(staged)) as connection:
        connection.execute(
            "update marts.mrr_monthly set mrr = mrr + 1000 where month = (select max(month) from marts.mrr_monthly)"
        )
    os.replace(staged, published)

    app.run()  # the same session reruns, as when a user clicks: no restart
    assert shown_money(metrics(app)["MRR"][0]) == pytest.approx(before + 1000, abs=1)


# ------------------------------------------------------------------ parameters only


def test_user_choices_reach_sql_as_parameters_not_text(sample, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(sample.db_path))
    published = warehouse.identify()
    hostile = "x' or '1'='1"
    assert data.monthly_figures(published, "segment", hostile).empty
    assert data.cohort_retention(published, "segment", hostile).empty
    assert data.at_risk_customers(published, (hostile,), (), (), (), "all", "all").empty
    assert data.at_risk_customers(published, ("high", "medium", "low"), (), (), (), "segment", hostile).empty
    assert data.satisfaction(published, "segment", "'; drop table marts.mrr_monthly; --").empty
    assert data.has(published, "marts.mrr_monthly")


def test_reads_never_leave_a_connection_open_on_the_published_file(sample, monkeypatch):
    from lib import data, warehouse

    monkeypatch.setenv("CHURN_WAREHOUSE_DB", str(sample.db_path))
    data.months.clear()
    assert data.months(warehouse.identify())
    assert len(warehouse.run_query(warehouse.identify(), "select * from marts.customers")) > 0
    # DuckDB refuses a read-write connection to a file this process still holds read-only, so this proves that
    # every read closed its connection: a build could take the file now.
    with duckdb.connect(str(sample.db_path)) as writer:
        assert writer.execute("select count(*) from marts.mrr_monthly").fetchone()[0] > 0
