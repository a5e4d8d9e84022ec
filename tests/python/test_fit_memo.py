"""The digest behind keeping a fit's rows in a daily run (churn_warehouse.fit_memo)."""

from __future__ import annotations

import duckdb
import pandas as pd

from churn_warehouse.fit_memo import DIGEST_COLUMN, frames_digest, held_or_fitted, held_rows

SURVIVAL = pd.DataFrame({
    "customer_id": pd.Series(["c1", "c2", "c3"], dtype="string"),
    "renewals": [0, 4, 11],
    "is_censored": [False, True, True],
})


def test_the_digest_ignores_row_order_and_follows_every_value_type_and_row():
    digest = frames_digest(SURVIVAL)
    assert frames_digest(SURVIVAL.iloc[::-1].reset_index(drop=True)) == digest
    assert frames_digest(SURVIVAL.assign(renewals=[0, 4, 12])) != digest
    assert frames_digest(SURVIVAL.assign(renewals=SURVIVAL["renewals"].astype("float64"))) != digest
    assert frames_digest(pd.concat([SURVIVAL, SURVIVAL.tail(1)], ignore_index=True)) != digest
    assert frames_digest(SURVIVAL.rename(columns={"renewals": "periods"})) != digest
    # Two inputs are not one input holding both frames' rows, nor the same two frames the other way round.
    fits = pd.DataFrame({"segment": ["all"], "alpha": [1.5]})
    assert frames_digest(SURVIVAL, fits) not in {frames_digest(fits, SURVIVAL), digest, frames_digest(fits)}


def test_held_rows_come_back_only_when_every_row_carries_the_digest_asked_for():
    with duckdb.connect() as session:
        session.execute("create table older_fits (segment varchar, alpha double)")
        session.execute("insert into older_fits values ('all', 1.25)")
        assert held_rows(session, "older_fits", "d1") is None, "a table without digests holds nothing to keep"
        session.execute(f"create table fits (segment varchar, alpha double, {DIGEST_COLUMN} varchar)")
        assert held_rows(session, "fits", "d1") is None, "an empty table holds nothing to keep"
        session.execute("insert into fits values ('all', 1.25, 'd1'), ('smb', 0.5, 'd1')")
        kept = held_rows(session, "fits", "d1")
        assert kept is not None and sorted(kept.to_pylist(), key=lambda row: row["segment"]) == [
            {"segment": "all", "alpha": 1.25, DIGEST_COLUMN: "d1"},
            {"segment": "smb", "alpha": 0.5, DIGEST_COLUMN: "d1"},
        ]
        assert held_rows(session, "fits", "d2") is None
        session.execute("insert into fits values ('mid', 2.0, 'd2')")
        assert held_rows(session, "fits", "d1") is None, "rows of two digests: fit again"


class _Model:
    """The part of dbt's Python-model object held_or_fitted reads."""

    def __init__(self, is_incremental: bool) -> None:
        self.is_incremental, self.this = is_incremental, "fits"


def test_a_model_fits_with_the_digest_unless_an_incremental_run_holds_rows_of_that_digest():
    fitted = pd.DataFrame({"segment": ["all"], "alpha": [2.0]})
    digest = frames_digest(SURVIVAL)
    with duckdb.connect() as session:
        session.execute(f"create table fits (segment varchar, alpha double, {DIGEST_COLUMN} varchar)")
        session.execute(f"insert into fits values ('all', 1.25, '{digest}')")
        kept = held_or_fitted(_Model(True), session, (SURVIVAL,), lambda: fitted)
        assert kept.to_pylist() == [{"segment": "all", "alpha": 1.25, DIGEST_COLUMN: digest}]
        full = held_or_fitted(_Model(False), session, (SURVIVAL,), lambda: fitted)
        assert full.to_dict("records") == [{"segment": "all", "alpha": 2.0, DIGEST_COLUMN: digest}]
        changed = held_or_fitted(_Model(True), session, (SURVIVAL.head(2),), lambda: fitted)
        assert changed["alpha"].tolist() == [2.0] and changed[DIGEST_COLUMN].tolist() != [digest]
