"""Predictive CLTV models fitted by maximum likelihood: sBG, BG/NBD and Gamma-Gamma.

Plain functions on arrays, no warehouse access, so dbt Python models stay thin
(load refs, call a fit, return a frame) and each model is unit-tested alone.
The shared pieces (the error type and the optimiser wrapper) live here, above
the re-exports, because every model module imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult, minimize

# Search box for log-parameters: a fit that ends on its edge has no finite MLE.
LOG_PARAM_BOUND = np.log(1e7)


class FitError(ValueError):
    """A model cannot be fitted to these data; the message says why (the caller names the segment)."""


def maximise_log_likelihood(
    log_likelihood: Callable[[NDArray[np.float64]], float],
    start: Sequence[float],
    names: Sequence[str],
    n_obs: int,
    boundary_hint: str = "",
) -> tuple[NDArray[np.float64], float, str]:
    """Maximise a log-likelihood over positive parameters; return (params, loglik, optimiser message).

    The search runs on log-parameters (positivity for free) and minimises the
    mean negative log-likelihood so tolerances do not depend on sample size.
    L-BFGS-B (numerical gradient) does the work; when its line search stalls,
    Nelder-Mead polishes from where it stopped. Raises FitError when the
    optimum sits on the edge of the search box (checked first: the
    model-specific `boundary_hint` says what that usually means) or when
    neither search converges.
    """

    def objective(log_params: NDArray[np.float64]) -> float:
        value = -log_likelihood(np.exp(log_params)) / n_obs
        return float(value) if np.isfinite(value) else 1e100

    bounds = [(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * len(start)
    result = minimize(
        objective,
        np.log(np.asarray(start, dtype=float)),
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 2000},
    )
    if not result.success:
        result = _polish_with_nelder_mead(objective, result, bounds)
    # The edge first: a search that ran into the parameter limit often stalls there too, and the limit is the cause.
    _raise_if_on_boundary(result.x, names, boundary_hint)
    if not result.success or not np.isfinite(result.fun) or result.fun >= 1e99:
        raise FitError(f"optimiser did not converge: {result.message}")
    return np.exp(result.x), float(-result.fun * n_obs), str(result.message)


def _polish_with_nelder_mead(
    objective: Callable[[NDArray[np.float64]], float],
    stalled: OptimizeResult,
    bounds: list[tuple[float, float]],
) -> OptimizeResult:
    """Restart a stalled gradient search with the derivative-free simplex method.

    The simplex stops as soon as its best point reaches the edge of the search box: the caller then refuses the
    fit as running to the edge. Without the stop, a likelihood that keeps rising towards the edge (the sBG's
    alpha and beta growing together towards constant churn) had the simplex crawl along that ridge for its whole
    budget of 40,000 evaluations, a few seconds per fit, and end on the edge all the same.
    """

    def stop_on_the_edge(intermediate_result: OptimizeResult) -> None:
        if _on_edge(intermediate_result.x).any():
            raise StopIteration

    return minimize(
        objective,
        stalled.x,
        method="Nelder-Mead",
        bounds=bounds,
        callback=stop_on_the_edge,
        options={"xatol": 1e-9, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000},
    )


def _on_edge(log_params: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which log-parameters lie within 1 of the edge of the search box (a parameter above about 3.7e6 or below
    about 2.7e-7)."""
    return np.abs(log_params) > LOG_PARAM_BOUND - 1.0


def _raise_if_on_boundary(log_params: NDArray[np.float64], names: Sequence[str], hint: str) -> None:
    """Refuse an optimum on the edge of the search box: the MLE is at zero or infinity."""
    if _on_edge(log_params).any():
        values = ", ".join(f"{name}={np.exp(x):.3g}" for name, x in zip(names, log_params))
        raise FitError(
            "no finite maximum-likelihood estimate: the optimum runs to the edge of the "
            f"parameter space ({values}); the data do not identify the model's heterogeneity"
            + (f" ({hint})" if hint else "")
        )


# Re-exports sit below the shared pieces that the model modules import.
from churn_warehouse.predictive.bgnbd import (  # noqa: E402
    BgNbdFit,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    fit_bgnbd,
    summarise_purchases,
)
from churn_warehouse.predictive.gamma_gamma import (  # noqa: E402
    GammaGammaFit,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    gamma_gamma_log_likelihood,
)
from churn_warehouse.predictive.mbgnbd import (  # noqa: E402
    MbgNbdFit,
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    mbgnbd_log_likelihood,
    mbgnbd_p_alive,
)
from churn_warehouse.predictive.sbg import (  # noqa: E402
    SbgFit,
    constant_churn_derl,
    constant_churn_log_likelihood,
    fit_constant_churn,
    fit_sbg,
    fit_sbg_from_survivors,
    project_survivors,
    sbg_churn_probability,
    sbg_derl,
    sbg_retention_rate,
    sbg_survival,
)

__all__ = [
    "BgNbdFit",
    "FitError",
    "GammaGammaFit",
    "MbgNbdFit",
    "SbgFit",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "constant_churn_derl",
    "constant_churn_log_likelihood",
    "fit_bgnbd",
    "fit_constant_churn",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_sbg",
    "fit_sbg_from_survivors",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "maximise_log_likelihood",
    "mbgnbd_expected_purchases",
    "mbgnbd_log_likelihood",
    "mbgnbd_p_alive",
    "project_survivors",
    "sbg_churn_probability",
    "sbg_derl",
    "sbg_retention_rate",
    "sbg_survival",
    "summarise_purchases",
]
