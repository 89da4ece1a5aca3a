"""The link between the growth model and the district input-output table (mixed model).

The growth model sets the output of the focus sectors; through the concordance this fixes the
output of the IO sectors they belong to (exogenous), and the other IO sectors follow from the
mixed model with their final demand growing at ``district.final_demand_growth`` (Miller & Blair 2009,
section 13.1).
Everything here is plain numpy with a leading draw axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jdmodel.errors import ParameterError
from jdmodel.inputoutput import algebra as alg
from jdmodel.inputoutput import data
from jdmodel.inputoutput.regional import regionalise
from jdmodel.inputoutput.table import IOTable

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RegionalIO:
    """Everything the engine needs from the regional table, as read-only numpy arrays.

    Attributes
    ----------
    codes, name_zh, name_en : tuple of str (n,)
        IO sector codes and names.
    A : array (n, n)
        Regional technical coefficients, unit 1.
    x_base : array (n,)
        2020 regional gross output, 亿元.
    f_base : array (n,)
        2020 regional final demand (including exports out of the district), 亿元.
    va_coef : array (n,)
        Value added per unit of output, unit 1.
    concordance : array (S, n)
        Share of each focus sector's output in each IO sector; rows sum to 1.
    exogenous : int array (k,)
        Indices of IO sectors whose output the growth model sets (columns of the concordance
        with a positive share), increasing.
    source : str
        One line: table, year, method, delta.
    output_ratio : array (S,)
        Default IO gross output per unit of the output the statistics measure, used when
        :func:`economy_wide` is given no ``margin`` (ones, unless the ``output_ratio`` setting says
        otherwise). The engine passes each draw's ``sectors.<s>.margin`` instead: one parameter for
        the growth block's value added and this link.
    """

    codes: tuple[str, ...]
    name_zh: tuple[str, ...]
    name_en: tuple[str, ...]
    A: FloatArray
    x_base: FloatArray
    f_base: FloatArray
    va_coef: FloatArray
    concordance: FloatArray
    exogenous: NDArray[np.int64]
    source: str
    output_ratio: FloatArray | None = None
    sectors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.output_ratio is None:
            object.__setattr__(self, "output_ratio", np.ones(self.concordance.shape[0]))


def _checked_settings(settings: Any, folder: str) -> tuple[tuple[str, Any], ...]:
    """The settings checked like the same keys in the plan's files, as a hashable key of canonical values.

    Keys of ``io/region.toml`` (and ``method``, ``delta``) go through the file's rules
    (:func:`jdmodel.params.iofiles.check_overrides`); each ratio of ``output_ratio`` through the
    bounds of ``sectors.<s>.margin`` (the parameter the engine passes in its place). Every problem
    is reported together in one :class:`ParameterError` naming the setting, the value and what was
    expected.
    """
    if settings is None:
        return ()
    if not isinstance(settings, Mapping):
        raise ParameterError(f"load_regional: settings must be a mapping of setting -> value, e.g. {{'delta': 0.15}}, "
                             f"got {settings!r}")
    if not settings:
        return ()
    from jdmodel.params.iofiles import check_overrides
    from jdmodel.params.leaf import bounds_of
    from jdmodel.params.loader import Problems
    from jdmodel.params.plan import load_plan
    from jdmodel.params.rules import number
    from jdmodel.params.schema import SCHEMA

    plan = load_plan(folder)
    probs = Problems(f"load_regional settings on {plan.id}/io/region.toml")
    items: list[tuple[str, Any]] = []
    if "output_ratio" in settings:
        spec = settings["output_ratio"]
        bounds = bounds_of(SCHEMA["sectors.{sector}.margin"])
        if not isinstance(spec, Mapping):
            probs.add("output_ratio", f"{spec!r}: expected a mapping sector -> IO gross output per unit of measured "
                                      f"output ({bounds.text()}), e.g. {{{plan.sector_ids[0]!r}: 1.0}}")
        else:
            ratios = {}
            for s, r in spec.items():
                if s not in plan.sector_ids:
                    probs.add(f"output_ratio.{s}", f"not a sector of plan {plan.id!r} (expected some of "
                                                   f"{', '.join(plan.sector_ids)})")
                    continue
                got = number(r, f"output_ratio.{s}", probs, bounds)     # the bounds of sectors.<s>.margin
                if got is not None:
                    ratios[s] = got
            items.append(("output_ratio", tuple((s, ratios[s]) for s in plan.sector_ids if s in ratios)))
    region = {k: v for k, v in settings.items() if k != "output_ratio"}
    values = check_overrides(region, data.regional_inputs(plan=plan), "", also=("output_ratio",),
                             probs=probs) if region else {}
    probs.raise_if_any("invalid settings")
    items += [(k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()]
    return tuple(sorted(items))


def regional_table(settings: Mapping[str, Any] | None = None, plan=None) -> IOTable:
    """The regionalised table (an :class:`IOTable`) for the same settings and plan as :func:`load_regional`.

    Examples
    --------
    >>> regional_table().source[:25]
    'regionalised (FLQ, delta='
    """
    folder = _plan_folder(plan)
    return _regional_cached(_checked_settings(settings, folder), folder)[0]


def _plan_folder(plan) -> str:
    from jdmodel.params.plan import load_plan

    return str(load_plan(plan).folder)


def load_regional(settings: Mapping[str, Any] | None = None, plan=None) -> RegionalIO:
    """Regionalise the plan's national table to its region and package it for the engine.

    Reads the plan's ``io/`` folder and the national table it names (cached per settings and
    plan). For Jiading without settings: NBS 2020 table (domestic form), district gross output
    from ``io/region.toml``, FLQ with delta 0.3.

    Parameters
    ----------
    settings : mapping, optional
        Overrides: ``"method"`` ("slq", "cilq", "flq", "aflq"), ``"delta"``, any dotted key of
        ``io/region.toml`` (e.g. ``"assumptions.industry_share.18": 0.65``) and
        ``"output_ratio"``: a mapping sector -> IO gross output per unit of measured output (default ones;
        the engine passes the scenario's margins to :func:`economy_wide` instead). Each value is
        checked like the same key in the plan's files: a key of ``region.toml`` by the file's rules
        (its kind, its bounds, the rules between keys; a bare number is in the key's canonical unit,
        a table ``{value, unit, source, low, high}`` is read as in the file), a ratio of
        ``output_ratio`` by the bounds of ``sectors.<s>.margin``. The file's own ``low``/``high`` of a
        key do not bound an override (a sensitivity run may leave them).
    plan : str, Path or Plan, optional
        The plan (default: the default plan).

    Raises
    ------
    ParameterError
        An unknown setting, a value of the wrong type or out of its key's bounds, or values that do
        not hold together; every problem is listed with the setting, the value and what was expected.

    Examples
    --------
    >>> io = load_regional()
    >>> io.A.shape, io.concordance.shape, [io.codes[j] for j in io.exogenous]
    ((42, 42), (5, 42), ['18', '20', '28', '29', '31', '34', '41'])
    >>> load_regional({"delta": 1.5})
    Traceback (most recent call last):
    ...
    jdmodel.errors.ParameterError: invalid settings
      - load_regional settings on jiading/io/region.toml: delta: value 1.5 must be < 1 (bounds: ≥ 0 and < 1)
    """
    folder = _plan_folder(plan)
    return _regional_cached(_checked_settings(settings, folder), folder)[1]


@lru_cache(maxsize=32)
def _regional_cached(key: tuple[tuple[str, Any], ...], folder: str) -> tuple[IOTable, RegionalIO]:
    """Build the table for settings already checked (:func:`_checked_settings`)."""
    from jdmodel.params.plan import load_plan

    plan = load_plan(folder)
    settings = dict(key)
    inputs = data.regional_inputs(plan=plan)
    values = {k: e["value"] for k, e in inputs.items()}
    values.update({k: v for k, v in settings.items() if k != "output_ratio"})
    method = values["regionalisation.method"]
    delta = float(values["regionalisation.delta"])
    table_name = str(values.get("regionalisation.table", data.DEFAULT_TABLE))
    national = data.load_national(table_name)
    try:
        x_region = data.regional_output(national, values, data.national_groups(table_name))
        table, _ = regionalise(national, x_region, method=method, delta=delta)
    except ParameterError as err:   # inputs valid one by one that do not hold together: name the file
        given = {k: v for k, v in settings.items() if k != "output_ratio"}
        with_settings = f" with the settings {given}" if given else ""
        raise ParameterError(f"{plan.file('io') / 'region.toml'}{with_settings}: {err}") from None
    C = data.load_concordance(table.codes, plan=plan)
    sectors = plan.sector_ids
    given_ratio = dict(settings.get("output_ratio", ()))
    ratio = np.array([given_ratio.get(s, 1.0) for s in sectors])
    va_coef = np.where(table.x > 0, np.divide(table.v, table.x, out=np.zeros(table.n), where=table.x > 0),
                       national.v / national.x)
    arrays = [table.A.copy(), table.x.copy(), table.f.copy(), va_coef, C, np.flatnonzero(C.sum(axis=0) > 0), ratio]
    for a in arrays:
        a.setflags(write=False)
    lq_note = f", delta={delta:g}" if method in ("flq", "aflq") else ""
    source = (f"{national.source.split(';')[0]}, regionalised to {plan.region_en or plan.id} {plan.years.base} "
              f"by {method.upper()}{lq_note} on assumed regional gross output ({plan.id}/io/region.toml)")
    return table, RegionalIO(table.codes, table.name_zh, table.name_en, *arrays[:6], source, arrays[6], sectors)


def economy_wide(io: RegionalIO, focus_output: NDArray, focus_base: NDArray,
                 final_demand_growth: NDArray | float = 0.0, margin: NDArray | None = None) -> dict[str, FloatArray]:
    r"""Economy-wide output and value added implied by the focus sectors' output (mixed model).

    Exogenous IO sectors X: the focus sectors' part follows the growth model and the rest of the
    sector's base output grows with the rest of the economy,
    :math:`x_{j,t} = (x^{base}_j - \sum_s C_{sj} r_s y^{base}_s)(1+g)^t + \sum_s C_{sj} r_s y_{s,t}`
    (``r`` = ``margin``, per draw, default ``io.output_ratio``); the other sectors' final demand grows at ``g``,
    :math:`f_{N,t} = f^{base}_N (1+g)^t`, and their output follows
    :math:`x_N = (I - A_{NN})^{-1}(f_N + A_{NX} x_X)`; value added :math:`v = c_v \odot x`.
    With ``g = 0`` the rest of the economy stays at its 2020 level. One factorisation of
    :math:`I - A_{NN}`, one solve on all draws and years stacked.

    Parameters
    ----------
    io : RegionalIO
    focus_output : array (D, S, Y)
        Growth-model output of the focus sectors, 亿元.
    focus_base : array (D, S)
        Their 2020 values, 亿元 (D may be 1 and broadcasts).
    final_demand_growth : float or array (D,)
        Growth per year of the economy outside the focus sectors (``district.final_demand_growth``).

    Returns
    -------
    dict with
        ``"io_output"`` (D, Y, n) gross output, 亿元; ``"io_value_added"`` (D, Y, n), 亿元;
        ``"io_final_demand_implied"`` (D, Y, k) final demand of the exogenous sectors that the
        mixed model implies, 亿元.

    References
    ----------
    Miller & Blair (2009), section 13.1.

    Examples
    --------
    >>> io = load_regional()
    >>> base = np.array([[57.0, 165.0, 2222.0, 50.0, 118.0]])
    >>> out = economy_wide(io, np.repeat(base[:, :, None], 3, axis=2), base)
    >>> bool(np.allclose(out["io_output"][0, 0], io.x_base))
    True
    """
    y = np.asarray(focus_output, dtype=float)
    y0 = np.asarray(focus_base, dtype=float)
    S = io.concordance.shape[0]
    if y.ndim != 3 or y.shape[1] != S:
        raise ParameterError(f"economy_wide: focus_output has shape {y.shape}; expected (D, {S}, Y)")
    if y0.ndim != 2 or y0.shape[1] != S:
        raise ParameterError(f"economy_wide: focus_base has shape {y0.shape}; expected (D, {S})")
    exo = io.exogenous
    g = np.asarray(final_demand_growth, dtype=float).reshape(-1)                  # (D,) or (1,)
    trend = (1.0 + g[:, None]) ** np.arange(y.shape[2])[None, :]                    # (D, Y)
    r = np.broadcast_to(np.asarray(io.output_ratio if margin is None else margin, dtype=float).reshape(-1, S)
                        if np.ndim(margin if margin is not None else io.output_ratio) <= 1
                        else np.asarray(margin, dtype=float), (max(y.shape[0], y0.shape[0]), S))
    focus = np.einsum("sk,dsy->dyk", io.concordance[:, exo], y * r[:, :, None])
    focus_0 = np.einsum("sk,ds->dk", io.concordance[:, exo], y0 * r)
    x_exo = (io.x_base[exo] - focus_0)[:, None, :] * trend[..., None] + focus           # (D, Y, k)
    endo = np.setdiff1d(np.arange(io.A.shape[0]), exo)
    f_endo = io.f_base[endo] * trend[..., None]                                       # (D, Y, n - k)
    x, f_exo = alg.mixed_model(io.A, exo, x_exo, f_endo)   # factorises I - A_NN once
    return {"io_output": x, "io_value_added": x * io.va_coef, "io_final_demand_implied": f_exo}
