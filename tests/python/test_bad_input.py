"""Bad raw rows end in quarantine with the right reason, and every raw row is accounted for.

tests/fixtures/bad_input/raw is a small valid base plus bad rows; README.md beside it
explains each bad row and why it gets its reason (first matching rule wins).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_DIR = FIXTURES / "bad_input"
RAW_DIR = FIXTURE_DIR / "raw"
AS_OF_DATE = "2024-04-10"

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "plans": ("plan_id",),
    "subscriptions": ("subscription_id",),
    "invoices": ("invoice_id",),
    "invoice_lines": ("line_id",),
    "payments": ("payment_id",),
    "exchange_rates": ("rate_date", "currency"),
    "events": ("event_id",),
    "survey_responses": ("response_id",),
    "support_tickets": ("ticket_id",),
}


# ---------------------------------------------------------------- helpers


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_quarantine() -> Counter:
    return Counter(
        (r["table_name"], r["key"], r["reason"]) for r in read_csv(FIXTURE_DIR / "expected_quarantine.csv")
    )


def expected_accounting() -> dict[str, dict[str, int]]:
    return {
        r["table_name"]: {k: int(v) for k, v in r.items() if k != "table_name"}
        for r in read_csv(FIXTURE_DIR / "expected_accounting.csv")
    }


def key_text(value: Any) -> str:
    """A key part as the raw text: null as '', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def quarantined_rows(outcome) -> Counter:
    """(table, key, reason) of every row in the quarantine relations, keys joined with '|'."""
    found: Counter = Counter()
    for table, key in KEY_COLUMNS.items():
        for row in outcome.query(f"select * from quarantine.quarantine_{table}"):
            found[(table, "|".join(key_text(row[k]) for k in key), row["quarantine_reason"])] += 1
    return found


def describe(counter: Counter) -> str:
    return "\n".join(f"  {t}, key={k!r}, reason={r} (x{n})" for (t, k, r), n in sorted(counter.items()))


