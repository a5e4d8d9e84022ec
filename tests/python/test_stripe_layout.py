"""The generator's Stripe layout: the Fivetran-style tables, the rows a real export holds besides the business
data, and, read by the rules of the Stripe source (excluded rows left out, minor units divided, statuses
mapped), exactly the billing rows of the contract layout of the same seed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churn_warehouse.generator import TABLES, generate, main
from churn_warehouse.stripe_layout import STRIPE_TABLES

END = date(2025, 6, 20)
CUSTOMERS, MONTHS, SEED = 300, 24, 42
NON_BILLING = ("exchange_rates", "events", "survey_responses", "support_tickets")

TEXT, TS, INT, FLAG = pa.string(), pa.timestamp("us"), pa.int64(), pa.bool_()
# The columns the package reads from each Stripe table, with the types the connector gives them.
READ_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "customer": {"id": TEXT, "created": TS, "address_country": TEXT, "metadata": TEXT, "livemode": FLAG,
                 "is_deleted": FLAG},
    "price": {"id": TEXT, "nickname": TEXT, "currency": TEXT, "unit_amount": INT, "recurring_interval": TEXT,
              "recurring_interval_count": INT, "type": TEXT, "livemode": FLAG, "is_deleted": FLAG},
    "plan": {"id": TEXT, "nickname": TEXT, "currency": TEXT, "amount": INT, "interval": TEXT,
             "interval_count": INT, "livemode": FLAG, "is_deleted": FLAG},
    "subscription_history": {"id": TEXT, "customer_id": TEXT, "status": TEXT, "trial_start": TS, "trial_end": TS,
                             "start_date": TS, "canceled_at": TS, "ended_at": TS, "cancel_at": TS,
                             "cancellation_details_reason": TEXT, "cancellation_details_feedback": TEXT,
                             "livemode": FLAG, "_fivetran_start": TS, "_fivetran_active": FLAG},
    "subscription_item": {"id": TEXT, "subscription_id": TEXT, "price_id": TEXT, "plan_id": TEXT, "created": TS},
    "invoice": {"id": TEXT, "customer_id": TEXT, "subscription_id": TEXT, "created": TS, "currency": TEXT,
                "status": TEXT, "livemode": FLAG},
    "invoice_line_item": {"id": TEXT, "unique_id": TEXT, "invoice_id": TEXT, "type": TEXT, "proration": FLAG,
                          "price_id": TEXT, "plan_id": TEXT, "quantity": INT, "amount": INT, "discount_amount": INT,
                          "period_start": TS, "period_end": TS, "livemode": FLAG},
    "charge": {"id": TEXT, "invoice_id": TEXT, "created": TS, "amount": INT, "currency": TEXT, "status": TEXT,
               "failure_code": TEXT, "livemode": FLAG},
    "refund": {"id": TEXT, "charge_id": TEXT, "amount": INT, "currency": TEXT, "created": TS, "status": TEXT},
}

# The Stripe source's rules, written out plainly as the test's own oracle: each contract billing table read back
# from the Stripe files. Money: divided by 10^digits (JPY 0); excluded rows: test mode (inherited through what a
# row points to), deleted, superseded versions, drafts with their lines, pending charges, one-time prices,
# refunds that did not succeed.
READ_BACK = {
    "customers": """
        select id as customer_id, created as created_at, address_country as country,
            json_extract_string(metadata, '$.segment') as segment,
            json_extract_string(metadata, '$.acquisition_channel') as acquisition_channel
        from s_customer where livemode and not is_deleted""",
    "plans": """
        select id as plan_id, nickname as plan_name,
            recurring_interval_count * case recurring_interval when 'year' then 12 else 1 end as interval_months,
            upper(currency) as currency, major(unit_amount, currency) as list_price
        from s_price where livemode and not is_deleted and type = 'recurring'""",
    "subscriptions": """
        with live as (
            select * from s_subscription_history where livemode and _fivetran_active
        ),
        first_item as (
            select subscription_id, arg_min(coalesce(price_id, plan_id), (created, id)) as plan_id
            from s_subscription_item group by 1
        )
        select id as subscription_id, customer_id, i.plan_id,
            case status when 'unpaid' then 'past_due' when 'incomplete' then 'past_due'
                when 'incomplete_expired' then 'canceled' else status end as status,
            trial_start as trial_start_at, trial_end as trial_end_at,
            case when status in ('trialing', 'incomplete', 'incomplete_expired')
                    or (trial_end is not null and canceled_at <= trial_end) then null
                else coalesce(trial_end, start_date) end as started_at,
            canceled_at,
            case when cancellation_details_reason in ('payment_failed', 'payment_disputed') then 'payment_failed'
                else cancellation_details_feedback end as cancel_reason,
            cancel_at
        from live left join first_item i on i.subscription_id = live.id""",
    "invoices": """
        select id as invoice_id, customer_id, subscription_id, created as issued_at, upper(currency) as currency,
            status
        from s_invoice where livemode and status <> 'draft'""",
    "invoice_lines": """
        select l.unique_id as line_id, l.invoice_id,
            case when l.proration then 'proration' when l.type = 'subscription' then 'subscription'
                else 'one_time' end as line_type,
            coalesce(l.price_id, l.plan_id) as plan_id, l.quantity,
            major(l.amount - coalesce(l.discount_amount, 0), l.currency) as amount,
            case when not (l.type = 'invoiceitem' and not l.proration and l.period_start = l.period_end)
                then cast(l.period_start as date) end as period_start,
            case when not (l.type = 'invoiceitem' and not l.proration and l.period_start = l.period_end)
                then cast(l.period_end as date) end as period_end,
            case when not (l.type = 'invoiceitem' and not l.proration and l.period_start = l.period_end)
                then p.recurring_interval_count * case p.recurring_interval when 'year' then 12 else 1 end
            end as interval_months
        from s_invoice_line_item l
        join s_invoice i on i.id = l.invoice_id
        left join s_price p on p.id = coalesce(l.price_id, l.plan_id)
        where l.livemode and i.livemode and i.status <> 'draft'""",
    "payments": """
        select id as payment_id, invoice_id, created as attempted_at, major(amount, currency) as amount,
            upper(currency) as currency, 'charge' as payment_type, status, failure_code as failure_reason
        from s_charge where livemode and status <> 'pending'
        union all
        select r.id, c.invoice_id, r.created, -major(r.amount, r.currency), upper(r.currency), 'refund',
            'succeeded', null
        from s_refund r join (select distinct id, invoice_id, livemode from s_charge) c on c.id = r.charge_id
        where c.livemode and r.status = 'succeeded'""",
}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    """The same seed written twice: in the contract layout and in the Stripe layout (with its row counts)."""
    contract, stripe = tmp_path_factory.mktemp("contract"), tmp_path_factory.mktemp("stripe")
    generate(contract, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END)
    rows = generate(stripe, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END, billing_source="stripe")
    return contract, stripe, rows


@pytest.fixture(scope="module")
def db(worlds) -> duckdb.DuckDBPyConnection:
    """Views `c_<contract table>` and `s_<stripe table>` over the two layouts, and `major(amount, currency)`."""
    contract, stripe, _ = worlds
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"create view c_{table} as select * from read_parquet('{contract / f'{table}.parquet'}')")
    for table in STRIPE_TABLES:
        con.execute(f"create view s_{table} as select * from read_parquet('{stripe / 'stripe' / f'{table}.parquet'}')")
    con.execute("create macro major(amount, currency) as "
                "cast(amount as decimal(18, 2)) / case when upper(currency) = 'JPY' then 1 else 100 end")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def test_writes_the_stripe_tables_under_stripe_and_the_non_billing_tables_as_before(worlds) -> None:
    contract, stripe, rows = worlds
    assert sorted(p.name for p in stripe.glob("*.parquet")) == sorted(f"{t}.parquet" for t in NON_BILLING)
    assert sorted(p.stem for p in (stripe / "stripe").glob("*.parquet")) == sorted(STRIPE_TABLES)
    assert set(rows) == set(NON_BILLING) | {f"stripe/{t}" for t in STRIPE_TABLES}
    for table in NON_BILLING:
        assert (stripe / f"{table}.parquet").read_bytes() == (contract / f"{table}.parquet").read_bytes(), table
    for table, columns in READ_COLUMNS.items():
        schema = pq.read_schema(stripe / "stripe" / f"{table}.parquet")
        assert rows[f"stripe/{table}"] == pq.read_metadata(stripe / "stripe" / f"{table}.parquet").num_rows > 0
        for name, expected in columns.items():
            assert schema.field(name).type == expected, f"{table}.{name}: {schema.field(name).type}"


@pytest.mark.parametrize("table", list(READ_BACK))
def test_stripe_rows_read_by_the_source_rules_are_the_contract_rows(db, table) -> None:
    """Row for row, both ways (as multisets): nothing missing, nothing extra, money to the cent."""
    read_back = READ_BACK[table]
    columns = ", ".join(column for column, in db.execute(f"select name from pragma_table_info('c_{table}')").fetchall())
    missing = db.execute(f"select {columns} from c_{table} except all select {columns} from ({read_back})").fetchall()
    extra = db.execute(f"select {columns} from ({read_back}) except all select {columns} from c_{table}").fetchall()
    assert (missing[:3], extra[:3]) == ([], []), f"{table}: {len(missing)} missing, {len(extra)} extra"
    assert scalar(db, f"select count(*) from ({read_back})") == scalar(db, f"select count(*) from c_{table}") > 0


def test_the_export_holds_what_real_stripe_exports_hold(db) -> None:
    def count(sql: str) -> int:
        return scalar(db, f"select count(*) from {sql}")

    versions = db.execute("""select count(*), count(distinct id), count(*) filter (where _fivetran_active),
        count(distinct (id, _fivetran_start)) from s_subscription_history""").fetchall()[0]
    assert versions[0] >= 2 * versions[1] and versions[2] == versions[1] and versions[3] == versions[0]
    for table in ("customer", "price", "subscription_history", "invoice", "invoice_line_item", "charge"):
        assert count(f"s_{table} where not livemode") >= 1, table
    assert count("s_customer where not livemode") == 1  # one test customer ...
    test_customer = scalar(db, "select id from s_customer where not livemode")
    assert count(f"s_invoice where customer_id = '{test_customer}'") >= 1  # ... with its objects
    assert count("s_refund r join s_charge c on c.id = r.charge_id where not c.livemode") >= 1
    assert count("s_customer where is_deleted") >= 1 and count("s_price where is_deleted") >= 1
    assert count("s_price where type = 'one_time'") >= 1
    assert count("s_invoice_line_item l join s_invoice i on i.id = l.invoice_id where i.status = 'draft'") >= 1
    assert count("s_charge where status = 'pending'") >= 1
    assert count("s_refund where status = 'succeeded'") >= 1 and count("s_refund where status <> 'succeeded'") >= 1
    assert count("s_invoice_line_item where proration and type = 'invoiceitem'") >= 1
    assert count("s_invoice_line_item where proration and type = 'subscription'") >= 1
    assert count("s_invoice_line_item where type = 'invoiceitem' and not proration "
                 "and period_start = period_end and price_id is null") >= 10
    assert count("s_invoice_line_item where discount_amount > 0") >= 1
    assert count("(select id from s_invoice_line_item group by 1 having count(*) > 1)") >= 1  # id repeats ...
    assert count("(select unique_id from s_invoice_line_item group by 1 having count(*) > 1)") == 0  # ... unique_id not
    assert count("s_invoice where currency <> lower(currency)") == 0
    jpy = db.execute("select min(unit_amount), count(*) from s_price where currency = 'jpy'").fetchall()[0]
    assert jpy[1] >= 20 and jpy[0] >= 1000  # whole yen: 1250 JPY is 1250, not 125000
    assert count("s_invoice where currency = 'jpy'") >= 10


def test_the_contract_world_has_a_zero_decimal_currency_in_whole_units(db) -> None:
    """JPY customers, their rates and amounts without fractions, in the contract layout too."""
    assert scalar(db, "select count(*) from c_customers where country = 'JP'") >= 3
    assert scalar(db, "select count(*) from c_exchange_rates where currency = 'JPY'") > 300
    assert scalar(db, """select count(*) from c_invoice_lines l join c_invoices i using (invoice_id)
        where i.currency = 'JPY'""") >= 10
    fractions = """select count(*) from c_invoice_lines l join c_invoices i using (invoice_id)
        where i.currency = 'JPY' and l.amount <> round(l.amount)"""
    assert scalar(db, fractions) == 0
    assert scalar(db, "select count(*) from c_payments where currency = 'JPY' and amount <> round(amount)") == 0


def test_same_seed_gives_byte_identical_stripe_files(worlds, tmp_path: Path) -> None:
    _, stripe, _ = worlds
    generate(tmp_path, customers=CUSTOMERS, months=MONTHS, seed=SEED, end_date=END, billing_source="stripe")
    for table in STRIPE_TABLES:
        again = (tmp_path / "stripe" / f"{table}.parquet").read_bytes()
        assert again == (stripe / "stripe" / f"{table}.parquet").read_bytes(), table


def test_cli_writes_the_stripe_layout_and_refuses_an_unknown_source(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--customers", "40", "--months", "6", "--seed", "3",
                 "--end-date", "2024-03-31", "--billing-source", "stripe"]) == 0
    assert "stripe/invoice_line_item: " in capsys.readouterr().out
    assert (tmp_path / "stripe" / "charge.parquet").is_file() and not (tmp_path / "payments.parquet").exists()
    with pytest.raises(ValueError, match="billing_source must be one of"):
        generate(tmp_path, customers=5, months=3, billing_source="chargebee")


def test_package_generate_keeps_the_stripe_sample_apart_and_regenerates_when_the_layout_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from churn_warehouse import __main__ as cli

    monkeypatch.setitem(cli.DEFAULT_RAW_PATHS, "stripe", tmp_path / "raw_stripe")
    small = ["--customers", "30", "--months", "4", "--end-date", "2024-03-31"]
    assert cli.main(["generate", "--billing-source", "stripe", *small]) == 0
    assert (tmp_path / "raw_stripe" / "stripe" / "invoice.parquet").is_file()
    assert cli.parse_args(["build", "--raw-path", "x", "--billing-source", "stripe"]).billing_source == "stripe"
    assert cli.parse_args(["demo"]).billing_source == "contract"
    raw = tmp_path / "raw_stripe"
    cli.generate_sample(raw, 30, 4, 42, date(2024, 3, 31), force=False, billing_source="stripe")
    assert "reusing" in capsys.readouterr().out
    cli.generate_sample(raw, 30, 4, 42, date(2024, 3, 31), force=False)
    assert "generating" in capsys.readouterr().out and (raw / "payments.parquet").is_file()
