"""Keeping a fitted Python model's rows in a daily run whose inputs have not changed since the run that wrote them.

The sBG fits read only complete months, so their input stays the same from one day to the next until a month
completes (or late rows change a complete month). Such a model stores a digest of its input rows beside its rows
(column `inputs_digest`); an incremental run that finds the same digest in the table returns the rows held
instead of fitting again (materialized incremental, strategy replace_all). The package version and the dbt vars
are not in the digest: a change of either makes the build start from an empty file (build_info).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

DIGEST_COLUMN = "inputs_digest"


def frames_digest(*frames: pd.DataFrame) -> str:
    """A digest of the frames' columns, types and rows, the same whatever order the rows come in (an order-free
    sum of the rows' 64-bit hashes, with the row count)."""
    digest = hashlib.sha256()
    for frame in frames:
        row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
        digest.update(repr([(str(column), str(dtype)) for column, dtype in frame.dtypes.items()]).encode())
        digest.update(np.array([len(frame), row_hashes.sum(dtype=np.uint64)], dtype=np.uint64).tobytes())
    return digest.hexdigest()


def held_rows(session: object, this: object, digest: str) -> pa.Table | None:
    """The rows of `this` (the table the last run left, read through the DuckDB `session`) when every one of them
    carries `digest`; else None, and the model fits again (so too when the table has no digest column)."""
    if DIGEST_COLUMN not in session.sql(f"select * from {this} limit 0").columns:
        return None
    held_digests = session.sql(f"select min({DIGEST_COLUMN}), max({DIGEST_COLUMN}) from {this}").fetchall()[0]
    if held_digests != (digest, digest):
        return None
    return session.sql(f"select * from {this}").to_arrow_table()


def held_or_fitted(dbt: object, session: object, inputs: tuple[pd.DataFrame, ...],
                   fit: Callable[[], pd.DataFrame]) -> pd.DataFrame | pa.Table:
    """In a Python model: the rows its table holds when this is an incremental run and they carry the digest of
    `inputs`, else `fit()` with that digest in DIGEST_COLUMN."""
    digest = frames_digest(*inputs)
    held = held_rows(session, dbt.this, digest) if dbt.is_incremental else None
    return held if held is not None else fit().assign(**{DIGEST_COLUMN: digest})
