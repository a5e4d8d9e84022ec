"""Build, then publish: a passing build replaces the published warehouse; a failing one leaves it untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb

from churn_warehouse.build import build_and_publish

HAND_WORKED_RAW = Path(__file__).resolve().parents[1] / "fixtures" / "hand_worked" / "raw"
VARS = {"raw_format": "csv", "as_of_date": "2024-07-10"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _june_mrr(path: Path) -> float:
    with duckdb.connect(str(path), read_only=True) as connection:
        return float(connection.execute("select mrr from marts.mrr_monthly where month = '2024-06-01'").fetchone()[0])


def test_failed_build_leaves_published_warehouse_unchanged_and_a_passing_one_replaces_it(tmp_path: Path) -> None:
    published = tmp_path / "published" / "warehouse.duckdb"
    build_db = tmp_path / "build" / "warehouse.duckdb"

    first = build_and_publish({"raw_path": str(HAND_WORKED_RAW), **VARS}, published, build_db, echo=False)
    assert first.ok, first.output[-3000:]
    assert published.exists() and not build_db.exists()
    good_digest, good_mrr = _digest(published), _june_mrr(published)

    # The same data with a negative subscription line: the quarantine share passes 1 % and the build fails.
    broken_raw = tmp_path / "broken_raw"
    shutil.copytree(HAND_WORKED_RAW, broken_raw)
    with (broken_raw / "invoice_lines.csv").open("a") as lines:
        lines.write("bad_line_1,inv_c01_01,subscription,basic_m,1,-50.00,2024-01-01,2024-02-01,1\n")
        lines.write("bad_line_2,inv_c01_01,subscription,basic_m,1,-60.00,2024-01-01,2024-02-01,1\n")
    failed = build_and_publish({"raw_path": str(broken_raw), **VARS}, published, build_db, echo=False)
    assert not failed.ok
    assert "invoice_lines" in failed.output and "negative_amount" in failed.output
    assert _digest(published) == good_digest

    # A passing build on changed data is published: one customer's June line dropped changes June's MRR.
    changed_raw = tmp_path / "changed_raw"
    shutil.copytree(HAND_WORKED_RAW, changed_raw)
    invoices = (changed_raw / "invoices.csv").read_text().splitlines(keepends=True)
    june_c01 = [line for line in invoices if line.startswith("inv_c01_06,")]
    assert len(june_c01) == 1, "fixture changed: expected one June invoice for c01"
    (changed_raw / "invoices.csv").write_text("".join(line.replace(",paid", ",void") if line in june_c01 else line
                                                      for line in invoices))
    second = build_and_publish({"raw_path": str(changed_raw), **VARS}, published, build_db, echo=False)
    assert second.ok, second.output[-3000:]
    assert _june_mrr(published) == good_mrr - 50