def to_utc_naive(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


# --------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def permissive_build(shared_build):
    """The project built on the bad-input fixture with every quarantine share allowed (the engine-parity modules'
    DuckDB reference too: engine_parity.BAD_INPUT_VARS)."""
    outcome = shared_build(RAW_DIR, raw_format="csv", as_of_date=AS_OF_DATE, max_quarantine_share=1)
    if not outcome.ok:
        pytest.fail(
            "with max_quarantine_share = 1 the bad-input build must succeed:\n" + outcome.output[-8000:],
            pytrace=False,
        )
    return outcome


@pytest.fixture(scope="module")
def accounting(permissive_build) -> list[dict[str, Any]]:
    return permissive_build.query("select * from marts.raw_row_accounting")


# ------------------------------------------------------------------ tests


def test_every_bad_row_is_quarantined_with_its_reason(permissive_build):
    expected = expected_quarantine()
    actual = quarantined_rows(permissive_build)
    missing, unexpected = expected - actual, actual - expected
    assert not missing and not unexpected, (
        "quarantine differs from tests/fixtures/bad_input/expected_quarantine.csv\n"
        f"expected but not found:\n{describe(missing)}\nfound but not expected:\n{describe(unexpected)}"
    )


def test_raw_row_accounting_matches_expected_counts(accounting):
    actual: dict[str, dict[str, int]] = {}
    for row in accounting:
        table = row["table_name"]
        counts = actual.setdefault(
            table, {"raw_rows": int(row["table_raw_rows"]), "staged_rows": 0,
                    "collapsed_duplicate_rows": 0, "quarantined_rows": 0}
        )
        assert int(row["table_raw_rows"]) == counts["raw_rows"], f"table_raw_rows varies within {table}"
        column = {"staged": "staged_rows", "collapsed_duplicate": "collapsed_duplicate_rows",
                  "quarantined": "quarantined_rows"}[row["outcome"]]
        counts[column] += int(row["row_count"])
    expected = expected_accounting()
    differing = {
        t: {"expected": expected.get(t), "actual": actual.get(t)}
        for t in sorted(set(expected) | set(actual))
        if expected.get(t) != actual.get(t)
    }
    assert not differing, f"marts.raw_row_accounting differs from expected_accounting.csv: {differing}"


def test_raw_rows_equal_staged_plus_collapsed_plus_quarantined(accounting):
    totals: Counter = Counter()
    raw: dict[str, int] = {}
    for row in accounting:
        totals[row["table_name"]] += int(row["row_count"])
        raw[row["table_name"]] = int(row["table_raw_rows"])
    assert set(raw) == set(KEY_COLUMNS), f"tables in raw_row_accounting: {sorted(raw)}"
    assert {t: totals[t] for t in raw} == raw


def test_accounting_reasons_agree_with_quarantine(accounting):
    expected = Counter()
    for (table, _key, reason), n in expected_quarantine().items():
        expected[(table, reason)] += n
    actual = Counter()
    for row in accounting:
        if row["outcome"] == "quarantined":
            actual[(row["table_name"], row["reason"])] += int(row["row_count"])
        else:
            assert row["reason"] in (None, ""), f"reason set on a {row['outcome']} row: {row}"
    assert actual == expected, (
        f"quarantined counts by (table, reason)\nexpected: {sorted(expected.items())}\n"
        f"actual:   {sorted(actual.items())}"
    )


def test_rows_referencing_a_duplicated_customer_become_orphans(permissive_build):
    actual = quarantined_rows(permissive_build)
    for row in [
        ("customers", "b03", "duplicate_key"),
        ("subscriptions", "s03", "orphan_customer"),
        ("invoices", "i11", "orphan_customer"),
        ("invoice_lines", "l21", "orphan_invoice"),
        ("payments", "y14", "orphan_invoice"),
        ("events", "e06", "orphan_customer"),
        ("survey_responses", "r09", "orphan_customer"),
    ]:
        assert actual[row] >= 1, f"{row} not in quarantine"
    assert actual[("customers", "b03", "duplicate_key")] == 2, "both differing b03 rows are quarantined"


def test_invoice_line_inherits_the_currency_reason_of_its_invoice(permissive_build):
    actual = quarantined_rows(permissive_build)
    assert actual[("invoice_lines", "l23", "unknown_currency")] == 1  # invoice i15 is in XYZ
    assert actual[("invoice_lines", "l24", "missing_rate")] == 1  # invoice i16 is in JPY, no JPY rate


def test_offset_timestamps_are_staged_in_utc(permissive_build):
    def staged_value(model: str, key_column: str, key: str, column: str) -> Any:
        found = permissive_build.query(
            "select table_schema from information_schema.tables "
            f"where table_name = '{model}' order by table_schema"
        )
        assert found, f"relation {model} not found in the warehouse"
        rows = permissive_build.query(
            f'select {column} from "{found[0]["table_schema"]}".{model} where {key_column} = \'{key}\''
        )
        assert len(rows) == 1, f"{model}: expected one staged row for {key_column} = {key}, got {rows}"
        return rows[0][column]

    # raw 2024-02-10T01:30:00+02:00 and 2023-12-05T10:00:00+02:00
    occurred_at = staged_value("stg_events", "event_id", "e03", "occurred_at")
    assert to_utc_naive(occurred_at) == dt.datetime(2024, 2, 9, 23, 30), occurred_at
    created_at = staged_value("stg_customers", "customer_id", "b02", "created_at")
    assert to_utc_naive(created_at) == dt.datetime(2023, 12, 5, 8, 0), created_at


def exceeding_tables() -> dict[str, dict[str, int]]:
    """Per table over the default share (0.01): its quarantined count per reason."""
    by_table: dict[str, Counter] = {}
    for (table, _key, reason), n in expected_quarantine().items():
        by_table.setdefault(table, Counter())[reason] += n
    accounting = expected_accounting()
    return {
        table: dict(reasons)
        for table, reasons in by_table.items()
        if sum(reasons.values()) / accounting[table]["raw_rows"] > 0.01
    }


def line_names(output: str, table: str, reason: str, counts: set[int]) -> bool:
    """Some line of the output names the table, the reason and one of the counts."""
    for line in output.splitlines():
        if table not in line or reason not in line:
            continue
        if any(re.search(rf"(?<![\d.]){n}(?!\d|\.\d)", line) for n in counts):
            return True
    return False


def test_default_quarantine_share_fails_the_build_naming_table_reason_and_count(build_warehouse):
    outcome = build_warehouse(RAW_DIR, raw_format="csv", as_of_date=AS_OF_DATE)
    assert not outcome.ok, "quarantine shares far above 1 % must fail the build"
    named = [
        (table, reason)
        for table, reasons in exceeding_tables().items()
        for reason, n in reasons.items()
        if line_names(outcome.output, table, reason, {n, sum(reasons.values())})
    ]
    assert named, (
        "the failure message must name a table, a reason and the count, e.g. "
        "'invoice_lines ... negative_amount ... 2'; dbt printed:\n" + outcome.output[-8000:]
    )


def test_one_table_over_the_share_fails_naming_it(build_warehouse, tmp_path):
    """The valid hand-worked data plus two negative subscription lines (2 of 87 lines, > 1 %)."""
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "hand_worked" / "raw", raw)
    with open(raw / "invoice_lines.csv", "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([
            ["bad_neg_1", "inv_c01_01", "subscription", "basic_m", 1, "-50.00", "2024-01-05", "2024-02-05", 1],
            ["bad_neg_2", "inv_c02_01", "subscription", "annual_y", 1, "-1000.00", "2024-01-15", "2025-01-15", 12],
        ])
    outcome = build_warehouse(raw, raw_format="csv", as_of_date="2024-07-10")
    assert not outcome.ok, "2 quarantined lines out of 87 is above the default share of 0.01"
    assert line_names(outcome.output, "invoice_lines", "negative_amount", {2}), (
        "the failure message must name invoice_lines, negative_amount and the count 2; dbt printed:\n"
        + outcome.output[-8000:]
    )


