"""Closed forms of the counting models: exact distributions and mean paths.

* Project pipeline: Poisson arrivals thinned by the appraisal and construction pass
  probabilities and spread over lags remain Poisson (Kingman 1993, §2.3 and §5.1), so the
  number landed over any set of years is Poisson with the summed mean.
* Enterprise population: the expected stock solves the linear difference equation
  ``E_t = (1 - x) E_{t-1} + gamma_t``; the stock itself is the survivors of the 2020 base,
  ``Binomial(E_0, (1-x)^t)``, plus an independent ``Poisson(sum_k gamma_k (1-x)^{t-k})``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from jdmodel.counting import lags

Array = NDArray[np.float64]


def pipeline_landed_mean(rate: ArrayLike, *, p_appraisal: float, p_construction: float, lag: float,
                         years: int = 5, rate_before: float | None = None) -> float:
    r"""Expected number of projects landing in the first ``years`` lever years.

    .. math:: M = p_A\, p_C \sum_{\tau=1}^{n} \left[(1-\varphi)\lambda_{\tau-f}
              + \varphi \lambda_{\tau-f-1}\right], \qquad \lambda_{t \le 0} = \lambda_{\text{before}}

    With a constant rate (``rate`` scalar and ``rate_before`` the same) the lag drops out:
    ``M = n λ p_A p_C``.

    Parameters
    ----------
    rate : float or array (n,)
        Proposal arrivals per year in lever years 1..n (2021..).
    p_appraisal, p_construction : float
        Pass probabilities of appraisal and of construction.
    lag : float
        Years from proposal to landing (appraisal + construction), ``>= 0``.
    years : int
        Number of lever years counted (5: 2021–2025).
    rate_before : float, optional
        Arrivals per year before 2021 (the inherited pipeline); default the first ``rate``.

    Returns
    -------
    float
        The Poisson mean of the number landed.

    Examples
    --------
    >>> pipeline_landed_mean(2.0, p_appraisal=0.5, p_construction=0.8, lag=1.7)
    4.0
    """
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), (years,))
    before = rate[0] if rate_before is None else rate_before
    stream = np.concatenate([[before], rate])
    return float(p_appraisal * p_construction * lags.matured(stream, lag).sum())


def pipeline_landed_distribution(rate: ArrayLike, *, p_appraisal: float, p_construction: float, lag: float,
                                 years: int = 5, rate_before: float | None = None, base: int = 0):
    r"""Distribution of the cumulative landed count after ``years`` lever years.

    .. math:: N_{2020+n} = N_{2020} + \mathrm{Poisson}(M)

    Parameters
    ----------
    rate, p_appraisal, p_construction, lag, years, rate_before
        As in :func:`pipeline_landed_mean`.
    base : int
        Projects landed by 2020.

    Returns
    -------
    scipy.stats frozen distribution
        ``scipy.stats.poisson(M, loc=base)``; ``.sf(9)`` is ``P(N >= 10)``.

    References
    ----------
    Kingman, J. F. C. (1993). *Poisson Processes*. Oxford University Press.

    Examples
    --------
    >>> dist = pipeline_landed_distribution(2.0, p_appraisal=0.5, p_construction=0.8, lag=2, base=5)
    >>> round(float(dist.sf(9)), 4)   # P(N_2025 >= 10) = P(Poisson(4) >= 5)
    0.3712
    """
    mean = pipeline_landed_mean(rate, p_appraisal=p_appraisal, p_construction=p_construction, lag=lag,
                                years=years, rate_before=rate_before)
    return stats.poisson(mean, loc=base)


def enterprises_mean_path(base: ArrayLike, entries: ArrayLike, exit_rate: ArrayLike) -> Array:
    r"""Solution of the population difference equation ``E_t = (1 - x) E_{t-1} + gamma_t``.

    .. math:: E_t = (1-x)^t E_0 + \sum_{k=1}^{t} (1-x)^{t-k} \gamma_k

    Parameters
    ----------
    base : array_like (...)
        ``E_0``, firms in 2020.
    entries : array_like (..., T)
        Expected entries ``gamma_k`` in lever years 1..T, firms/yr.
    exit_rate : array_like (...)
        Annual exit probability ``x``.

    Returns
    -------
    ndarray (..., T + 1)
        Expected stock 2020..2020+T.

    Examples
    --------
    >>> enterprises_mean_path(100.0, [10.0, 10.0], 0.1)
    array([100., 100., 100.])
    """
    entries = np.asarray(entries, dtype=np.float64)
    survive = 1.0 - np.asarray(exit_rate, dtype=np.float64)[..., None]
    T = entries.shape[-1]
    t = np.arange(T + 1)
    power = survive[..., None] ** np.maximum(t[:, None] - t[None, 1:], 0)          # (..., T+1, T)
    weights = np.where(t[:, None] >= t[None, 1:], power, 0.0)
    return survive ** t * np.asarray(base, dtype=np.float64)[..., None] + (weights * entries[..., None, :]).sum(-1)


def enterprise_count_pmf(base: int, entries: ArrayLike, exit_rate: float) -> Array:
    r"""Probability mass function of the enterprise count after ``len(entries)`` years.

    .. math:: E_T \sim \mathrm{Binomial}\big(E_0, (1-x)^T\big) * \mathrm{Poisson}\Big(\sum_k (1-x)^{T-k}\gamma_k\Big)

    (``*``: convolution). With one exit rate for all sectors it applies to the district total:
    pass the total base and the summed entries.

    Parameters
    ----------
    base : int
        Firms in 2020 (an integer count).
    entries : array_like (T,)
        Expected entries per year, firms/yr.
    exit_rate : float
        Annual exit probability.

    Returns
    -------
    ndarray
        ``pmf[k] = P(E_T = k)`` for ``k = 0 .. len(pmf) - 1`` (the tail beyond holds < 1e-12).

    Examples
    --------
    >>> pmf = enterprise_count_pmf(100, [30.0] * 5, 0.1)
    >>> round(float(pmf[200:].sum()), 3)   # P(E_2025 >= 200)
    0.075
    """
    entries = np.asarray(entries, dtype=np.float64)
    s = 1.0 - exit_rate
    T = entries.size
    mean_new = float((s ** (T - np.arange(1, T + 1)) * entries).sum())
    k_max = int(base + stats.poisson(mean_new).isf(1e-13)) + 2
    k = np.arange(k_max)
    survivors = stats.binom.pmf(k, base, s ** T)
    newcomers = stats.poisson.pmf(k, mean_new)
    return np.convolve(survivors, newcomers)[:k_max]
