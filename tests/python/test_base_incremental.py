"""The base models that hold every decided raw row (base_invoices, base_invoice_lines, base_payments,
base_survey_responses, base_support_tickets): a daily run on
the previous run's file decides again only the rows whose decision can have changed, and holds what a full build
decides; a row dated before the window is beyond what the lookback promises, and no run decides it.

The raw files are the bad-input fixture's (tests/fixtures/bad_input/raw): its staged survey responses were sent up
to 2024-02-10 (r03), so a daily run re-reads from 2024-02-07 (3 days of lookback); its staged tickets were opened
up to 2024-03-01 (t02), so from 2024-02-27. Customer b03 is quarantined (duplicate_key), so r09 is an orphan, and
so is r14, added here, until its customer b10 arrives. The staged invoices were issued, and the staged payments
attempted, up to 2024-03-01 (i03, y06), so a daily run re-reads billing rows from 2024-02-27."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_events_incremental import EventsRun

BAD_INPUT_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "bad_input" / "raw"
SURVEY_COLUMNS = ["response_id", "customer_id", "survey_type", "sent_at", "responded_at", "score", "comment"]
CUSTOMER_COLUMNS = ["customer_id", "created_at", "country", "segment", "acquisition_channel"]
TICKET_COLUMNS = ["ticket_id", "customer_id", "opened_at", "resolved_at", "category", "priority", "is_complaint"]
INVOICE_COLUMNS = ["invoice_id", "customer_id", "subscription_id", "issued_at", "currency", "status"]
LINE_COLUMNS = ["line_id", "invoice_id", "line_type", "plan_id", "quantity", "amount", "period_start", "period_end",
                "interval_months"]
PAYMENT_COLUMNS = ["payment_id", "invoice_id", "attempted_at", "amount", "currency", "payment_type", "status",
                   "failure_reason"]
BILLING_SQL = {table: f"select * from staging.base_{table} order by all" for table in ("invoices", "invoice_lines", "payments")}
SURVEY_SQL = "select * from staging.base_survey_responses order by all"
TICKETS_SQL = "select * from staging.base_support_tickets order by all"


def survey(response_id: str, customer_id: str, sent_at: str, responded_at: str = "", score: str = "",
           survey_type: str = "nps") -> dict[str, str]:
    return {"response_id": response_id, "customer_id": customer_id, "survey_type": survey_type, "sent_at": sent_at,
            "responded_at": responded_at, "score": score, "comment": ""}


def ticket(ticket_id: str, customer_id: str, opened_at: str, priority: str = "normal") -> dict[str, str]:
    return {"ticket_id": ticket_id, "customer_id": customer_id, "opened_at": opened_at, "resolved_at": "",
            "category": "bug", "priority": priority, "is_complaint": "false"}


def reasons(rows: list[tuple]) -> dict[str, list[object]]:
    """Each key's reasons (the key first and quarantine_reason second to last in both models), sorted."""
    found: dict[str, list[object]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[-2])
    return {key: sorted(values, key=str) for key, values in found.items()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> EventsRun:
    run = EventsRun(tmp_path_factory.mktemp("base_incremental"), fixture_raw=BAD_INPUT_RAW)
    run.append("survey_responses", SURVEY_COLUMNS, (survey("r14", "b10", "2024-01-20T10:00:00Z"),))
    run.run("+base_survey_responses", "+base_support_tickets", "+base_invoice_lines", "+base_payments")
    held = reasons(run.query(SURVEY_SQL))
    assert held["r03"] == [None] and held["r09"] == ["orphan_customer"] and held["r14"] == ["orphan_customer"]
    assert reasons(run.query(TICKETS_SQL))["t02"] == [None]
    return run


def test_a_daily_run_decides_what_a_full_build_decides(first_run):
    # Day 2: a new day's response (twice, byte for byte), a late one inside the window, a different row under r03's
    # key (r03 was staged: both rows become duplicate_key), and one of a customer that is not staged. A new ticket,
    # and a different row under t02's key (staged until now). Customer b10 arrives: r14, sent long before the
    # window, is staged now (its key is among the quarantined rows held).
    first_run.append("customers", CUSTOMER_COLUMNS, ({"customer_id": "b10", "created_at": "2024-01-02T10:00:00Z",
                                                     "country": "US", "segment": "smb", "acquisition_channel": "organic"},))
    first_run.append("survey_responses", SURVEY_COLUMNS, (
        survey("r10", "b02", "2024-02-11T10:00:00Z", "2024-02-12T10:00:00Z", "8"),
        survey("r10", "b02", "2024-02-11T10:00:00Z", "2024-02-12T10:00:00Z", "8"),
        survey("r11", "b01", "2024-02-08T10:00:00Z", "2024-02-08T11:00:00Z", "4", survey_type="csat"),
        survey("r03", "b04", "2024-02-10T10:00:00Z", "2024-02-11T10:00:00Z", "6"),
        survey("r12", "b99", "2024-02-12T10:00:00Z"),
    ))
    first_run.append("support_tickets", TICKET_COLUMNS, (
        ticket("t06", "b02", "2024-03-08T09:00:00Z"),
        ticket("t02", "b02", "2024-03-01T09:00:00Z", priority="urgent"),
    ))
    first_run.run("+base_survey_responses", "+base_support_tickets")
    decided = first_run.query(SURVEY_SQL)
    assert decided == first_run.from_scratch("base_survey_responses", SURVEY_SQL)
    held = reasons(decided)
    assert held["r03"] == ["duplicate_key", "duplicate_key"]
    assert held["r10"] == [None] and held["r11"] == [None] and held["r12"] == ["orphan_customer"]
    assert held["r14"] == [None]
    assert [row[-3] for row in decided if row[0] == "r10"] == [2]  # raw_copies
    # Rows before the window were kept as the first run decided them.
    assert held["r01"] == [None] and held["r04"] == ["bad_score"]
    tickets = first_run.query(TICKETS_SQL)
    assert tickets == first_run.from_scratch("base_support_tickets", TICKETS_SQL)
    assert reasons(tickets)["t02"] == ["duplicate_key", "duplicate_key"] and reasons(tickets)["t06"] == [None]


def test_a_row_dated_before_the_window_is_decided_only_by_a_full_refresh(first_run):
    # Day 3: a response sent on 2024-01-15, before the window (from 2024-02-09 now that r10 is staged): the daily
    # run does not read it, a full build does; the accounting identity then shows the gap.
    first_run.append("survey_responses", SURVEY_COLUMNS, (survey("r13", "b01", "2024-01-15T10:00:00Z"),))
    first_run.run("base_survey_responses")
    assert "r13" not in reasons(first_run.query(SURVEY_SQL))
    assert reasons(first_run.from_scratch("base_survey_responses", SURVEY_SQL))["r13"] == [None]


def test_a_daily_billing_run_decides_what_a_full_build_decides(first_run):
    # A new invoice (i41) with its line and payment; a different row under i03's key, issued in the window: both i03
    # rows become duplicate_key, so its staged line l03 and payment y03 become orphans; a payment of i05 arriving
    # late, inside the window. A different row under customer b04's key: b04 is quarantined, so its invoice i07
    # (2024-01-15, before the window) is an orphan now, and so are i07's line l07 and payment y07.
    first_run.append("customers", CUSTOMER_COLUMNS, ({"customer_id": "b04", "created_at": "2023-12-12T10:00:00Z",
                                                     "country": "US", "segment": "smb",
                                                     "acquisition_channel": "paid_search"},))
    first_run.append("invoices", INVOICE_COLUMNS, (
        dict(zip(INVOICE_COLUMNS, ["i41", "b02", "s02", "2024-03-05T09:00:00Z", "EUR", "paid"])),
        dict(zip(INVOICE_COLUMNS, ["i03", "b01", "s01", "2024-03-01T09:00:00Z", "USD", "open"])),
    ))
    first_run.append("invoice_lines", LINE_COLUMNS, (
        dict(zip(LINE_COLUMNS, ["l43", "i41", "subscription", "p_eur_m", "1", "80.00", "2024-03-05", "2024-04-05", "1"])),
    ))
    first_run.append("payments", PAYMENT_COLUMNS, (
        dict(zip(PAYMENT_COLUMNS, ["y41", "i41", "2024-03-05T09:05:00Z", "80.00", "EUR", "charge", "succeeded", ""])),
        dict(zip(PAYMENT_COLUMNS, ["y42", "i05", "2024-02-28T09:05:00Z", "-10.00", "EUR", "refund", "succeeded", ""])),
    ))
    models = ("base_customers", "base_invoices", "base_invoice_lines", "base_payments")
    first_run.run(*models)
    decided = {table: first_run.query(sql) for table, sql in BILLING_SQL.items()}
    for table, sql in BILLING_SQL.items():
        assert decided[table] == first_run.from_scratch(" ".join(models), sql), table
    assert reasons(decided["invoices"])["i03"] == ["duplicate_key", "duplicate_key"]
    assert reasons(decided["invoices"])["i41"] == [None]
    assert reasons(decided["invoices"])["i07"] == ["orphan_customer"]
    lines, payments = reasons(decided["invoice_lines"]), reasons(decided["payments"])
    assert lines["l03"] == ["orphan_invoice"] and lines["l43"] == [None] and lines["l01"] == [None]
    assert payments["y03"] == ["orphan_invoice"] and payments["y41"] == [None] and payments["y42"] == [None]
    assert lines["l07"] == ["orphan_invoice"] and payments["y07"] == ["orphan_invoice"]
