"""The three counting models on a leading draw axis: enterprises, projects, scenarios.

Equations, parameters and closed forms are in ``docs/counting.md``. Every count is an
inverse-CDF transform of a uniform (Poisson or binomial quantile), and every Poisson mean
and binomial probability is a deterministic, non-decreasing function of the levers, so for
fixed uniforms more of any lever never gives a lower count in any draw or year (the
frontier solver relies on this). With ``noise=None`` the same code returns the expected
paths, which are exact expectations: the models are linear in the random state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit
from jdmodel.counting import lags
from jdmodel.counting.quantiles import binomial_quantile, poisson_quantile
from jdmodel.errors import ModelError, ParameterError

Array = NDArray[np.float64]
Noise = Callable[[str, tuple[int, ...]], Array]

#: Parameter keys read by :func:`simulate_counts`; ``"sector"`` keys hold one value per sector.
PARAMETER_SHAPES: dict[str, str] = {
    **{f"counting.enterprises.{k}": "scalar" for k in (
        "base", "arrival_rate", "output_elasticity", "funds_doubling", "talent_doubling", "land_doubling",
        "support_2020", "maturation_lag", "graduation_prob", "graduation_uplift", "graduation_funds_scale",
        "exit_rate", "ceiling_multiple")},
    "counting.enterprises.base_share": "sector",
    **{f"counting.projects.{k}": "scalar" for k in (
        "base", "proposal_rate", "funds_doubling", "land_doubling", "support_2020", "appraisal_prob",
        "construction_prob", "appraisal_lag", "construction_lag")},
    **{f"counting.scenarios.{k}": "scalar" for k in (
        "base", "per_project", "lag", "infra_rate", "infra_elasticity")},
}

#: Noise streams drawn when ``noise`` is given: name -> dims after the draw axis (see :func:`noise_shapes`).
NOISE_STREAMS: dict[str, tuple[str, ...]] = {
    "counting.enterprises.base": ("sector",),
    "counting.enterprises.entries": ("sector", "lever_year"),
    "counting.enterprises.exits": ("sector", "lever_year"),
    "counting.projects.base": (),
    "counting.projects.landed": ("lever_year",),
    "counting.scenarios.base": (),
    "counting.scenarios.new": ("lever_year",),
}


def noise_shapes(n_sectors: int, n_lever_years: int) -> dict[str, tuple[int, ...]]:
    """Shape after the draw axis of each noise stream, for a plan's numbers of sectors and lever years.

    Examples
    --------
    >>> noise_shapes(5, 10)["counting.enterprises.entries"]
    (5, 10)
    """
    size = {"sector": int(n_sectors), "lever_year": int(n_lever_years)}
    return {k: tuple(size[dim] for dim in dims) for k, dims in NOISE_STREAMS.items()}


def _read(p: Mapping[str, NDArray], n_sectors: int | None = None) -> dict[str, Array]:
    """Parameters shaped for use: enterprise ones (D, 1) or (D, S); the others (D,).

    The number of sectors ``S`` is ``n_sectors``, or else the length of ``base_share``.
    """
    missing = [k for k in PARAMETER_SHAPES if k not in p]
    if missing:
        raise ParameterError("counting: parameters missing", [f"{k}: not given" for k in missing])
    S = int(np.shape(p["counting.enterprises.base_share"])[-1]) if n_sectors is None else int(n_sectors)
    out, problems = {}, []
    for key, shape in PARAMETER_SHAPES.items():
        a = np.asarray(p[key], dtype=np.float64)
        per_sector = key.startswith("counting.enterprises.") and key != "counting.enterprises.base"
        if shape == "sector" and a.ndim == 1:
            a = a[None, :]                       # (S,) without a draw axis
        elif a.ndim == 0:
            a = a.reshape((1, 1) if per_sector else (1,))
        elif per_sector and a.ndim == 1:
            a = a[:, None]
        ok = (a.ndim == 2 and a.shape[1] in (1, S)) if per_sector else a.ndim == 1
        if shape == "sector":
            ok = ok and a.shape[1] == S
        if not ok:
            problems.append(f"{key}: shape {np.shape(p[key])}, expected "
                            + (f"(D, {S}) or ({S},) — one value per sector" if shape == "sector" else
                               f"(D,) or (D, {S})" if per_sector else "(D,)"))
        out[key.removeprefix("counting.")] = a
    if problems:
        raise ParameterError("counting: parameters of the wrong shape", problems)
    return out


def _check_inputs(funds: Array, talent: Array, land: Array, output: Array, infra: Array,
                  sectors: Sequence[str] | None = None) -> int:
    """Check shapes and signs of the lever and output paths; return the draw count they imply.

    The numbers of sectors and years are those of ``output`` (D, S, Y); the others must agree
    (levers (D, S, Y - 1), ``infra`` (D, Y)). Values down to -1e-9 count as zero: a budget shared
    out pro rata can leave rounding residue.
    """
    if output.ndim != 3 or output.shape[2] < 2:
        raise ParameterError("counting: lever or output paths invalid",
                             [f"output: shape {output.shape}, expected (D, sectors, years)"])
    S, Y = output.shape[1:]
    T = Y - 1
    problems = []
    for name, arr, tail in (("funds", funds, (S, T)), ("talent", talent, (S, T)), ("land", land, (S, T)),
                            ("output", output, (S, Y)), ("infra", infra, (Y,))):
        if arr.ndim != 1 + len(tail) or arr.shape[1:] != tail:
            problems.append(f"{name}: shape {arr.shape}, expected (D, {', '.join(map(str, tail))})")
        elif arr.size and not _rows(arr).min() >= -1e-9:                # also catches NaN
            problems.append(f"{name}: negative or NaN values (min {np.nanmin(arr):g}), expected >= 0")
    if problems:
        raise ParameterError("counting: lever or output paths invalid", problems)
    if not output[:, :, 0].min() > 0:
        names = list(sectors) if sectors is not None and len(sectors) == S else [f"sector #{i}" for i in range(S)]
        bad = sorted({names[s] for s in np.nonzero(output[:, :, 0] <= 0)[1]})
        raise ModelError(f"counting: sector output in the base year must be positive (it scales the enterprise "
                         f"ceiling), got <= 0 for {', '.join(bad)}")
    return max(a.shape[0] for a in (funds, talent, land, output, infra))


def _rows(a: Array) -> Array:
    """``a`` without its repeats: one row when every draw shares it (a broadcast view), else ``a``."""
    return a[:1] if a.ndim and a.strides[0] == 0 else a


def _draw_count(d_inputs: int, q: Mapping[str, Array]) -> int:
    d = max([d_inputs] + [a.shape[0] for a in q.values()])
    bad = [k for k, a in q.items() if a.shape[0] not in (1, d)]
    if bad:
        raise ParameterError(f"counting: draw axes disagree (expected 1 or {d})",
                             [f"counting.{k}: {q[k].shape[0]} draws" for k in bad])
    return d


def enterprise_rates(q: Mapping[str, Array], funds: Array, talent: Array, land: Array,
                     output: Array) -> dict[str, Array]:
    r"""Expected flows of the enterprise model, per draw, sector and year.

    .. math::
        E_{0,s} &= B\, w_s / \textstyle\sum w, \qquad g_{s,t} = (Y_{s,t}/Y_{s,2020})^{\eta},
        \qquad K_{s,t} = \kappa\, E_{0,s}\, g_{s,t} \\
        a_{s,t} &= \beta E_{0,s}\, g_{s,t}\,
                   \frac{1 + F_{s,t}/F_2 + H_{s,t}/H_2 + L_{s,t}/L_2}{1 + \sigma_{2020}},
                   \qquad a_{s,t \le 2020} = \beta E_{0,s} \\
        \pi_{s,t} &= \pi_0 + (1 - \pi_0)\,\theta\,(1 - e^{-F_{s,t}/F_\pi}) \\
        r_{s,t} &= \pi_{s,t}\, [(1-\varphi) a_{s,t-f} + \varphi a_{s,t-f-1}] \\
        \gamma_{s,t} &= \frac{r_{s,t}\, x K_{s,t}}{r_{s,t} + x K_{s,t}}

    Parameters
    ----------
    q : mapping
        Parameters as returned by ``_read`` (keys without the ``counting.`` prefix).
    funds, talent, land : array (D, S, T)
        Lever paths 2021–2030: 亿元/yr, 人/yr, 公顷/yr.
    output : array (D, S, Y)
        Sector output 2020–2030, 亿元.

    Returns
    -------
    dict
        ``base`` (D, S) firms in 2020; ``entries`` (D, S, T) expected entries per year;
        ``ceiling`` (D, S, Y) firms; ``candidates`` (D, S, Y) expected candidates in the pipeline.
    """
    share = q["enterprises.base_share"]
    base = q["enterprises.base"][:, None] * share / share.sum(axis=-1, keepdims=True)
    growth = (output / output[..., :1]) ** q["enterprises.output_elasticity"][..., None]
    ceiling = q["enterprises.ceiling_multiple"][..., None] * base[..., None] * growth
    support = (1.0 + funds / q["enterprises.funds_doubling"][..., None]
               + talent / q["enterprises.talent_doubling"][..., None]
               + land / q["enterprises.land_doubling"][..., None])
    before = q["enterprises.arrival_rate"] * base                                   # (D, S)
    arrivals = (before / (1.0 + q["enterprises.support_2020"]))[..., None] * growth[..., 1:] * support
    stream = np.concatenate([np.broadcast_to(before[..., None], arrivals.shape[:-1] + (1,)), arrivals], axis=-1)
    p0 = q["enterprises.graduation_prob"][..., None]
    graduation = p0 + (1.0 - p0) * q["enterprises.graduation_uplift"][..., None] * -np.expm1(
        -funds / q["enterprises.graduation_funds_scale"][..., None])
    lag = q["enterprises.maturation_lag"]
    raw = graduation * lags.matured(stream, lag)
    room = q["enterprises.exit_rate"][..., None] * ceiling[..., 1:]
    total = raw + room
    entries = np.divide(raw * room, total, out=np.zeros_like(total), where=total > 0)
    return {"base": base, "entries": entries, "ceiling": ceiling, "candidates": lags.pending(stream, lag)}


def project_rates(q: Mapping[str, Array], funds: Array, land: Array) -> dict[str, Array]:
    r"""Expected flows of the project pipeline (district-wide), per draw and year.

    .. math::
        \lambda_t &= \lambda_0\, \frac{1 + F_t/F_2 + L_t/L_2}{1 + \sigma_{2020}},
        \qquad \lambda_{t \le 2020} = \lambda_0 \\
        m_t &= p_A p_C\, [(1-\varphi) \lambda_{t-f} + \varphi \lambda_{t-f-1}],
        \qquad f + \varphi = \ell_A + \ell_C

    with ``F_t``, ``L_t`` the district totals of funds and land.

    Returns
    -------
    dict
        ``landed`` (D, T) expected landings per year; ``pipeline`` (D, Y) expected projects
        that will land but have not yet; ``before`` (D,) expected landings per year before 2021.
    """
    rate = q["projects.proposal_rate"]
    support = (1.0 + funds.sum(axis=1) / q["projects.funds_doubling"][:, None]
               + land.sum(axis=1) / q["projects.land_doubling"][:, None])
    arrivals = (rate / (1.0 + q["projects.support_2020"]))[:, None] * support
    stream = np.concatenate([np.broadcast_to(rate[:, None], (arrivals.shape[0], 1)), arrivals], axis=-1)
    passed = q["projects.appraisal_prob"] * q["projects.construction_prob"]
    lag = q["projects.appraisal_lag"] + q["projects.construction_lag"]
    return {"landed": passed[:, None] * lags.matured(stream, lag),
            "pipeline": passed[:, None] * lags.pending(stream, lag),
            "before": passed * rate}


def scenario_rates(q: Mapping[str, Array], landed: Array, landed_before: Array, infra: Array) -> Array:
    r"""Expected new application scenarios per year given landings per year.

    .. math:: z_t = \nu\, [(1-\varphi) \Lambda_{t-f} + \varphi \Lambda_{t-f-1}]
                    + \rho_0\, I_t^{\epsilon},
              \qquad \Lambda_{t \le 2020} = p_A p_C \lambda_0

    Parameters
    ----------
    landed : array (D, T)
        Projects landed per year (realised counts, or expected ones for the mean path).
    landed_before : array (D,)
        Expected landings per year before 2021.
    infra : array (D, Y)
        Digital-infrastructure index, 2020 = 1.

    Returns
    -------
    array (D, T)
        Expected (conditional on ``landed``) new scenarios per year.
    """
    stream = np.concatenate([np.broadcast_to(landed_before[:, None], (landed.shape[0], 1)), landed], axis=-1)
    from_projects = q["scenarios.per_project"][:, None] * lags.matured(stream, q["scenarios.lag"])
    return from_projects + q["scenarios.infra_rate"][:, None] * infra[:, 1:] ** q["scenarios.infra_elasticity"][:, None]


def _uniforms(noise: Noise, stream: str, d: int, tail: tuple[int, ...]) -> Array:
    u = np.asarray(noise(stream, tail), dtype=np.float64)
    if u.ndim != 1 + len(tail) or u.shape[1:] != tail or (d != 1 and u.shape[0] != d):
        raise ModelError(f"counting: noise({stream!r}, {tail}) returned shape {u.shape}, expected ({d}, "
                         f"{', '.join(map(str, tail))})")
    return u


def _round(value: Array, u: Array) -> Array:
    """Unbiased stochastic rounding: floor(x + u) has mean x and never falls as x rises."""
    return np.floor(value + u)


def simulate_counts(p: Mapping[str, NDArray], *, funds: NDArray, talent: NDArray, land: NDArray,
                    output: NDArray, infra: NDArray, noise: Noise | None,
                    sectors: Sequence[str] | None = None, detail: bool = True) -> dict[str, NDArray]:
    r"""Simulate the three counting targets over a plan's years: enterprises, projects, scenarios.

    Enterprises (per sector): candidates arrive (births and attracted firms; funds, talent,
    land) and, after a maturation lag, graduate to high-growth status with a probability that
    rises with funds; entries saturate at the rate that would hold the stock at a ceiling
    tied to sector output; firms exit (close, relocate, lose the status) with an annual
    probability. Projects (district-wide): proposals arrive (funds, land), pass appraisal and
    construction and land after a lag; counted cumulatively. Scenarios: each landed project
    yields some after a lag, and the digital infrastructure yields more; counted cumulatively.
    Equations: :func:`enterprise_rates`, :func:`project_rates`, :func:`scenario_rates`,
    ``docs/counting.md``.

    Parameters
    ----------
    p : mapping
        Dotted key → array: ``(D,)`` for a scalar, ``(D, S)`` or ``(S,)`` for
        ``counting.enterprises.base_share``; enterprise rates may also be ``(D, S)``. Keys and
        units: :data:`PARAMETER_SHAPES`, ``jdmodel.params.schema_counting``.
    funds, talent, land : array (D, S, T)
        Lever paths 2021–2030 in 亿元/yr, 人/yr, 公顷/yr (land as granted).
    output : array (D, S, Y)
        Sector output 2020–2030, 亿元.
    infra : array (D, Y)
        Digital-infrastructure index 2020–2030, 2020 = 1.
    noise : callable or None
        ``noise(stream, shape_tail)`` → uniforms in (0, 1) of shape ``(D, *shape_tail)`` for the
        streams in :data:`NOISE_STREAMS`; ``None`` returns the expected paths.
    sectors : sequence of str, optional
        The plan's sector ids, to name a sector in an error message.
    detail : bool
        False leaves out the expected paths (``candidates_mean``, ``enterprise_ceiling``,
        ``projects_pipeline_mean``): a sweep reduces the counts only, and the compiled loop then skips
        computing and storing them.

    Returns
    -------
    dict of float64 arrays
        ``enterprises`` (D, S, Y), ``projects`` (D, Y) cumulative landed, ``scenarios`` (D, Y)
        cumulative; with noise these hold non-negative integers. Expected values in any case:
        ``candidates_mean`` (D, S, Y), ``enterprise_ceiling`` (D, S, Y),
        ``projects_pipeline_mean`` (D, Y).

    References
    ----------
    Kingman, J. F. C. (1993). *Poisson Processes*. Oxford (splitting / thinning).
    Beverton, R. J. H. & Holt, S. J. (1957). *On the Dynamics of Exploited Fish Populations*
    (the saturating recruitment that gives the ceiling).

    Examples
    --------
    >>> import tomllib
    >>> from jdmodel._paths import parameters_dir
    >>> from jdmodel.counting import parameters_from_toml
    >>> with open(parameters_dir() / "plans" / "jiading" / "baseline.toml", "rb") as fh:
    ...     p = parameters_from_toml(tomllib.load(fh))
    >>> lever = np.ones((1, 5, 10))
    >>> out = simulate_counts(p, funds=lever, talent=300 * lever, land=2 * lever,
    ...                       output=np.ones((1, 5, 11)), infra=np.ones((1, 11)), noise=None)
    >>> out["enterprises"].shape, float(out["projects"][0, 0])
    ((1, 5, 11), 5.0)
    """
    funds, talent, land, output, infra = (np.asarray(a, dtype=np.float64) for a in (funds, talent, land, output, infra))
    q = _read(p, output.shape[1] if output.ndim == 3 else None)
    d = _draw_count(_check_inputs(funds, talent, land, output, infra, sectors), q)
    funds, talent, land = (a if a.size == 0 or _rows(a).min() >= 0.0 else np.maximum(a, 0.0)
                           for a in (funds, talent, land))
    from jdmodel.counting import kernel

    if noise is None:
        if _jit.enabled():                                   # the same numbers in one compiled pass
            return kernel.simulate(q, funds, talent, land, output, infra, None, d, detail)[0]
        return _without_detail(_expected(q, funds, talent, land, output, infra, d), detail)
    from jdmodel.uncertainty.rng import KeyedNoise

    shapes = noise_shapes(*funds.shape[1:])
    if _jit.enabled() and isinstance(noise, KeyedNoise):      # the loop draws the same uniforms itself
        d = noise.draw_index.shape[0]
        out, ok = kernel.simulate(q, funds, talent, land, output, infra, (noise.draw_index, noise.keys(kernel._STREAMS)),
                                  d, detail)
        u = None
    else:
        u = {k: _uniforms(noise, k, d, tail) for k, tail in shapes.items()}
        d = max(a.shape[0] for a in u.values())            # the noise may supply the draws
        if not _jit.enabled():
            return _without_detail(_stochastic(q, funds, talent, land, output, infra, u, d), detail)
        out, ok = kernel.simulate(q, funds, talent, land, output, infra, u, d, detail)
    if not ok.all():                  # a quantile too close to call from the tables: scipy decides
        if u is None:
            u = {k: _uniforms(noise, k, d, tail) for k, tail in shapes.items()}
        redo = np.flatnonzero(~ok)

        def rows(a: Array) -> Array:
            return a[redo] if a.shape[0] > 1 else a

        again = _stochastic({k: rows(v) for k, v in q.items()}, *(rows(a) for a in (funds, talent, land, output, infra)),
                            {k: rows(v) for k, v in u.items()}, redo.size)
        for k in out:
            out[k][redo] = again[k]
    return out


def _without_detail(out: dict[str, Array], detail: bool) -> dict[str, Array]:
    """``out`` without the expected paths unless ``detail``."""
    from jdmodel.counting.kernel import DETAIL

    return out if detail else {k: v for k, v in out.items() if k not in DETAIL}


def _full(out: dict[str, Array], d: int) -> dict[str, Array]:
    return {k: np.broadcast_to(v, (d, *v.shape[1:])).copy() if v.shape[0] != d else v for k, v in out.items()}


def _expected(q: Mapping[str, Array], funds: Array, talent: Array, land: Array, output: Array, infra: Array,
              d: int) -> dict[str, Array]:
    """The expected paths (``noise=None``): exact expectations, the models being linear in the random state."""
    ent = enterprise_rates(q, funds, talent, land, output)
    proj = project_rates(q, funds, land)
    x = q["enterprises.exit_rate"]
    e = ent["base"]
    path = [e]
    for t in range(funds.shape[2]):
        e = (1.0 - x) * e + ent["entries"][..., t]
        path.append(e)
    landed = proj["landed"]
    projects = q["projects.base"][:, None] + np.concatenate(
        [np.zeros((landed.shape[0], 1)), np.cumsum(landed, axis=-1)], axis=-1)
    new = scenario_rates(q, landed, proj["before"], infra)
    scenarios = q["scenarios.base"][:, None] + np.concatenate(
        [np.zeros((new.shape[0], 1)), np.cumsum(new, axis=-1)], axis=-1)
    return _full({"enterprises": np.stack(path, axis=-1), "projects": projects, "scenarios": scenarios,
                  "candidates_mean": ent["candidates"], "enterprise_ceiling": ent["ceiling"],
                  "projects_pipeline_mean": proj["pipeline"]}, d)


def _stochastic(q: Mapping[str, Array], funds: Array, talent: Array, land: Array, output: Array, infra: Array,
                u: Mapping[str, Array], d: int) -> dict[str, Array]:
    """The stochastic models on whole arrays (numpy): the reference for the compiled loop."""
    ent = enterprise_rates(q, funds, talent, land, output)
    proj = project_rates(q, funds, land)
    x = q["enterprises.exit_rate"]
    e = np.broadcast_to(_round(ent["base"], u["counting.enterprises.base"]), (d, funds.shape[1]))
    entries = poisson_quantile(u["counting.enterprises.entries"], ent["entries"])
    u_exit = u["counting.enterprises.exits"]
    path = [e]
    for t in range(funds.shape[2]):
        e = e - binomial_quantile(u_exit[..., t], e, x) + entries[..., t]
        path.append(e)
    landed = poisson_quantile(u["counting.projects.landed"], proj["landed"])
    base_p = _round(q["projects.base"], u["counting.projects.base"])
    projects = base_p[:, None] + np.concatenate([np.zeros((d, 1)), np.cumsum(landed, axis=-1)], axis=-1)
    new = poisson_quantile(u["counting.scenarios.new"], scenario_rates(q, landed, proj["before"], infra))
    base_s = _round(q["scenarios.base"], u["counting.scenarios.base"])
    scenarios = base_s[:, None] + np.concatenate([np.zeros((d, 1)), np.cumsum(new, axis=-1)], axis=-1)
    return _full({"enterprises": np.stack(path, axis=-1), "projects": projects, "scenarios": scenarios,
                  "candidates_mean": ent["candidates"], "enterprise_ceiling": ent["ceiling"],
                  "projects_pipeline_mean": proj["pipeline"]}, d)


def parameters_from_toml(document: Mapping) -> dict[str, Array]:
    """Central values of the ``[counting.*]`` tables of a parsed TOML document, as model input.

    Parameters
    ----------
    document : mapping
        Parsed TOML (``tomllib.load``) holding ``counting.enterprises``, ``counting.projects``
        and ``counting.scenarios`` tables of ``{ value = ..., unit = ..., ... }`` entries.

    Returns
    -------
    dict
        Dotted key → ``(1,)`` array for a scalar, ``(1, S)`` for a per-sector list.

    Examples
    --------
    >>> doc = {"counting": {"projects": {"base": {"value": 5, "unit": "projects"}}}}
    >>> parameters_from_toml(doc)
    {'counting.projects.base': array([5.])}
    """
    out = {}
    for group, table in document.get("counting", {}).items():
        for name, entry in table.items():
            value = np.asarray(entry["value"], dtype=np.float64)
            out[f"counting.{group}.{name}"] = value[None, ...] if value.ndim else value.reshape(1)
    return out
