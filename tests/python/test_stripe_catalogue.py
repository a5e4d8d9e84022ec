"""Bad-input catalogue for the Stripe route: bad Stripe rows are quarantined and counted, or stop the build.

The base is the hand-worked Stripe fixture (tests/fixtures/stripe_hand_worked). To keep CI cheap, every
quarantine case breaks the same copy of it with rows of its own (distinct ids, no side effects on other
rows) and one build selected up to marts.raw_row_accounting checks all of them; the cases that stop the
build share one more build (the Stripe check names every missing table and column in one message), and a
third, selected up to quarantine_payments, shows the per-Stripe-table quarantine limit. The three builds
read the same raw path with the same vars in the same target directory, so dbt parses the project once.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path
from typing import Callable

import pytest
from conftest import BuildOutcome

from churn_warehouse.build import run_dbt_build

FIXTURE_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "stripe_hand_worked" / "raw"
# A high limit, so that the quarantine cases pass; the limit case breaks a whole Stripe table.
BASE_VARS = {"raw_format": "csv", "as_of_date": "2024-04-10", "billing_source": "stripe", "max_quarantine_share": 0.9}
# The base fixture's own quarantined rows (its README): the day-interval price and its line.
BASE_QUARANTINE = Counter({("price", "unsupported_interval"): 1, ("invoice_line_item", "unsupported_interval"): 1})
CONTRACT_TABLE = {"customer": "customers", "price": "plans", "subscription_history": "subscriptions",
                  "invoice": "invoices", "invoice_line_item": "invoice_lines", "charge": "payments", "refund": "payments"}

Expected = dict[tuple[str, str], list[str]]


def stripe_file(raw: Path, table: str) -> Path:
    return raw / "stripe" / f"{table}.csv"


def read_rows(raw: Path, table: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(stripe_file(raw, table), newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(raw: Path, table: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(stripe_file(raw, table), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def append(raw: Path, table: str, **values: str) -> None:
    """Add a row: a copy of the table's first row with `values` replacing its columns."""
    header, rows = read_rows(raw, table)
    write_rows(raw, table, header, rows + [{**rows[0], **values}])


def drop_column(raw: Path, table: str, column: str) -> None:
    header, rows = read_rows(raw, table)
    write_rows(raw, table, [c for c in header if c != column], [{k: v for k, v in r.items() if k != column} for r in rows])


# ------------------------------------------------------------------------ quarantine cases (one build)
# Each adds rows and returns the quarantine it expects: {(Stripe table, reason): rows}.


def text_amount(raw: Path) -> Expected:
    append(raw, "charge", id="ch_text", amount="12.50")
    return {("charge", "bad_type"): ["ch_text"]}


def unknown_currency_charge(raw: Path) -> Expected:
    append(raw, "charge", id="ch_xyz", currency="xyz")
    return {("charge", "unknown_currency"): ["ch_xyz"]}


def currency_without_minor_unit(raw: Path) -> Expected:
    """Gold (XAU) is an ISO 4217 code without a minor unit: a Stripe amount in it cannot be converted."""
    append(raw, "refund", id="re_xau", charge_id="ch_a1", currency="xau", status="succeeded")
    return {("refund", "bad_type"): ["re_xau"]}


def subscription_line_with_one_time_price(raw: Path) -> Expected:
    append(raw, "invoice_line_item", id="il_onetime", invoice_id="in_a1", type="subscription", price_id="price_setup")
    return {("invoice_line_item", "unknown_interval"): ["il_onetime"]}


def subscription_line_with_unknown_price(raw: Path) -> Expected:
    append(raw, "invoice_line_item", id="il_noprice", invoice_id="in_a1", type="subscription", price_id="price_gone")
    return {("invoice_line_item", "unknown_interval"): ["il_noprice"]}


def duplicate_ids_across_versions(raw: Path) -> Expected:
    """Two versions of one subscription both marked active: both rows are quarantined as duplicate_key."""
    append(raw, "subscription_history", id="sub_dup", customer_id="cus_a", status="active", _fivetran_active="true")
    append(raw, "subscription_history", id="sub_dup", customer_id="cus_a", status="past_due", _fivetran_active="true")
    return {("subscription_history", "duplicate_key"): ["sub_dup", "sub_dup"]}


