"""Bounds from a series' own history: median ± k · robust sd, where robust sd = 1.4826 · MAD (with a floor).

GX 1.x has no profilers, so the bounds the suites use are computed here, in plain numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# MAD of a normal distribution times this is its standard deviation.
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Bounds:
    """Median and robust sd of a history, and the interval median ± k · sd."""

    median: float
    sd: float
    k: float
    history_size: int

    @property
    def low(self) -> float:
        return self.median - self.k * self.sd

    @property
    def high(self) -> float:
        return self.median + self.k * self.sd


def robust_bounds(history: np.ndarray, k: float, sd_floor: float) -> Bounds:
    """Median ± k · max(1.4826 · MAD, sd_floor) of the non-null values of `history`."""
    values = np.asarray(history, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("robust_bounds needs at least one value")
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    return Bounds(median=median, sd=max(MAD_TO_SD * mad, sd_floor), k=k, history_size=int(values.size))


def trailing_median_and_mad(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """For each position i, the median and MAD of values[i - window : i] (NaN until a full window exists)."""
    values = np.asarray(values, dtype=float)
    medians = np.full(values.shape, np.nan)
    mads = np.full(values.shape, np.nan)
    if values.size > window:
        windows = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
        window_medians = np.median(windows, axis=1)
        medians[window:] = window_medians
        mads[window:] = np.median(np.abs(windows - window_medians[:, None]), axis=1)
    return medians, mads
