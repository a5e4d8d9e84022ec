"""Every query of the dashboard, parameterised, behind cached loaders keyed on the warehouse's identity.

This is the only module with SQL. User choices (months, dimensions, tiers) reach the database as bound
parameters, never as SQL text. Each loader takes the `WarehouseId` of the published marts, so a publish
(a new file, or new tables in PostgreSQL) misses the cache and the new marts are read, without a restart.

The same SQL runs on DuckDB and PostgreSQL: only syntax both accept (arrays as `= any(...)`, `&&` and
`cardinality`, ordered-set `percentile_cont`), with `?` placeholders that lib.warehouse translates for
psycopg2. Only the identity of a PostgreSQL publish, read from its catalog, has no DuckDB counterpart.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib.warehouse import WarehouseId, WarehouseUnavailable, run_query

# The dimensions the marts break figures down by, in the order the controls offer them.
DIMENSIONS = ("segment", "country", "acquisition_channel", "plan_interval")

# A customer's value of the dimension named by a bound parameter; 'all' matches every customer.
_DIMENSION_VALUE_OF_CUSTOMER = """
    case ?
        when 'segment' then customers.segment
        when 'country' then customers.country
        when 'acquisition_channel' then customers.acquisition_channel
        when 'plan_interval' then customers.plan_interval
        else 'all'
    end
"""


class MartMissing(Exception):
    """A page needs marts that the published warehouse does not have (yet)."""

    def __init__(self, marts: list[str]) -> None:
        super().__init__(", ".join(marts))
        self.marts = marts


def publication_fingerprint(warehouse: WarehouseId) -> str:
    """PostgreSQL: what a publish changes, read from the catalog alone. dbt creates every table of a build anew
    (a new oid; a truncated table gets a new file node), so a digest of each mart and reference relation's
    identity changes with any rebuilt table, even one rebuilt after `marts.build_info`. Raises
    WarehouseUnavailable when the database has no marts."""
    frame = run_query(
        warehouse,
        """
        select
            count(*) filter (where namespaces.nspname = 'marts') as mart_relations,
            md5(string_agg(
                namespaces.nspname || '.' || relations.relname || ':' || cast(relations.oid as text)
                || ':' || cast(relations.relfilenode as text),
                ',' order by namespaces.nspname, relations.relname
            )) as relations
        from pg_catalog.pg_class as relations
        inner join pg_catalog.pg_namespace as namespaces on relations.relnamespace = namespaces.oid
        where namespaces.nspname in ('marts', 'reference')
            and relations.relkind in ('r', 'p', 'v', 'm', 'f')
        """,
    )
    if not frame["mart_relations"].iloc[0]:
        raise WarehouseUnavailable(
            f"There are no marts in the PostgreSQL database at {warehouse.shown} yet (no table in schema marts)."
        )
    return str(frame["relations"].iloc[0])


@st.cache_data(show_spinner=False, max_entries=64)
def available_tables(warehouse: WarehouseId) -> frozenset[str]:
    """`schema.table` of every mart and reference table in the published file."""
    frame = run_query(
        warehouse,
        """
        select table_schema || '.' || table_name as qualified_name
        from information_schema.tables
        where table_schema in ('marts', 'reference')
        """,
    )
    return frozenset(frame["qualified_name"])


def has(warehouse: WarehouseId, table: str) -> bool:
    """Whether `schema.table` is in the published file."""
    return table in available_tables(warehouse)


def require(warehouse: WarehouseId, *tables: str) -> None:
    """Raise MartMissing naming the tables a page needs that the published file lacks."""
    missing = [table for table in tables if not has(warehouse, table)]
    if missing:
        raise MartMissing(missing)


@st.cache_data(show_spinner=False, max_entries=64)
def build_info(warehouse: WarehouseId) -> dict[str, object]:
    """The one row of marts.build_info: when and from what the marts were built."""
    frame = run_query(
        warehouse,
        """
        select built_at, as_of_date, raw_path, raw_format, reporting_currency, package_name,
            package_version, dbt_version, target_type, invocation_id
        from marts.build_info
        """,
    )
    return frame.iloc[0].to_dict() if len(frame) else {}


@st.cache_data(show_spinner=False, max_entries=64)
def months(warehouse: WarehouseId) -> list[date]:
    """Every complete month of the monthly marts, oldest first."""
    frame = run_query(warehouse, "select month from marts.mrr_monthly order by month")
    return [pd.Timestamp(month).date() for month in frame["month"]]


@st.cache_data(show_spinner=False, max_entries=64)
def dimension_values(warehouse: WarehouseId) -> dict[str, list[str]]:
    """The values of each dimension that the by-dimension marts hold."""
    frame = run_query(
        warehouse,
        """
        select distinct dimension, dimension_value
        from marts.mrr_monthly_by_dimension
        order by dimension, dimension_value
        """,
    )
    return {
        dimension: frame.loc[frame["dimension"] == dimension, "dimension_value"].tolist()
        for dimension in DIMENSIONS
        if (frame["dimension"] == dimension).any()
    }


_MONTHLY_COLUMNS = """
    month, mrr, arr, active_customers, arpa, opening_mrr, fx_adjustment_mrr, new_mrr, expansion_mrr,
    contraction_mrr, churn_mrr, reactivation_mrr, new_customers, churned_customers, reactivated_customers,
    voluntary_churned_customers, involuntary_churned_customers, unknown_churned_customers,
    customer_churn_rate, gross_revenue_churn_rate, net_revenue_churn_rate, nrr, grr, nrr_t12m, grr_t12m,
    is_negative_churn, expansion_share, quick_ratio