def week_interval_price(raw: Path) -> Expected:
    append(raw, "price", id="price_week", recurring_interval="week", type="recurring")
    return {("price", "unsupported_interval"): ["price_week"]}


def unknown_subscription_status(raw: Path) -> Expected:
    append(raw, "subscription_history", id="sub_weird", customer_id="cus_a", status="on_hold",
           _fivetran_active="true")
    return {("subscription_history", "bad_enum"): ["sub_weird"]}


def invoice_in_unknown_currency(raw: Path) -> Expected:
    """The invoice is quarantined for its currency, and its line carries the invoice's reason."""
    append(raw, "invoice", id="in_abc", currency="abc", status="paid")
    append(raw, "invoice_line_item", id="il_abc", invoice_id="in_abc", type="invoiceitem", price_id="price_setup")
    return {("invoice", "unknown_currency"): ["in_abc"], ("invoice_line_item", "unknown_currency"): ["il_abc"]}


def unparseable_created(raw: Path) -> Expected:
    append(raw, "customer", id="cus_when", created="yesterday")
    return {("customer", "bad_type"): ["cus_when"]}


def refund_of_unknown_charge(raw: Path) -> Expected:
    append(raw, "refund", id="re_orphan", charge_id="ch_gone", status="succeeded")
    return {("refund", "orphan_invoice"): ["re_orphan"]}


def text_quantity(raw: Path) -> Expected:
    append(raw, "invoice_line_item", id="il_two", invoice_id="in_a1", quantity="two")
    return {("invoice_line_item", "bad_type"): ["il_two"]}


def charge_of_a_draft_invoice(raw: Path) -> Expected:
    """A draft invoice is excluded, so a charge pointing to it has no staged invoice."""
    append(raw, "charge", id="ch_draft", invoice_id="in_a4")
    return {("charge", "orphan_invoice"): ["ch_draft"]}


