"""The semantic layer (models/semantic/): every MetricFlow metric equals the mart it is defined over.

MetricFlow's own engine (what `mf query` runs) reads the semantic manifest that the suite's parity build wrote
and queries that build's DuckDB file read-only: no build of its own. Money agrees to the cent, counts exactly,
rates to 1e-9, for every month and split by each customer dimension. One test runs the `mf query` command itself,
as the README shows it, with the profile's `semantic` target.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

MONEY = ("mrr", "arr", "opening_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr")
COUNTS = ("active_customers", "new_customers", "churned_customers", "reactivated_customers")
RATES = (
    "customer_churn_rate", "gross_revenue_churn_rate", "net_revenue_churn_rate", "nrr", "grr", "expansion_share",
    "quick_ratio",
)
CUSTOMER_METRICS = MONEY + COUNTS + RATES
HEADLINES = ("mrr", "arr", "active_customers", "customer_churn_rate", "gross_revenue_churn_rate",
             "net_revenue_churn_rate", "nrr", "quick_ratio", "expansion_share")
DIMENSIONS = ("segment", "country", "acquisition_channel", "plan_interval")
MONTH = "metric_time__month"


class ReadOnlyDuckDb:
    """MetricFlow's SqlClient over a DuckDB file opened read-only for each query, like every reader of the marts."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = str(db_path)
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self) -> SqlEngine:
        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> SqlPlanRenderer:
        return self._renderer

    def query(
        self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()
    ) -> MetricFlowDataTable:
        with duckdb.connect(self._db_path, read_only=True) as connection:
            cursor = connection.execute(stmt, dict(sql_bind_parameter_set.param_dict) or None)
            names = [column[0] for column in cursor.description]
            return MetricFlowDataTable.create_from_rows(names, cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        raise NotImplementedError("the semantic layer only reads the marts")

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        with duckdb.connect(self._db_path, read_only=True) as connection:
            connection.execute(f"explain {stmt}")

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@pytest.fixture(scope="module")
def engine(parity_duckdb) -> MetricFlowEngine:
    """MetricFlow over the parity build, from the semantic manifest dbt wrote beside it."""
    manifest = parity_duckdb.db_path.parent / "target" / "semantic_manifest.json"
    semantic_manifest = parse_manifest_from_dbt_generated_manifest(manifest.read_text(encoding="utf-8"))
    return MetricFlowEngine(SemanticManifestLookup(semantic_manifest), ReadOnlyDuckDb(parity_duckdb.db_path))


def metric_rows(
    engine: MetricFlowEngine, metrics: Sequence[str] = (), group_by: Sequence[str] = (), saved_query: str | None = None
) -> pd.DataFrame:
    """One MetricFlow query as a frame; the metric_time__month column becomes `month` (a date)."""
    request = MetricFlowQueryRequest.create(
        metric_names=list(metrics) or None, group_by_names=list(group_by) or None, saved_query_name=saved_query
    )
    table = engine.query(request).result_df
    frame = pd.DataFrame(list(table.rows), columns=list(table.column_names))
    if MONTH in frame:
        frame[MONTH] = [value.date() for value in frame[MONTH]]
    return frame.rename(columns={MONTH: "month"})


def differences(
    label: str, expected: pd.DataFrame, actual: pd.DataFrame, keys: list[str], metrics: Sequence[str]
) -> list[str]:
    """Every key of `expected` in `actual` with equal figures: money to the cent, counts exactly, rates to 1e-9."""
    merged = expected.merge(actual, on=keys, how="left", suffixes=("_mart", "_mf"), indicator=True)
    found = merged["_merge"] == "both"
    problems = [] if found.all() else [f"{label}: {(~found).sum()} rows of the mart missing in MetricFlow"]
    for _, row in merged[found].iterrows():
        for metric in metrics:
            mart, mf = row[f"{metric}_mart"], row[f"{metric}_mf"]
            if not agrees(metric, mart, mf):
                problems.append(f"{label} {tuple(row[key] for key in keys)} {metric}: mart {mart!r}, MetricFlow {mf!r}")
    return problems


def agrees(metric: str, mart: object, mf: object) -> bool:
    """Both null, or equal within the metric's tolerance."""
    if is_null(mart) or is_null(mf):
        return is_null(mart) and is_null(mf)
    tolerance = 0.005 if metric in MONEY else 0 if metric in COUNTS else 1e-9
    return abs(float(mart) - float(mf)) <= tolerance


def is_null(value: object) -> bool:
    """None, or NaN as pandas and MetricFlow give a null rate."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def mart_by_dimension(build, dimension: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """mrr_monthly_by_dimension for one dimension, split into rows with customers and the zero rows the mart
    adds where no customer of the value had a row (before its first customer MetricFlow has none)."""
    mart = build.read("marts", "mrr_monthly_by_dimension").query("dimension == @dimension")
    mart["month"] = [pd.Timestamp(value).date() for value in mart["month"]]
    has_customers = (mart["active_customers"] > 0) | (mart["churned_customers"] > 0) | (mart["opening_mrr"] != 0)
    return mart[has_customers], mart[~has_customers]


def test_every_metric_by_month_equals_the_marts(engine, parity_duckdb):
    actual = metric_rows(engine, CUSTOMER_METRICS + ("reactivation_rate", "nps"), [MONTH])
    monthly = parity_duckdb.read("marts", "mrr_monthly")
    reactivation = parity_duckdb.read("marts", "reactivation_monthly")
    satisfaction = parity_duckdb.read("marts", "satisfaction_monthly").query("dimension == 'all'")
    for mart in (monthly, reactivation, satisfaction):
        mart["month"] = [pd.Timestamp(value).date() for value in mart["month"]]

    assert sorted(actual["month"]) == sorted(monthly["month"]), "MetricFlow has the mart's months, no more, no less"
    assert len(monthly) >= 24 and monthly["churned_customers"].sum() > 0 and satisfaction["nps_answers"].sum() > 0
    problems = (
        differences("mrr_monthly", monthly, actual, ["month"], CUSTOMER_METRICS)
        + differences("reactivation_monthly", reactivation, actual, ["month"], ["reactivation_rate"])
        + differences("satisfaction_monthly", satisfaction, actual, ["month"], ["nps"])
    )
    assert problems == [], "\n".join(problems[:20])


def test_the_mf_query_command_gives_every_metric_by_month_as_the_marts(parity_duckdb, tmp_path):
    """`mf query` run as a user runs it (README, Semantic layer), in a project folder whose target/ is the parity
    build's, with DBT_TARGET=semantic and CHURN_WAREHOUSE_DB naming the build's file (opened read-only)."""
    project_dir = Path(__file__).resolve().parents[2]
    for name in ("dbt_project.yml", "profiles.yml"):
        (tmp_path / name).symlink_to(project_dir / name)
    (tmp_path / "target").symlink_to(parity_duckdb.db_path.parent / "target")
    metrics = CUSTOMER_METRICS + ("reactivation_rate", "nps")
    environment = {**os.environ, "DBT_TARGET": "semantic", "DBT_PROFILES_DIR": str(tmp_path),
                   "CHURN_WAREHOUSE_DB": str(parity_duckdb.db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [str(Path(sys.executable).parent / "mf"), "query", "--metrics", ",".join(metrics),
               "--group-by", MONTH, "--csv", str(tmp_path / "metrics.csv")]
    finished = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    actual = pd.read_csv(tmp_path / "metrics.csv")
    actual["month"] = [pd.Timestamp(value).date() for value in actual.pop(MONTH)]
    monthly = parity_duckdb.read("marts", "mrr_monthly")
    reactivation = parity_duckdb.read("marts", "reactivation_monthly")
    satisfaction = parity_duckdb.read("marts", "satisfaction_monthly").query("dimension == 'all'")
    for mart in (monthly, reactivation, satisfaction):
        mart["month"] = [pd.Timestamp(value).date() for value in mart["month"]]

    assert sorted(actual["month"]) == sorted(monthly["month"])
    problems = (
        differences("mrr_monthly", monthly, actual, ["month"], CUSTOMER_METRICS)
        + differences("reactivation_monthly", reactivation, actual, ["month"], ["reactivation_rate"])
        + differences("satisfaction_monthly", satisfaction, actual, ["month"], ["nps"])
    )
    assert problems == [], "\n".join(problems[:20])


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_customer_metric_by_dimension_equals_mrr_monthly_by_dimension(engine, parity_duckdb, dimension):
    actual = metric_rows(engine, CUSTOMER_METRICS, [MONTH, f"customer__{dimension}"])
    actual = actual.rename(columns={f"customer__{dimension}": "dimension_value"})
    keys = ["month", "dimension_value"]
    mart, empty = mart_by_dimension(parity_duckdb, dimension)
    assert mart["dimension_value"].nunique() >= 2
    # A zero row of the mart that MetricFlow has too (customers no longer paying) must be zero there as well.
    problems = differences(f"by {dimension}", mart, actual, keys, CUSTOMER_METRICS) + differences(
        f"by {dimension}, no customers", empty.merge(actual[keys], on=keys), actual, keys, CUSTOMER_METRICS
    )
    assert problems == [], "\n".join(problems[:20])


def test_nps_by_segment_equals_satisfaction_monthly(engine, parity_duckdb):
    actual = metric_rows(engine, ["nps"], [MONTH, "satisfaction_month__segment"])
    actual = actual.rename(columns={"satisfaction_month__segment": "dimension_value"})
    mart = parity_duckdb.read("marts", "satisfaction_monthly").query("dimension == 'segment'")
    mart["month"] = [pd.Timestamp(value).date() for value in mart["month"]]

    assert "all" not in set(actual["dimension_value"]), "the row of all segments is not a segment"
    assert mart["nps"].notna().sum() > 10
    problems = differences("nps by segment", mart, actual, ["month", "dimension_value"], ["nps"])
    assert problems == [], "\n".join(problems[:20])


def test_overview_saved_queries_give_the_headline_figures(engine, parity_duckdb):
    monthly = parity_duckdb.read("marts", "mrr_monthly")
    monthly["month"] = [pd.Timestamp(value).date() for value in monthly["month"]]
    headlines = metric_rows(engine, saved_query="overview_headlines")
    assert set(HEADLINES) <= set(headlines.columns)
    assert differences("overview_headlines", monthly, headlines, ["month"], HEADLINES) == []

    by_segment = metric_rows(engine, saved_query="overview_headlines_by_segment")
    by_segment = by_segment.rename(columns={"customer__segment": "dimension_value"})
    mart, _ = mart_by_dimension(parity_duckdb, "segment")
    assert differences("overview_headlines_by_segment", mart, by_segment, ["month", "dimension_value"], HEADLINES) == []


def test_mrr_over_a_quarter_is_its_last_month_not_a_sum(engine, parity_duckdb):
    actual = metric_rows(engine, ["mrr", "active_customers", "new_mrr"], ["metric_time__quarter"])
    monthly = parity_duckdb.read("marts", "mrr_monthly")
    monthly["quarter"] = monthly["month"].dt.to_period("Q")
    assert len(actual) >= 8
    for _, row in actual.iterrows():
        quarter = monthly[monthly["quarter"] == pd.Timestamp(row["metric_time__quarter"]).to_period("Q")]
        last = quarter.sort_values("month").iloc[-1]
        assert abs(float(row["mrr"]) - float(last["mrr"])) <= 0.005, row
        assert row["active_customers"] == last["active_customers"], row
        assert abs(float(row["new_mrr"]) - float(quarter["new_mrr"].sum())) <= 0.005, row