def test_amounts_beyond_the_money_range_are_quarantined_as_out_of_range(permissive_build):
    """A huge but well-formed amount once passed staging and crashed a later model (cast to DECIMAL(38,12))."""
    actual = quarantined_rows(permissive_build)
    for row in [
        ("invoice_lines", "l31", "out_of_range"),  # 999999999999999999999999999.99 on a valid subscription line
        ("invoice_lines", "l32", "out_of_range"),  # a credit of exactly -1e15: the bound is exclusive
        ("payments", "y22", "out_of_range"),
        ("payments", "y23", "out_of_range"),
        ("plans", "p_huge", "out_of_range"),
        ("exchange_rates", "2024-03-20|EUR", "out_of_range"),
    ]:
        assert actual[row] == 1, f"{row} not in quarantine; found:\n{describe(actual)}"


def test_money_just_inside_the_range_is_summed_to_the_cent(permissive_build):
    """b04 paid 1200.00 (y07), 80.00 (y12) and 999999999999999.99 (y21), all in USD, the reporting currency:
    an 8-byte float holds about 16 digits, so a float sum would lose the cents."""
    rows = permissive_build.query("select revenue_to_date from marts.customer_cltv where customer_id = 'b04'")
    assert rows == [{"revenue_to_date": Decimal("1000000000001279.99")}], rows


def test_a_subscription_canceled_before_it_started_is_a_bad_period(permissive_build):
    """s11 started 2024-03-01 and was canceled 2021-05-01, like a trial that ends before it starts."""
    assert quarantined_rows(permissive_build)[("subscriptions", "s11", "bad_period")] == 1
    assert not permissive_build.query("select * from staging.stg_subscriptions where subscription_id = 's11'")