"""


@st.cache_data(show_spinner=False, max_entries=64)
def monthly_figures(warehouse: WarehouseId, dimension: str, value: str) -> pd.DataFrame:
    """MRR, movements and churn figures per month, for all customers or one dimension value."""
    if dimension == "all":
        sql = f"select {_MONTHLY_COLUMNS} from marts.mrr_monthly order by month"
        return run_query(warehouse, sql)
    sql = f"""
        select {_MONTHLY_COLUMNS}
        from marts.mrr_monthly_by_dimension
        where dimension = ? and dimension_value = ?
        order by month
    """
    return run_query(warehouse, sql, [dimension, value])


@st.cache_data(show_spinner=False, max_entries=64)
def benchmarks(warehouse: WarehouseId) -> pd.DataFrame:
    """Published reference points (seed reference.churn_benchmarks), shown as context, never as targets."""
    return run_query(
        warehouse,
        """
        select benchmark_id, metric, industry, low_value, high_value, unit, period, reference_year,
            description, source
        from reference.churn_benchmarks
        order by metric, reference_year nulls first, low_value
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def churn_reasons(warehouse: WarehouseId) -> pd.DataFrame:
    """Churned customers and churned MRR per month and reason (all customers)."""
    return run_query(
        warehouse,
        """
        select month, churn_reason, churn_type, churned_customers, churn_mrr
        from marts.churn_reasons_monthly
        order by month, churn_reason
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def largest_movements(
    warehouse: WarehouseId, month: date, dimension: str, value: str, limit: int = 10
) -> pd.DataFrame:
    """The customers behind the month's biggest MRR gains and losses, within the chosen dimension value."""
    return run_query(
        warehouse,
        f"""
        with chosen as (
            select
                movements.customer_id,
                movements.movement,
                movements.prev_mrr,
                movements.mrr,
                movements.mrr - movements.prev_mrr as mrr_change,
                movements.churn_type,
                customers.segment,
                customers.country,
                customers.plan_interval
            from marts.mrr_movements as movements
            inner join marts.customers as customers on movements.customer_id = customers.customer_id
            where movements.month = ?
                and movements.movement in ('new', 'expansion', 'contraction', 'churn', 'reactivation')
                and {_DIMENSION_VALUE_OF_CUSTOMER} = ?
        ),

        ranked as (
            select
                *,
                row_number() over (
                    partition by mrr_change > 0 order by abs(mrr_change) desc, customer_id
                ) as rank_in_direction
            from chosen
        )

        select customer_id, movement, prev_mrr, mrr, mrr_change, churn_type, segment, country, plan_interval
        from ranked
        where rank_in_direction <= ?
        order by mrr_change desc, customer_id
        """,
        [month, dimension, value, limit],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cohort_retention(warehouse: WarehouseId, dimension: str, value: str) -> pd.DataFrame:
    """Logo and revenue retention per cohort and age, for all customers or one dimension value."""
    return run_query(
        warehouse,
        """
        select cohort_month, months_since_start, cohort_customers, retained_customers, logo_retention,
            cohort_starting_mrr, mrr, revenue_retention
        from marts.cohort_retention
        where dimension = ? and dimension_value = ?
        order by cohort_month, months_since_start
        """,
        [dimension, value],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def reactivation(warehouse: WarehouseId) -> pd.DataFrame:
    """Former customers coming back and win-back shares per month (all customers)."""
    return run_query(
        warehouse,
        """
        select month, former_customers, reactivated_customers, reactivation_rate, reactivation_mrr,
            churned_customers, win_back_3m, win_back_6m, win_back_12m
        from marts.reactivation_monthly
        order by month
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cltv_monthly(warehouse: WarehouseId) -> pd.DataFrame:
    """Simple CLTV per month, overall (all) and by segment."""
    return run_query(
        warehouse,
        """
        select month, dimension, dimension_value, arpa, avg_customer_churn_rate, gross_margin, cltv_simple
        from marts.cltv_monthly
        order by dimension, dimension_value, month
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def predicted_cltv_by_segment(warehouse: WarehouseId) -> pd.DataFrame:
    """Spread of predicted CLTV of the customers paying now, per segment: percentiles, mean and total."""
    return run_query(
        warehouse,
        """
        with paying as (
            select segment, cltv_predicted, sbg_fit_source, sbg_fit_note
            from marts.customer_cltv
            where current_mrr > 0 and cltv_predicted is not null
        )

        select
            segment,
            count(*) as customers,
            sum(cltv_predicted) as total_cltv,
            avg(cltv_predicted) as mean_cltv,
            percentile_cont(0.10) within group (order by cltv_predicted) as p10,
            percentile_cont(0.25) within group (order by cltv_predicted) as p25,
            percentile_cont(0.50) within group (order by cltv_predicted) as median_cltv,
            percentile_cont(0.75) within group (order by cltv_predicted) as p75,
            percentile_cont(0.90) within group (order by cltv_predicted) as p90,
            min(sbg_fit_source) as sbg_fit_source,
            min(sbg_fit_note) as sbg_fit_note
        from paying
        group by segment
        order by segment
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cltv_totals(warehouse: WarehouseId) -> dict[str, object]:
    """Headline predictive figures over every customer: paying customers, total and mean predicted CLTV."""
    frame = run_query(
        warehouse,
        """
        select
            count(*) filter (where current_mrr > 0) as paying_customers,
            count(*) filter (where current_mrr > 0 and cltv_predicted is null) as paying_without_prediction,
            sum(cltv_predicted) as total_cltv,
            avg(cltv_predicted) filter (where current_mrr > 0) as mean_cltv,
            avg(p_alive) as mean_p_alive,
            sum(expected_margin_12m) as one_off_margin_12m
        from marts.customer_cltv
        """,
    )
    return frame.iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=64)
def retention_curves(warehouse: WarehouseId) -> pd.DataFrame:
    """Observed and fitted survival by renewal, per segment and billing interval (and all), with the projection."""
    return run_query(
        warehouse,
        """
        select segment, interval_months, periods_since_start, months_since_start, is_projection,
            customers_at_risk, churned_customers, observed_survival, fitted_survival, sbg_alpha, sbg_beta,
            sbg_fit_source, sbg_fit_note
        from marts.retention_curves
        order by segment, interval_months, periods_since_start
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cltv_fit_quality(warehouse: WarehouseId) -> pd.DataFrame:
    """One row per fitted group of the predicted CLTV: its model, fit against constant churn, holdout error."""
    return run_query(
        warehouse,
        """
        select segment, interval_months, fit_source, fit_note, customers, churned_customers, periods_observed,
            period_churn_rate, likelihood_ratio, holdout_periods, holdout_customers, holdout_mean_abs_error
        from marts.cltv_fit_quality
        order by interval_months, segment = 'all' desc, segment
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cltv_mrr_by_fit_source(warehouse: WarehouseId) -> pd.DataFrame:
    """Current MRR of the paying customers per kind of model their predicted CLTV comes from."""
    return run_query(
        warehouse,
        """
        select
            coalesce(sbg_fit_source, 'none') as sbg_fit_source,
            count(*) as customers,
            sum(current_mrr) as current_mrr,
            sum(case when cltv_predicted is null then current_mrr else 0 end) as mrr_without_prediction
        from marts.customer_cltv
        where current_mrr > 0
        group by 1
        order by 1
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def satisfaction(warehouse: WarehouseId, dimension: str, value: str) -> pd.DataFrame:
    """NPS, CSAT and response rate per month, overall or for one segment."""
    return run_query(
        warehouse,
        """
        select month, nps, promoters, passives, detractors, nps_answers, csat, csat_satisfied, csat_answers,
            answers, surveys_sent, surveys_answered, response_rate
        from marts.satisfaction_monthly
        where dimension = ? and dimension_value = ?
        order by month
        """,
        [dimension, value],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def raw_row_accounting(warehouse: WarehouseId) -> pd.DataFrame:
    """Raw rows per table by outcome (staged, quarantined by reason, collapsed duplicate)."""
    return run_query(
        warehouse,
        """
        select table_name, outcome, reason, row_count, table_raw_rows, share_of_raw_rows
        from marts.raw_row_accounting
        order by table_name, outcome, reason
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def data_quality_runs(warehouse: WarehouseId) -> pd.DataFrame:
    """The validation runs recorded in the published warehouse (successful runs up to this build)."""
    return run_query(warehouse, "select * from marts.data_quality_runs")


_HEALTH_COLUMNS = """
    customer_id, as_of_date, risk_tier, risk_score, risk_model, current_mrr, signals, days_since_last_activity,
    activity_last_30d, activity_prev_30d, activity_change_pct, tenure_months, segment, country,
    acquisition_channel, plan_interval
"""


@st.cache_data(show_spinner=False, max_entries=64)
def health_list_date(warehouse: WarehouseId) -> date | None:
    """The day today's health list was taken on."""
    frame = run_query(warehouse, "select max(as_of_date) as as_of_date from marts.customer_health")
    day = frame["as_of_date"].iloc[0]
    return None if pd.isna(day) else pd.Timestamp(day).date()


@st.cache_data(show_spinner=False, max_entries=64)
def health_options(warehouse: WarehouseId) -> dict[str, list[str]]:
    """The tiers, segments and plan intervals present in today's health list, for the page's filters."""
    frame = run_query(
        warehouse,
        """
        select 'risk_tier' as field, risk_tier as value from marts.customer_health
        union
        select 'segment' as field, segment as value from marts.customer_health
        union
        select 'plan_interval' as field, plan_interval as value from marts.customer_health
        order by field, value
        """,
    )
    return {field: frame.loc[frame["field"] == field, "value"].tolist() for field in ("risk_tier", "segment",
                                                                                     "plan_interval")}


@st.cache_data(show_spinner=False, max_entries=64)
def at_risk_customers(
    warehouse: WarehouseId,
    tiers: tuple[str, ...],
    signals: tuple[str, ...],
    segments: tuple[str, ...],
    plans: tuple[str, ...],
    dimension: str,
    value: str,
) -> pd.DataFrame:
    """Today's health list filtered by tier, signal (any of them fires), segment, plan and the global filter,
    largest MRR at risk first. An empty signal, segment or plan choice means no filter on it."""
    return run_query(
        warehouse,
        f"""
        select {_HEALTH_COLUMNS}
        from marts.customer_health as customers
        where risk_tier = any(cast(? as varchar[]))
            and (cardinality(cast(? as varchar[])) = 0
                or cast(string_to_array(signals, ', ') as varchar[]) && cast(? as varchar[]))
            and (cardinality(cast(? as varchar[])) = 0 or segment = any(cast(? as varchar[])))
            and (cardinality(cast(? as varchar[])) = 0 or plan_interval = any(cast(? as varchar[])))
            and {_DIMENSION_VALUE_OF_CUSTOMER} = ?
        order by current_mrr desc, risk_score desc, customer_id
        """,
        [list(tiers), list(signals), list(signals), list(segments), list(segments), list(plans), list(plans),
         dimension, value],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def health_totals(warehouse: WarehouseId, dimension: str, value: str) -> pd.DataFrame:
    """Customers and MRR per risk tier today, within the global filter."""
    return run_query(
        warehouse,
        f"""
        select risk_tier, count(*) as customers, sum(current_mrr) as mrr
        from marts.customer_health as customers
        where {_DIMENSION_VALUE_OF_CUSTOMER} = ?
        group by risk_tier
        """,
        [dimension, value],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def health_alert_count(warehouse: WarehouseId, dimension: str, value: str) -> int:
    """Customers who turned high-risk since the last month end (marts.health_alerts), within the global filter."""
    frame = run_query(
        warehouse,
        f"""
        select count(*) as alerts
        from marts.health_alerts as customers
        where {_DIMENSION_VALUE_OF_CUSTOMER} = ?
        """,
        [dimension, value],
    )
    return int(frame["alerts"].iloc[0])


@st.cache_data(show_spinner=False, max_entries=64)
def health_history(warehouse: WarehouseId, dimension: str, value: str) -> pd.DataFrame:
    """Customers and MRR per risk tier at every past month end, within the global filter."""
    return run_query(
        warehouse,
        f"""
        select month, risk_tier, count(*) as customers, sum(current_mrr) as mrr
        from marts.customer_health_history as customers
        where {_DIMENSION_VALUE_OF_CUSTOMER} = ?
        group by month, risk_tier
        order by month, risk_tier
        """,
        [dimension, value],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def health_backtest(warehouse: WarehouseId) -> pd.DataFrame:
    """How well the risk score predicted churn at each past month end (all customers)."""
    return run_query(
        warehouse,
        """
        select month, month_end, risk_model, customers_scored, customers_churned, churn_rate, roc_auc,
            high_tier_customers, high_tier_precision, high_tier_recall, low_tier_churn_rate, medium_tier_churn_rate,
            high_tier_churn_rate
        from marts.health_backtest
        order by month
        """,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def at_risk_csv(
    warehouse: WarehouseId,
    tiers: tuple[str, ...],
    signals: tuple[str, ...],
    segments: tuple[str, ...],
    plans: tuple[str, ...],
    dimension: str,
    value: str,
) -> str:
    """The filtered health list as CSV for a CRM (built when the download is asked for, then cached)."""
    from lib.figures import at_risk_export

    return at_risk_export(at_risk_customers(warehouse, tiers, signals, segments, plans, dimension, value))


# ------------------------------------------------------------------ Outlook (docs/metrics.md, Outlook)


@st.cache_data(show_spinner=False, max_entries=64)
def mrr_outlook(warehouse: WarehouseId) -> pd.DataFrame:
    """Months 0 to 12: the forecast with its band and parts beside committed MRR."""
    return run_query(
        warehouse,
        """
        select forecast.month, forecast.months_ahead, forecast.forecast_mrr, forecast.existing_mrr,
            forecast.new_business_mrr, forecast.low_mrr, forecast.high_mrr, committed.committed_mrr,
            committed.scheduled_churn_mrr, committed.scheduled_contraction_mrr
        from marts.mrr_forecast as forecast
        left join marts.committed_mrr_monthly as committed on forecast.months_ahead = committed.months_ahead
        order by forecast.months_ahead
        """,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def forecast_backtest(warehouse: WarehouseId) -> pd.DataFrame:
    """MAPE, bias and band coverage per method and horizon."""
    return run_query(warehouse, "select * from marts.mrr_forecast_backtest order by months_ahead, method")


@st.cache_data(show_spinner=False, max_entries=64)
def renewal_calendar(warehouse: WarehouseId) -> pd.DataFrame:
    """ARR renewing and at risk per renewal month and segment."""
    return run_query(warehouse, "select * from marts.renewal_calendar order by renewal_month, segment")


@st.cache_data(show_spinner=False, max_entries=64)
def upcoming_renewals(warehouse: WarehouseId) -> pd.DataFrame:
    """The renewals of the next 90 days, largest ARR first."""
    return run_query(
        warehouse,
        """
        select customer_id, subscription_id, renewal_date, plan_interval, segment, arr_renewing, risk_score,
            risk_tier, risk_weighted_arr, signals, is_cancellation_scheduled
        from marts.upcoming_renewals
        where is_within_90_days
        order by arr_rank
        """,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def upcoming_renewals_csv(warehouse: WarehouseId) -> str:
    """The renewals of the next 90 days as CSV (built when the download is asked for, then cached)."""
    return upcoming_renewals(warehouse).to_csv(index=False)
