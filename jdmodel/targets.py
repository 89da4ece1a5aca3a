"""Target assessment: the plan's targets against a scenario's results.

``assess`` works on a central run (dims ``year``, …) and on an ensemble (with a ``draw``
dim) alike: for an ensemble the "reached" column is a probability with its Monte Carlo
standard error and a Wilson 95 % interval.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from jdmodel.params.targets import GrowthPath, Target, TargetSet

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def wilson_interval(p: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Examples
    --------
    >>> lo, hi = wilson_interval(0.5, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4038, 0.5962)
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


@dataclass
class TargetResult:
    """One target's assessment."""

    target: Target
    value: float                         # central value (or median over draws) in the target year
    low: float | None = None             # 5 % quantile (draws)
    high: float | None = None            # 95 % quantile (draws)
    probability: float | None = None     # P(reached) (draws); None for a central run
    se: float | None = None
    interval: tuple[float, float] | None = None
    reached: bool | None = None          # central run
    first_year: int | None = None        # central run: first year reached; draws: median first year
    first_year_dist: dict[str, float] = field(default_factory=dict)
    shortfall: float = 0.0               # central: threshold − value if not reached; draws: expected shortfall
    evidence: str = "assumed"            # "observed": published figures of the indicator exist; else "assumed"

    @property
    def status(self) -> str:
        if self.probability is None:
            return "reached" if self.reached else "missed"
        return f"P = {self.probability:.1%}"


@dataclass
class PathResult:
    """A growth path of the plan (e.g. Jiading's e-commerce sales +15 %/yr) against the model.

    ``required_cagr_full``: growth a year from the path's base year to its target value;
    ``required_cagr_from_start``: from the year before ``start_year``; ``implied_start_base``:
    the value in the year before ``start_year`` that the growth rate and target value imply.
    """

    path: GrowthPath
    years: list[int]
    model: list[float]
    line: list[float]
    model_cagr: float
    required_cagr_full: float
    required_cagr_from_start: float
    implied_start_base: float
    line_target_year: float
    probability_above_line: float | None = None
    first_year: int = 0