def test_a_cancellation_scheduled_before_the_start_is_a_bad_period(permissive_build):
    """s12 started 2024-03-01 with cancel_at 2024-01-01: scheduled to end before it started. The other rows of the
    file carry the optional cancel_at column empty and stay staged with a null cancel_at."""
    assert quarantined_rows(permissive_build)[("subscriptions", "s12", "bad_period")] == 1
    assert permissive_build.query(
        "select count(*) as n from staging.stg_subscriptions where cancel_at is not null") == [{"n": 0}]


def test_out_of_range_messages_name_the_money_column():
    """The quarantine summary of a stopped or published build names the column the range rule read."""
    from churn_warehouse.quality.quarantine import reason_column

    assert [reason_column(table, "out_of_range") for table in ("invoice_lines", "payments", "plans", "exchange_rates")] \
        == ["amount", "amount", "list_price", "rate_to_reporting"]
    assert "canceled_at" in reason_column("subscriptions", "bad_period")
    assert "cancel_at" in reason_column("subscriptions", "bad_period").replace("canceled_at", "")


# ------------------------------------------------------------ 0-byte files


@pytest.fixture(scope="module")
def zero_byte_raw(tmp_path_factory) -> Path:
    """The valid hand-worked data with support_tickets.csv (optional) emptied to 0 bytes, not even a header."""
    raw = tmp_path_factory.mktemp("zero_byte") / "raw"
    shutil.copytree(FIXTURES / "hand_worked" / "raw", raw)
    (raw / "support_tickets.csv").write_bytes(b"")
    return raw


def test_a_zero_byte_optional_csv_is_read_as_absent_and_named(build_warehouse, zero_byte_raw):
    outcome = build_warehouse(zero_byte_raw, raw_format="csv", as_of_date="2024-07-10")
    assert outcome.ok, "a 0-byte optional table must only warn, as an absent one does:\n" + outcome.output[-5000:]
    assert line_names(outcome.output, "support_tickets", "empty file", {0}), outcome.output[-5000:]
    assert str(zero_byte_raw / "support_tickets.csv") in outcome.output
    assert outcome.query("select count(*) as n from staging.stg_support_tickets") == [{"n": 0}]


def test_a_zero_byte_required_csv_stops_the_build_naming_the_file(build_warehouse, zero_byte_raw, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(zero_byte_raw, raw)
    (raw / "payments.csv").write_bytes(b"")
    outcome = build_warehouse(raw, raw_format="csv", as_of_date="2024-07-10")
    assert not outcome.ok
    assert f"Required raw table 'payments' is an empty file (0 bytes, not even a header row): {raw / 'payments.csv'}" \
        in outcome.output, outcome.output[-5000:]


def test_raw_validation_reads_a_zero_byte_file_as_absent_and_names_it(zero_byte_raw, tmp_path):
    """Great Expectations' raw frames: the optional table is absent (a warning), a required one absent (a stop)."""
    from churn_warehouse.quality.raw_frames import RawInputs
    from churn_warehouse.quality.raw_suites import raw_suites
    from churn_warehouse.quality.settings import QualitySettings

    raw = tmp_path / "raw"
    shutil.copytree(zero_byte_raw, raw)
    (raw / "payments.csv").write_bytes(b"")
    inputs = RawInputs(raw, "csv", "2024-07-10", QualitySettings())
    try:
        tables = inputs.tables_frame().set_index("table_name")
        assert len(raw_suites(inputs)) > 3, "every raw suite is still planned"
    finally:
        inputs.close()
    for table, required in (("support_tickets", False), ("payments", True)):
        row = tables.loc[table]
        assert (bool(row["is_required"]), bool(row["is_present"])) == (required, False), row.to_dict()
        assert str(raw / f"{table}.csv") in row["source"] and "0 bytes" in row["source"], row["source"]