QUARANTINE_CASES: list[Callable[[Path], Expected]] = [
    text_amount, unknown_currency_charge, currency_without_minor_unit, subscription_line_with_one_time_price,
    subscription_line_with_unknown_price, duplicate_ids_across_versions, week_interval_price,
    unknown_subscription_status, invoice_in_unknown_currency, unparseable_created, refund_of_unknown_charge,
    text_quantity, charge_of_a_draft_invoice,
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every build of this module: raw files under raw/, dbt's target beside them."""
    return tmp_path_factory.mktemp("stripe_catalogue")


def fresh_raw(workspace: Path) -> Path:
    """A clean copy of the fixture at the same path every time."""
    raw = workspace / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.copytree(FIXTURE_RAW, raw)
    return raw


def build(workspace: Path, select: list[str]) -> BuildOutcome:
    result = run_dbt_build(
        workspace / "warehouse.duckdb", {"raw_path": str(workspace / "raw"), **BASE_VARS}, work_dir=workspace,
        echo=False,
        extra_args=["--exclude-resource-type", "unit_test", "--indirect-selection", "cautious", "--select", *select],
    )
    return BuildOutcome(ok=result.ok, output=result.output, db_path=result.db_path)


@pytest.fixture(scope="module")
def broken_build(workspace: Path) -> tuple[BuildOutcome, Path, dict[str, Expected]]:
    raw = fresh_raw(workspace)
    per_case = {case.__name__: case(raw) for case in QUARANTINE_CASES}
    outcome = build(workspace, ["+raw_row_accounting", "+assert_raw_rows_all_accounted_for"])
    if not outcome.ok:
        pytest.fail("the build of the broken Stripe fixture failed:\n" + outcome.output[-4000:], pytrace=False)
    return outcome, raw, per_case


@pytest.mark.parametrize("case", QUARANTINE_CASES, ids=lambda case: case.__name__)
def test_bad_stripe_row_is_quarantined_with_its_reason(
    broken_build: tuple[BuildOutcome, Path, dict[str, Expected]], case: Callable[[Path], Expected]
) -> None:
    outcome, _, per_case = broken_build
    for (table, reason), ids in per_case[case.__name__].items():
        rows = outcome.query(
            f"select raw_values from quarantine.quarantine_{CONTRACT_TABLE[table]}"
            " where quarantine_reason = ? and raw_values like ?",
            [reason, f"%source_table={table},%"],
        )
        found = [r["raw_values"] for r in rows if any(f"={row_id}," in r["raw_values"] for row_id in ids)]
        assert len(found) == len(ids), (
            f"{case.__name__}: expected {ids} of Stripe table {table} quarantined as {reason}, found {found}")


def test_every_broken_stripe_row_is_counted_once(
    broken_build: tuple[BuildOutcome, Path, dict[str, Expected]]
) -> None:
    outcome, raw, per_case = broken_build
    expected = Counter(BASE_QUARANTINE)
    for found in per_case.values():
        expected.update({key: len(ids) for key, ids in found.items()})
    rows = outcome.query("select table_name, outcome, reason, row_count, table_raw_rows from marts.raw_row_accounting")
    quarantined = Counter({(r["table_name"], r["reason"]): r["row_count"] for r in rows
                           if r["outcome"] == "quarantined"})
    assert quarantined == expected
    for table in {r["table_name"] for r in rows}:
        if not stripe_file(raw, table).exists():
            continue
        in_file = len(read_rows(raw, table)[1])
        of_table = [r for r in rows if r["table_name"] == table]
        assert {r["table_raw_rows"] for r in of_table} == {in_file}, table
        assert sum(r["row_count"] for r in of_table) == in_file, f"{table}: staged + quarantined + excluded"


# ------------------------------------------------------------------------ stopping cases


def remove_table(raw: Path, table: str) -> None:
    stripe_file(raw, table).unlink()


# Each breaks the raw files and names the line the stop message must hold.
STOP_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing_required_table": (
        lambda raw: remove_table(raw, "invoice"), "Required Stripe table 'invoice' is missing: expected "),
    "missing_subscription_table": (
        lambda raw: remove_table(raw, "subscription_history"),
        "Required Stripe table 'subscription_history' (or 'subscription') is missing"),
    "missing_required_column": (
        lambda raw: drop_column(raw, "charge", "amount"), "Stripe table 'charge' lacks the required column 'amount'"),
    "missing_price_column_of_items": (
        lambda raw: drop_column(raw, "subscription_item", "price_id"),
        "Stripe table 'subscription_item' lacks the required column 'price_id' or 'plan_id'"),
    "missing_column_of_optional_table": (
        lambda raw: drop_column(raw, "refund", "charge_id"), "Stripe table 'refund' lacks the required column 'charge_id'"),
}


@pytest.fixture(scope="module")
def stopped_build(workspace: Path, broken_build: tuple[BuildOutcome, Path, dict[str, Expected]]) -> BuildOutcome:
    """After the quarantine build (which reads the same raw path, so it must come first)."""
    raw = fresh_raw(workspace)
    for breaks, _ in STOP_CASES.values():
        breaks(raw)
    return build(workspace, ["stg_raw_row_counts"])


@pytest.mark.parametrize("case", list(STOP_CASES))
def test_missing_stripe_table_or_column_stops_the_build_naming_it(stopped_build: BuildOutcome, case: str) -> None:
    assert not stopped_build.ok
    assert STOP_CASES[case][1] in stopped_build.output, stopped_build.output[-3000:]
    assert "billing_source='stripe'" in stopped_build.output


def test_quarantine_limit_holds_per_stripe_table(workspace: Path, stopped_build: BuildOutcome) -> None:
    """The only live refund does not convert: 1 of 1 refund rows (100 %) is above the limit of 0.9, while
    payments as a whole (charges and refunds) would be 1 of 9. The two excluded refunds count for neither."""
    raw = fresh_raw(workspace)
    header, refunds = read_rows(raw, "refund")
    write_rows(raw, "refund", header, [{**r, "amount": "ten"} if r["id"] == "re_a2" else r for r in refunds])
    outcome = build(workspace, ["+quarantine_payments"])
    assert not outcome.ok
    assert "Quarantine limit passed for raw table 'refund' (Stripe, read as payments): 1 of 1 rows" in outcome.output, (
        outcome.output[-3000:])
    assert "column amount: 1 row does not cast to decimal, e.g. payment_id=re_a2 amount='not whole minor units: ten'" in (
        outcome.output)