@dataclass
class TargetReport:
    """What ``jd.assess`` returns: ``.table()`` for a terminal, an HTML repr in notebooks."""

    scenario: str
    sha256: str
    draws: int
    results: list[TargetResult]
    paths: list[PathResult]
    joint_probability: float | None = None
    joint_se: float | None = None
    joint_all_targets: bool | None = None
    missing: list[str] = field(default_factory=list)
    quantiles: xr.Dataset | None = None

    def table(self) -> str:
        """A plain-text table of the targets (and the plan's growth paths)."""
        unit_w = 10
        lines = [f"Targets for scenario {self.scenario!r} (parameters sha256 {self.sha256[:12]}, "
                 f"{'central values' if self.draws == 1 else f'{self.draws} draws'})"]
        head = (f"{'target':<12} {'year':>4} {'value':>22} {'threshold':>12}  {'result':<26} {'first year':>10} "
                f"{'shortfall':>10}  {'evidence':<8}")
        lines += [head, "-" * len(head)]
        for r in self.results:
            t = r.target
            val = f"{r.value:,.1f}"
            if r.low is not None:
                val = f"{r.value:,.0f} [{r.low:,.0f}–{r.high:,.0f}]"
            result = r.status
            if r.interval is not None:
                result += f" [{r.interval[0]:.1%}, {r.interval[1]:.1%}]"
            fy = "never" if r.first_year is None else str(r.first_year)
            lines.append(f"{t.id:<12} {t.year:>4} {val:>22} {t.comparison + ' ' + f'{t.threshold:,.0f}':>12}  "
                         f"{result:<26} {fy:>10} {r.shortfall:>10,.1f}  {r.evidence:<8}")
        if self.draws > 1 and self.joint_probability is not None:
            lines.append(f"{'all targets':<12} {'':>4} {'':>22} {'':>12}  P = {self.joint_probability:.1%} "
                         f"(± {self.joint_se:.1%} s.e.)")
        elif self.joint_all_targets is not None:
            lines.append(f"{'all targets':<12} {'':>4} {'':>22} {'':>12}  "
                         f"{'reached' if self.joint_all_targets else 'missed'}")
        if self.missing:
            lines.append(f"not assessed (indicator not modelled in this run): {', '.join(self.missing)}")
        lines.append("values: central run, or median [5 %–95 %] over draws; units: "
                     + ", ".join(f"{r.target.id} {r.target.unit}" for r in self.results))
        if any(r.evidence == "assumed" for r in self.results):
            lines.append(EVIDENCE_LEGEND)
        if self.draws == 1 and any(r.target.unit in ("firms", "projects", "scenarios") for r in self.results):
            lines.append("counts of a central run are expected values; --draws N gives their distribution and P(reach)")
        del unit_w
        for p in self.paths:
            lines.append("")
            g, pt = p.path, p.path
            n = pt.target_year - pt.start_year + 1
            lines.append(f"Growth path {g.id} ({g.label_en}) — {g.citation.split(',')[0]}")
            lines.append("  year   " + " ".join(f"{y:>7d}" for y in p.years))
            lines.append("  model  " + " ".join(f"{v:>7,.0f}" for v in p.model))
            lines.append("  plan   " + " ".join(f"{v:>7,.0f}" for v in p.line))
            lines.append(f"  model CAGR {p.first_year}–{g.target_year}: {p.model_cagr:.2%}/yr;  plan: "
                         f"{g.growth:.0%}/yr → {p.line_target_year:,.0f} in {g.target_year} "
                         f"({g.base_value:,.0f} × {1 + g.growth:g}^{n}); {g.base_value:,.0f} → "
                         f"{g.target_value:,.0f} needs {p.required_cagr_full:.2%}/yr over {g.base_year}–{g.target_year} "
                         f"or {p.required_cagr_from_start:.2%}/yr over {g.start_year}–{g.target_year} (implied "
                         f"{g.start_year - 1} value {p.implied_start_base:,.1f})")
            if p.probability_above_line is not None:
                lines.append(f"  P(model ≥ {p.path.target_value:,.0f} in {p.path.target_year}) = "
                             f"{p.probability_above_line:.1%}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            t = r.target
            colour = _traffic(r)
            val = f"{r.value:,.1f}" + (f" <small>[{r.low:,.0f}–{r.high:,.0f}]</small>" if r.low is not None else "")
            res = html.escape(r.status)
            if r.interval is not None:
                res += f" <small>[{r.interval[0]:.1%}, {r.interval[1]:.1%}]</small>"
            rows.append(
                f"<tr><td><span style='color:{colour}'>&#9679;</span> <b>{html.escape(t.id)}</b> ({t.year})<br>"
                f"<small>{html.escape(t.label_zh)}</small></td><td style='text-align:right'>{val}</td>"
                f"<td>{html.escape(t.comparison)} {t.threshold:,.0f} {html.escape(t.unit)}</td><td>{res}</td>"
                f"<td>{r.first_year or 'never'}</td><td style='text-align:right'>{r.shortfall:,.1f}</td>"
                f"<td>{html.escape(r.evidence)}</td></tr>")
        joint = ""
        if self.joint_probability is not None and self.draws > 1:
            joint = f"<p>P(all targets) = <b>{self.joint_probability:.1%}</b> (± {self.joint_se:.1%})</p>"
        paths = "".join(f"<pre>{html.escape(chunk)}</pre>" for chunk in self.table().split("\n\n")[1:])
        return (f"<div><p><b>Targets — scenario {html.escape(self.scenario)}</b> "
                f"<small>sha256 {self.sha256[:12]} · {self.draws} draw(s)</small></p>"
                "<table><tr><th>target</th><th>value in its year</th><th>threshold</th><th>result</th>"
                "<th>first year</th><th>shortfall</th><th>evidence</th></tr>" + "".join(rows) + "</table>"
                + joint + f"<p><small>{html.escape(EVIDENCE_LEGEND)}</small></p>" + paths + "</div>")


EVIDENCE_LEGEND = ("evidence: observed = the plan's published figures include this indicator (or, for a total, "
                   "its components), so the data can check the model; assumed = nothing published measures it, "
                   "the result rests on assumed parameters only")


def evidence_of(targets: TargetSet, observations) -> dict[str, str]:
    """Target id → ``"observed"`` when a published figure measures its indicator (a total: any component), else ``"assumed"``.

    Examples
    --------
    >>> from jdmodel.params.plan import load_plan
    >>> from jdmodel.params.targets import load_targets
    >>> p = load_plan("jiading")
    >>> evidence_of(load_targets(plan=p), p.observations)
    {'output': 'observed', 'enterprises': 'assumed', 'projects': 'assumed', 'scenarios': 'assumed'}
    """
    seen = {o.indicator for o in observations}
    totals = targets.total_of
    out = {}
    for t in targets.targets:
        parts = {f"output.{s}" for s in totals.get(t.indicator, ())}
        out[t.id] = "observed" if t.indicator in seen or parts & seen else "assumed"
    return out


def _traffic(r: TargetResult) -> str:
    p = r.probability if r.probability is not None else (1.0 if r.reached else 0.0)
    return "#2ca02c" if p >= 0.8 else "#ff7f0e" if p >= 0.5 else "#d62728"


def assess(ds: xr.Dataset, targets: TargetSet | None = None) -> TargetReport:
    """Assess every target whose indicator the results contain.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`jdmodel.simulate` (central run or ensemble with a ``draw`` dim).
    targets : TargetSet, optional
        Defaults to the targets the run used (its plan's ``targets.toml``, or the scenario's own file).

    Returns
    -------
    TargetReport
        Value in the target year, threshold, reached (or P(reach) with its standard error and
        Wilson interval), first year reached, shortfall; the joint probability of all assessed
        targets; each growth path of the plan against its line; quantiles by year.
    """
    if targets is None:
        from jdmodel.pipeline.results import targets_of

        targets = targets_of(ds)
    from jdmodel.pipeline.results import plan_of

    evidence = evidence_of(targets, plan_of(ds).observations)
    report = _assess_sweep(ds, targets) if ds.attrs.get("kind") == "sweep" else _assess_run(ds, targets)
    for r in report.results:
        r.evidence = evidence.get(r.target.id, "assumed")
    return report


def _assess_run(ds: xr.Dataset, targets: TargetSet) -> TargetReport:
    """The report of a central run or an ensemble (numpy on each indicator's (draw, year) values)."""
    has_draws = "draw" in ds.dims
    n = int(ds.sizes.get("draw", 1))
    years = ds["year"].values
    results, missing, reached_all = [], [], None
    for t in targets.targets:
        if t.indicator not in ds:
            missing.append(t.id)
            continue
        arr = _draw_year(ds[t.indicator])            # (draw, year); one row for a central run
        ok = np.asarray(t.reached(arr))
        at = np.flatnonzero(years == t.year)
        if at.size == 0:
            raise KeyError(f"target {t.id!r}: year {t.year} is not among the results' years {years[0]}–{years[-1]}")
        j = int(at[0])
        value, hit = arr[:, j], ok[:, j]
        reached_all = hit if reached_all is None else (reached_all & hit)
        gap = np.maximum(t.threshold - value, 0.0) if t.comparison in (">", ">=") else np.maximum(
            value - t.threshold, 0.0)
        first = np.where(ok.any(axis=-1), years.astype(float)[ok.argmax(axis=-1)], np.nan)
        if has_draws:
            p = float(hit.mean())
            q = np.quantile(value, [0.05, 0.5, 0.95]) if not np.isnan(value).any() else np.nanquantile(
                value, [0.05, 0.5, 0.95])
            dist = _first_year_distribution(first, n)
            finite = first[np.isfinite(first)]
            results.append(TargetResult(
                t, value=float(q[1]), low=float(q[0]), high=float(q[2]), probability=p,
                se=float(np.sqrt(p * (1 - p) / n)), interval=wilson_interval(p, n),
                first_year=int(np.median(finite)) if finite.size > n / 2 else None,
                first_year_dist=dist, shortfall=float(gap.mean())))
        else:
            fy = first[0]
            results.append(TargetResult(t, value=float(value[0]), reached=bool(hit[0]), shortfall=float(gap[0]),
                                        first_year=None if not np.isfinite(fy) else int(fy)))
    joint = joint_se = joint_all = None
    if reached_all is not None:
        if has_draws:
            joint = float(reached_all.mean())
            joint_se = float(np.sqrt(joint * (1 - joint) / n))
        else:
            joint_all = bool(reached_all[0])
    paths = [_path_result(p, ds) for p in targets.paths if p.indicator in ds]
    quant = None
    if has_draws:
        wanted = [*targets.total_of, *(t.indicator for t in targets.targets), *(p.indicator for p in targets.paths)]
        names = [v for v in dict.fromkeys(wanted) if v in ds and "draw" in ds[v].dims]
        quant = _quantiles(ds, names) if names else None
    return TargetReport(scenario=str(ds.attrs.get("scenario", "?")), sha256=str(ds.attrs.get("parameters_sha256", "")),
                        draws=n, results=results, paths=paths, joint_probability=joint, joint_se=joint_se,
                        joint_all_targets=joint_all, missing=missing, quantiles=quant)


def _draw_year(da: xr.DataArray) -> np.ndarray:
    """An indicator's values as (draw, year) (a central run: one row)."""
    if "draw" in da.dims:
        return da.transpose("draw", "year").values
    return da.transpose("year").values[None, :]


def _quantiles(ds: xr.Dataset, names: list[str]) -> xr.Dataset:
    """:data:`QUANTILES` over the draws of each indicator: what ``ds[names].quantile(..., dim="draw")`` gives,
    computed by numpy once per indicator (NaN-skipping only where a value is NaN)."""
    q = list(QUANTILES)
    out = {}
    for v in names:
        da = ds[v].transpose("draw", ...)
        vals = da.values
        res = np.nanquantile(vals, q, axis=0) if np.isnan(vals).any() else np.quantile(vals, q, axis=0)
        rest = da.dims[1:]
        out[v] = xr.DataArray(res, dims=("quantile", *rest), attrs=da.attrs,
                              coords={"quantile": q, **{d: da.coords[d].variable for d in rest if d in da.coords}})
    return xr.Dataset(out, attrs=ds.attrs)


def _skipna(*arrays: xr.DataArray) -> bool | None:
    """False when no value is NaN: xarray then takes numpy's vectorised quantile instead of the
    NaN-skipping one, which loops over the columns in Python; the results are the same."""
    return None if any(np.isnan(a.values).any() for a in arrays) else False


def _first_year(reached_by: xr.DataArray) -> np.ndarray:
    """First year in which the target holds (NaN if never), per draw."""
    years = reached_by["year"].values.astype(float)
    arr = reached_by.transpose(..., "year").values
    any_hit = arr.any(axis=-1)
    idx = arr.argmax(axis=-1)
    return np.where(any_hit, years[idx], np.nan)


def _first_year_distribution(first: np.ndarray, n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    finite = first[np.isfinite(first)]
    for y in np.unique(finite):
        out[str(int(y))] = float((finite == y).sum() / n)
    out["never"] = float((~np.isfinite(first)).sum() / n)
    return out


def _path_numbers(p: GrowthPath) -> dict[str, float]:
    return dict(
        required_cagr_full=(p.target_value / p.base_value) ** (1.0 / (p.target_year - p.base_year)) - 1.0,
        required_cagr_from_start=(p.target_value / p.base_value) ** (1.0 / (p.target_year - p.start_year + 1)) - 1.0,
        implied_start_base=p.target_value / (1.0 + p.growth) ** (p.target_year - p.start_year + 1),
        line_target_year=float(p.line(p.target_year)))


def _path_result(p: GrowthPath, ds: xr.Dataset) -> PathResult:
    years = [int(y) for y in ds["year"].values if y <= p.target_year]
    series = ds[p.indicator]
    central = series.median("draw", skipna=_skipna(series)) if "draw" in series.dims else series
    model = [float(central.sel(year=y)) for y in years]
    line = [float(p.line(y)) for y in years]
    first = int(ds["year"].values[0])
    v0, v1 = float(central.sel(year=first)), float(central.sel(year=p.target_year))
    cagr = (v1 / v0) ** (1.0 / (p.target_year - first)) - 1.0
    prob = None
    if "draw" in series.dims:
        prob = float((series.sel(year=p.target_year) >= p.target_value).mean())
    return PathResult(path=p, years=years, model=model, line=line, model_cagr=cagr, probability_above_line=prob,
                      first_year=first, **_path_numbers(p))


def _assess_sweep(red: xr.Dataset, targets: TargetSet) -> TargetReport:
    """The same report from the streaming reductions of ``jd.sweep``."""
    n = int(red.attrs["draws"])
    results, missing = [], []
    tids = list(red["target"].values) if "target" in red.coords else []
    for t in targets.targets:
        if t.id not in tids:
            missing.append(t.id)
            continue
        q = red[f"{t.indicator}_quantile"].sel(year=t.year)
        p = float(red["p_reach"].sel(target=t.id))
        counts = red["first_year_count"].sel(target=t.id).values
        labels = list(red["first_year"].values)
        dist = {lab: float(c / n) for lab, c in zip(labels, counts, strict=True) if c > 0 or lab == "never"}
        cum = np.cumsum(counts[:-1])
        first = int(labels[int(np.argmax(cum > n / 2))]) if cum.size and cum[-1] > n / 2 else None
        results.append(TargetResult(
            t, value=float(q.sel(quantile=0.5)), low=float(q.sel(quantile=0.05)), high=float(q.sel(quantile=0.95)),
            probability=p, se=float(np.sqrt(p * (1 - p) / n)), interval=wilson_interval(p, n), first_year=first,
            first_year_dist=dist, shortfall=float(red["expected_shortfall"].sel(target=t.id))))
    joint = red.attrs.get("p_all")
    paths = []
    for pth in targets.paths:
        name = f"{pth.indicator}_quantile"
        if name not in red:
            continue
        med = red[name].sel(quantile=0.5)
        years = [int(y) for y in red["year"].values if y <= pth.target_year]
        first = int(red["year"].values[0])
        v0, v1 = float(med.sel(year=first)), float(med.sel(year=pth.target_year))
        paths.append(PathResult(
            path=pth, years=years, model=[float(med.sel(year=y)) for y in years],
            line=[float(pth.line(y)) for y in years],
            model_cagr=(v1 / v0) ** (1.0 / (pth.target_year - first)) - 1.0,
            probability_above_line=red.attrs.get(f"p_path_{pth.id}"), first_year=first, **_path_numbers(pth)))
    return TargetReport(scenario=str(red.attrs.get("scenario")), sha256=str(red.attrs.get("parameters_sha256", "")),
                        draws=n, results=results, paths=paths, joint_probability=joint,
                        joint_se=None if joint is None else float(np.sqrt(joint * (1 - joint) / n)),
                        missing=missing)
