"""The Stripe route on PostgreSQL gives the contract route's marts: the engine-parity sample's world (500
customers), written in the Stripe layout, loaded with `load-raw --billing-source stripe` and built, equals the
parity build of the contract layout row by row; raw_row_accounting is compared on what must be equal
(test_stripe_equivalence.py says what)."""

from __future__ import annotations

import pytest

from conftest import PARITY_CUSTOMERS, ServerOutcome, environment, fresh_postgres_database
from test_stripe_equivalence import STRIPE, assert_same_marts
from churn_warehouse.build import SKIP_UNIT_TESTS, run_server_build
from churn_warehouse.generator import generate
from churn_warehouse.targets import engine


@pytest.fixture(scope="module")
def stripe_postgres(postgres_server, tmp_path_factory) -> ServerOutcome:
    """The parity sample's world in the Stripe layout, loaded (Stripe tables into schema stripe) and built."""
    raw = tmp_path_factory.mktemp("stripe_parity_raw")
    generate(raw, customers=PARITY_CUSTOMERS, months=36, seed=42, billing_source="stripe")
    work_dir = tmp_path_factory.mktemp("stripe_postgres_build")
    settings = fresh_postgres_database(postgres_server, "churn_test_stripe")
    with environment(**settings):
        engine("postgres").load_raw(raw, "parquet", "raw", billing_source="stripe")
        result = run_server_build("postgres", {"raw_format": "parquet", **STRIPE}, work_dir, echo=False,
                                  extra_args=SKIP_UNIT_TESTS)  # the parity build runs them
    outcome = ServerOutcome(result.ok, result.output, "postgres", settings, work_dir)
    assert outcome.ok, outcome.output[-5000:]
    return outcome


def test_stripe_and_contract_layouts_give_the_same_marts_on_postgres(parity_postgres, stripe_postgres) -> None:
    assert_same_marts(parity_postgres, stripe_postgres, stripe_postgres.mart_contracts(), "PostgreSQL, 500 customers")
