"""The sample-data generator writes the ten raw tables of docs/raw_contract.md, deterministically and realistically."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churn_warehouse.generator import TABLES, default_stop, generate, main

END = date(2025, 6, 20)
CUSTOMERS, MONTHS, SEED = 300, 24, 42

TEXT, TS, DAY, INT, MONEY = pa.string(), pa.timestamp("us"), pa.date32(), pa.int64(), pa.decimal128(18, 2)
CONTRACT: dict[str, dict[str, pa.DataType]] = {
    "customers": {"customer_id": TEXT, "created_at": TS, "country": TEXT, "segment": TEXT,
                  "acquisition_channel": TEXT},
    "plans": {"plan_id": TEXT, "plan_name": TEXT, "interval_months": INT, "currency": TEXT, "list_price": MONEY},
    "subscriptions": {"subscription_id": TEXT, "customer_id": TEXT, "plan_id": TEXT, "status": TEXT,
                      "trial_start_at": TS, "trial_end_at": TS, "started_at": TS, "canceled_at": TS,
                      "cancel_reason": TEXT, "cancel_at": TS},
    "invoices": {"invoice_id": TEXT, "customer_id": TEXT, "subscription_id": TEXT, "issued_at": TS,
                 "currency": TEXT, "status": TEXT},
    "invoice_lines": {"line_id": TEXT, "invoice_id": TEXT, "line_type": TEXT, "plan_id": TEXT, "quantity": INT,
                      "amount": MONEY, "period_start": DAY, "period_end": DAY, "interval_months": INT},
    "payments": {"payment_id": TEXT, "invoice_id": TEXT, "attempted_at": TS, "amount": MONEY, "currency": TEXT,
                 "payment_type": TEXT, "status": TEXT, "failure_reason": TEXT},
    "exchange_rates": {"rate_date": DAY, "currency": TEXT, "rate_to_reporting": pa.decimal128(18, 6)},
    "events": {"event_id": TEXT, "customer_id": TEXT, "user_id": TEXT, "event_name": TEXT, "occurred_at": TS,
               "properties": TEXT},
    "survey_responses": {"response_id": TEXT, "customer_id": TEXT, "survey_type": TEXT, "sent_at": TS,
                         "responded_at": TS, "score": INT, "comment": TEXT},
    "support_tickets": {"ticket_id": TEXT, "customer_id": TEXT, "opened_at": TS, "resolved_at": TS,
                        "category": TEXT, "priority": TEXT, "is_complaint": pa.bool_()},
}
KEYS = {"customers": "customer_id", "plans": "plan_id", "subscriptions": "subscription_id",
        "invoices": "invoice_id", "invoice_lines": "line_id", "payments": "payment_id", "events": "event_id",
        "survey_responses": "response_id", "support_tickets": "ticket_id"}
HAPPENED_AT = {"customers": ["created_at"], "subscriptions": ["trial_start_at", "started_at", "canceled_at"],
               "invoices": ["issued_at"], "payments": ["attempted_at"], "events": ["occurred_at"],
               "survey_responses": ["sent_at", "responded_at"], "support_tickets": ["opened_at", "resolved_at"]}


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], list[str]]:
    """One small generated data set: its directory, the returned row counts and the progress messages."""
    out = tmp_path_factory.mktemp("raw")
    messages: list[str] = []
    rows = generate(out, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END, progress=messages.append)
    return out, rows, messages


@pytest.fixture(scope="module")
def db(raw: tuple[Path, dict[str, int], list[str]]) -> duckdb.DuckDBPyConnection:
    """DuckDB views named after the ten tables, over the generated files."""
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"create view {table} as select * from read_parquet('{raw[0] / f'{table}.parquet'}')")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """First value of the first row."""
    return con.execute(sql).fetchone()[0]


def test_writes_the_ten_tables_with_exactly_the_contract_columns_and_types(raw) -> None:
    out, _, _ = raw
    assert sorted(p.stem for p in out.glob("*.parquet")) == sorted(CONTRACT)
    for table, columns in CONTRACT.items():
        schema = pq.read_schema(out / f"{table}.parquet")
        assert schema.names == list(columns), table
        for name, expected in columns.items():
            assert schema.field(name).type == expected, f"{table}.{name}: {schema.field(name).type}"


def test_returns_rows_per_table_and_reports_progress_for_each(raw) -> None:
    out, rows, messages = raw
    assert set(rows) == set(TABLES)
    for table in TABLES:
        assert rows[table] == pq.read_metadata(out / f"{table}.parquet").num_rows > 0
    assert [m.split(":")[0] for m in messages] == list(TABLES)


def test_same_seed_and_arguments_give_byte_identical_files(raw, tmp_path: Path) -> None:
    out, _, _ = raw
    generate(tmp_path, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END)
    for table in TABLES:
        assert (tmp_path / f"{table}.parquet").read_bytes() == (out / f"{table}.parquet").read_bytes(), table


def test_another_seed_gives_other_data(raw, tmp_path: Path) -> None:
    out, _, _ = raw
    generate(tmp_path, customers=CUSTOMERS, months=MONTHS, seed=SEED + 1, end_date=END)
    assert not pq.read_table(tmp_path / "events.parquet").equals(pq.read_table(out / "events.parquet"))


def test_nothing_that_happened_is_dated_after_end_date(db) -> None:
    for table, columns in HAPPENED_AT.items():
        for column in columns:
            assert scalar(db, f"select count(*) from {table} where {column}::date > date '{END}'") == 0, column
            assert scalar(db, f"select max({column})::date from {table}") >= END - timedelta(days=31), column
    assert scalar(db, f"select max(rate_date) from exchange_rates") == END
    assert date(2023, 7, 1) <= scalar(db, "select min(created_at)::date from customers") < date(2023, 7, 8)


def test_a_history_stopped_within_its_last_day_holds_nothing_later(tmp_path: Path) -> None:
    noon = datetime(END.year, END.month, END.day, 12)
    generate(tmp_path, customers=CUSTOMERS, months=3, seed=SEED, end_date=END, until=noon)
    con = duckdb.connect()
    for table, columns in HAPPENED_AT.items():
        for column in columns:
            latest = scalar(con, f"select max({column}) from read_parquet('{tmp_path / f'{table}.parquet'}')")
            assert latest < noon, f"{table}.{column}: {latest}"
    morning = scalar(con, f"select count(*) from read_parquet('{tmp_path / 'events.parquet'}') "
                          f"where occurred_at >= timestamp '{END}'")
    assert morning > 0  # the last day is there up to noon, not left out


def test_a_history_ending_today_stops_at_the_start_of_this_hour_and_an_earlier_one_runs_to_its_end() -> None:
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    stop = default_stop(before.date())
    assert (stop.minute, stop.second, stop.microsecond) == (0, 0, 0)
    assert before - timedelta(hours=1) < stop <= datetime.now(timezone.utc).replace(tzinfo=None)
    assert default_stop(before.date() - timedelta(days=1)) is None


def test_keys_are_unique_except_a_few_exact_duplicate_rows(db) -> None:
    for table, key in KEYS.items():
        rows, keys = db.execute(f"select count(*), count(distinct {key}) from {table}").fetchone()
        distinct_rows = scalar(db, f"select count(*) from (select distinct * from {table})")
        assert rows - keys == rows - distinct_rows, f"{table}: a repeated key on rows that differ"
        assert rows - keys <= 0.005 * rows, table
    assert scalar(db, "select count(*) - count(distinct event_id) from events") >= 3
    assert scalar(db, "select count(*) - count(distinct payment_id) from payments") >= 1
    assert scalar(db, "select count(*) - count(distinct (rate_date, currency)) from exchange_rates") == 0


def test_a_few_orphans_and_one_bad_score_are_injected_and_nothing_else(db) -> None:
    orphans = {t: scalar(db, f"select count(*) from {t} where customer_id not in (select customer_id from customers)")
               for t in ("subscriptions", "invoices", "events", "survey_responses", "support_tickets")}
    assert orphans["subscriptions"] == orphans["invoices"] == orphans["survey_responses"] == 0
    assert 1 <= orphans["events"] <= 0.001 * scalar(db, "select count(*) from events")
    assert 1 <= orphans["support_tickets"] <= 0.005 * scalar(db, "select count(*) from support_tickets")
    bad_scores = scalar(db, """select count(*) from survey_responses where score not between
        case survey_type when 'nps' then 0 else 1 end and case survey_type when 'nps' then 10 else 5 end""")
    assert bad_scores == 1
    for table in ("invoice_lines", "payments"):
        orphan_sql = f"select count(*) from {table} where invoice_id not in (select invoice_id from invoices)"
        assert scalar(db, orphan_sql) == 0, table


def test_bad_rows_can_be_left_out(tmp_path: Path) -> None:
    generate(tmp_path, customers=60, months=12, seed=SEED, end_date=END, bad_rows=False)
    con = duckdb.connect()
    for table, key in KEYS.items():
        rows, keys = con.execute(f"select count(*), count(distinct {key}) "
                                 f"from read_parquet('{tmp_path / f'{table}.parquet'}')").fetchone()
        assert rows == keys, table
    events, customers = (f"read_parquet('{tmp_path / f'{t}.parquet'}')" for t in ("events", "customers"))
    assert scalar(con, f"select count(*) from {events} "
                       f"where customer_id not in (select customer_id from {customers})") == 0


def test_three_foreign_currencies_have_a_rate_every_day_from_before_the_first_invoice(db) -> None:
    assert scalar(db, "select count(distinct currency) from invoices") >= 3
    assert scalar(db, "select count(*) from exchange_rates where currency = 'USD'") == 0
    first_invoice = scalar(db, "select min(issued_at)::date from invoices")
    for currency, first, last, days in db.execute(
        "select currency, min(rate_date), max(rate_date), count(*) from exchange_rates group by 1"
    ).fetchall():
        assert first <= first_invoice - timedelta(days=40), currency
        assert days == (last - first).days + 1, f"{currency} has a gap"
    assert scalar(db, """select count(*) from invoices i where currency <> 'USD' and not exists (
        select 1 from exchange_rates r where r.currency = i.currency and r.rate_date = i.issued_at::date)""") == 0


def test_every_billing_interval_appears_in_plans_and_lines(db) -> None:
    expected = [(1,), (3,), (6,), (12,)]
    assert db.execute("select distinct interval_months from plans order by 1").fetchall() == expected
    assert db.execute("select distinct interval_months from invoice_lines "
                      "where line_type = 'subscription' order by 1").fetchall() == expected
    assert scalar(db, "select count(*) from plans p join invoice_lines l using (plan_id) join invoices i "
                      "using (invoice_id) where p.currency <> i.currency") == 0


def test_subscription_lines_cover_interval_months_and_only_prorations_go_negative(db) -> None:
    assert scalar(db, """select count(*) from invoice_lines where line_type = 'subscription'
        and period_end <> (period_start + to_months(interval_months))::date""") == 0
    assert scalar(db, "select count(*) from invoice_lines where line_type <> 'proration' and amount < 0") == 0
    assert scalar(db, "select count(*) from invoice_lines where line_type = 'proration' "
                      "and period_end <= period_start") == 0


def test_billing_shows_prorations_add_ons_one_offs_voids_and_open_invoices(db) -> None:
    def lines(where: str) -> int:
        return scalar(db, f"select count(*) from invoice_lines where {where}")

    assert lines("line_type = 'proration' and amount > 0") >= 3  # upgrades
    assert lines("line_type = 'proration' and amount < 0") >= 3  # downgrade credits
    assert lines("line_type = 'one_time' and plan_id is null and period_start is null") >= 10
    assert scalar(db, """select count(*) from invoice_lines a join invoice_lines b using (invoice_id)
        where a.line_type = 'subscription' and b.line_type = 'subscription' and a.line_id < b.line_id
        and a.period_start = b.period_start""") >= 3  # add-on beside the plan
    statuses = dict(db.execute("select status, count(*) from invoices group by 1").fetchall())
    assert statuses["paid"] > 0.9 * sum(statuses.values())
    assert statuses.get("void", 0) >= 1 and statuses.get("uncollectible", 0) >= 1 and statuses.get("open", 0) >= 1
    assert scalar(db, "select count(*) from invoices where subscription_id is null") >= 10


def test_one_off_buyers_repeat_and_drop_out(db) -> None:
    counts = [n for (n,) in db.execute(
        "select count(*) from invoices where subscription_id is null group by customer_id").fetchall()]
    assert sum(n == 1 for n in counts) > 0 and sum(n >= 3 for n in counts) >= 5


def test_payments_fail_retry_and_refund(db) -> None:
    assert scalar(db, "select count(distinct failure_reason) from payments where status = 'failed'") == 3
    assert scalar(db, "select count(*) from payments where status = 'succeeded' and failure_reason is not null") == 0
    assert scalar(db, "select count(*) from payments where payment_type = 'refund' and amount < 0") >= 1
    retried_then_paid = scalar(db, """select count(*) from (select invoice_id from payments group by 1
        having bool_or(status = 'failed') and bool_or(status = 'succeeded' and payment_type = 'charge'))""")
    assert retried_then_paid >= 5


def test_involuntary_churn_comes_after_failed_payments(db) -> None:
    canceled, preceded = db.execute("""
        select count(*), count(*) filter (where exists (
            select 1 from invoices i join payments p using (invoice_id)
            where i.subscription_id = s.subscription_id and p.status = 'failed'
              and p.attempted_at between s.canceled_at - interval 30 day and s.canceled_at))
        from subscriptions s where cancel_reason = 'payment_failed'""").fetchone()
    assert canceled >= 3 and preceded == canceled


def test_trials_pauses_statuses_and_reactivations_all_occur(db) -> None:
    statuses = dict(db.execute("select status, count(*) from subscriptions group by 1").fetchall())
    assert {"trialing", "active", "canceled"} <= set(statuses)
    assert set(statuses) <= {"trialing", "active", "past_due", "paused", "canceled"}
    lapsed = scalar(db, """select count(*) from subscriptions s where trial_start_at is not null and started_at is null
        and status = 'canceled'
        and not exists (select 1 from invoices i where i.subscription_id = s.subscription_id)""")
    assert lapsed >= 5
    assert scalar(db, "select count(*) from subscriptions "
                      "where started_at is null and status not in ('trialing', 'canceled')") == 0
    pause_gaps = scalar(db, """with l as (select i.subscription_id, l.period_start, l.period_end,
            lead(l.period_start) over (partition by i.subscription_id order by l.period_start) as next_start
        from invoice_lines l join invoices i using (invoice_id)
        where l.line_type = 'subscription' and l.plan_id not like 'analytics_addon%')
        select count(distinct subscription_id) from l where next_start >= period_end + interval 25 day""")
    assert pause_gaps >= 1
    reactivated = scalar(db, """select count(distinct a.customer_id) from subscriptions a join subscriptions b
        on a.customer_id = b.customer_id and b.started_at > a.canceled_at""")
    assert reactivated >= 3
    reasons = {r for (r,) in db.execute(
        "select distinct cancel_reason from subscriptions where cancel_reason is not null").fetchall()}
    assert {"payment_failed", "too_expensive", "switched_service"} <= reasons


def activity_between(start: str, end: str) -> str:
    """SQL for one subscription's customer's activity (non-email events) in [start, end)."""
    return f"""(select count(*) from events e where e.customer_id = s.customer_id and e.event_name not like 'email%'
        and e.occurred_at >= {start} and e.occurred_at < {end})"""


VOLUNTARY = "s.cancel_reason is distinct from 'payment_failed' and s.started_at is not null"


def test_voluntary_churners_go_quiet_in_the_60_days_before_cancelling(db) -> None:
    churners = scalar(db, f"""select avg({activity_between("s.canceled_at - interval 60 day", "s.canceled_at")})
        from subscriptions s where {VOLUNTARY} and s.canceled_at >= s.started_at + interval 90 day""")
    last_60_days = activity_between(f"timestamp '{END}' - interval 59 day", f"timestamp '{END}' + interval 1 day")
    stayers = scalar(db, f"""select avg({last_60_days})
        from subscriptions s where s.status = 'active' and s.started_at < timestamp '{END}' - interval 90 day""")
    assert churners < 0.6 * stayers, (churners, stayers)


def test_churners_were_as_busy_as_anyone_half_a_year_before_cancelling(db) -> None:
    last_60_days = activity_between("s.canceled_at - interval 60 day", "s.canceled_at")
    half_a_year_before = activity_between("s.canceled_at - interval 240 day", "s.canceled_at - interval 180 day")
    before, earlier, n = db.execute(f"""select avg({last_60_days}), avg({half_a_year_before}), count(*)
        from subscriptions s where {VOLUNTARY} and s.canceled_at >= s.started_at + interval 240 day""").fetchone()
    assert n >= 10 and before < 0.6 * earlier, (before, earlier, n)


def test_quiet_churners_stop_opening_emails_and_answering_surveys(db) -> None:
    def share(sql_filter: str, column: str) -> float:
        return scalar(db, f"""select avg(x) from (select (select {column} from {sql_filter}) as x
            from subscriptions s where s.cancel_reason is distinct from 'payment_failed' and s.started_at is not null
              and s.canceled_at >= s.started_at + interval 90 day)""")

    def baseline(sql_filter: str, column: str) -> float:
        return scalar(db, f"""select avg(x) from (select (select {column} from {sql_filter}) as x
            from subscriptions s where s.status = 'active' and s.started_at < timestamp '{END}' - interval 90 day)""")

    window = "and {t} >= {end} - interval 45 day and {t} < {end}"
    churn_end, stay_end = "s.canceled_at", f"timestamp '{END}' + interval 1 day"
    opens = "events e where e.customer_id = s.customer_id and e.event_name = 'email_opened' " + window
    answered = ("survey_responses r where r.customer_id = s.customer_id " + window.replace("{t}", "r.sent_at"))
    col = "count(*)"
    assert share(opens.format(t="e.occurred_at", end=churn_end), col) < 0.5 * baseline(
        opens.format(t="e.occurred_at", end=stay_end), col)
    rate = "avg(case when r.responded_at is null then 0.0 else 1.0 end)"
    assert share(answered.format(end=churn_end), rate) < 0.6 * baseline(answered.format(end=stay_end), rate)


def test_cli_prints_progress_per_table_and_total_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--customers", "40", "--months", "6", "--seed", "3",
                 "--end-date", "2024-03-31"]) == 0
    printed = capsys.readouterr().out
    for table in TABLES:
        assert f"{table}: " in printed
    assert "rows in 10 tables" in printed and printed.rstrip().endswith("s")
    assert len(list(tmp_path.glob("*.parquet"))) == 10


def test_some_voluntary_cancellations_are_scheduled_at_their_period_end(db) -> None:
    """cancel_at is set only on voluntary cancellations, at midnight after the requested one, on the end of the
    paid period (a period end of one of the subscription's lines); some still lie ahead of the end date."""
    wrong = scalar(db, """
        select count(*) from subscriptions
        where cancel_at is not null and (
            canceled_at is null or cancel_reason is not distinct from 'payment_failed' or cancel_at <= canceled_at
            or cast(cancel_at as time) <> time '00:00:00'
            or cast(cancel_at as date) not in (
                select l.period_end from invoice_lines l join invoices i using (invoice_id)
                where i.subscription_id = subscriptions.subscription_id))""")
    assert wrong == 0
    scheduled = scalar(db, "select count(*) from subscriptions where cancel_at is not null")
    voluntary = scalar(db, f"select count(*) from subscriptions s where s.canceled_at is not null and {VOLUNTARY}")
    assert 0.6 * voluntary < scheduled < voluntary
    assert scalar(db, f"select count(*) from subscriptions where cancel_at > timestamp '{END}'") > 0


def test_scheduled_cancellations_leave_the_rest_of_the_world_unchanged(raw, tmp_path: Path, monkeypatch) -> None:
    """cancel_at is drawn from its own random stream: without any, every other value is byte for byte the same."""
    import churn_warehouse.generator as generator

    out, _, _ = raw
    monkeypatch.setattr(generator, "CANCEL_AT_SHARE", 0.0)
    generate(tmp_path, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END)
    for table in TABLES:
        if table != "subscriptions":
            assert (tmp_path / f"{table}.parquet").read_bytes() == (out / f"{table}.parquet").read_bytes(), table
    without = pq.read_table(tmp_path / "subscriptions.parquet")
    assert without.column("cancel_at").null_count == without.num_rows
    assert without.drop(["cancel_at"]).equals(pq.read_table(out / "subscriptions.parquet").drop(["cancel_at"]))
