"""The stand-in for dbt's Python-model `dbt` object on server targets (churn_warehouse.python_step): its
`ref()` must give a model the rows and columns dbt-duckdb's relation methods would."""

from __future__ import annotations

import duckdb
import pandas as pd

from churn_warehouse import python_step
from churn_warehouse.python_step import _Ref

# Three customer-months: a's January and February, b's February.
FRAME = pd.DataFrame({
    "customer_id": ["a", "a", "b"],
    "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-01"]),
    "mrr": [10.0, 12.5, 7.25],
})


def test_ref_methods_run_the_same_sql_as_a_duckdb_relation() -> None:
    ref = _Ref(lambda: FRAME)
    with duckdb.connect() as connection:
        relation = connection.from_df(FRAME)
        for method, arguments in [
            ("project", ("customer_id, mrr",)),
            ("filter", ("month = date '2024-02-01' and mrr > 8",)),
            ("aggregate", ("month, sum(mrr) as mrr", "month")),
        ]:
            stand_in = getattr(ref, method)(*arguments)
            expected = getattr(relation, method)(*arguments).df()
            pd.testing.assert_frame_equal(
                stand_in.df().sort_values(list(expected.columns), ignore_index=True),
                expected.sort_values(list(expected.columns), ignore_index=True),
            )
    february = ref.filter("month = date '2024-02-01'").aggregate("sum(mrr) as mrr").df()
    assert february["mrr"].tolist() == [19.75]  # a 12.50 + b 7.25


def test_a_chain_of_ref_methods_runs_in_one_duckdb_relation(monkeypatch) -> None:
    connections: list[int] = []
    connect = duckdb.connect

    def counting_connect(*args, **kwargs) -> duckdb.DuckDBPyConnection:
        connections.append(1)
        return connect(*args, **kwargs)

    monkeypatch.setattr(python_step.duckdb, "connect", counting_connect)
    chained = _Ref(lambda: FRAME).filter("mrr > 8").project("customer_id, mrr").filter("customer_id = 'a'").df()
    assert chained["mrr"].tolist() == [10.0, 12.5]  # a's two months; b's 7.25 is not above 8
    assert len(connections) == 1
