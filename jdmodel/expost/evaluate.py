"""``jd.evaluate``: a scenario's central run against the district's published figures.

Each observation is set beside the model value it measured (through the observation operator,
:mod:`jdmodel.expost.operator`) with its error (absolute, relative and standardised by its class
scale); each target is checked against the last full-year figure published for its indicator:
met yet or not, and the growth a year still needed from that figure to the threshold,
:math:`(\\text{threshold}/y_{last})^{1/(T - t_{last})} - 1`, beside the model's own growth
over the same years.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from jdmodel.expost.operator import (
    ErrorModel,
    Matched,
    Skipped,
    Term,
    load_error_model,
    match,
    observations,
    scenario_shares,
)
from jdmodel.params.observed import CLASSES, Observation
from jdmodel.params.scenario import Scenario, load_scenario
from jdmodel.params.targets import TargetSet

_CLASS_RANK = {"OS": 0, "OG": 1, "NR": 2, "SE": 3}
OBS_HEAD = ("id", "indicator", "period", "class", "published", "model", "error", "rel.", "z", "used",
            "model value is")
TARGET_HEAD = ("target", "last published", "class", "threshold", "met?", "needed/yr", "model/yr", "note")


@dataclass
class TargetCheck:
    """A target (or the e-commerce path) against the last published full-year figure."""

    id: str
    indicator: str
    comparison: str
    threshold: float
    year: int
    unit: str
    last: Observation | None = None
    met: bool | None = None
    required_growth: float | None = None
    model_growth: float | None = None
    model_last: float | None = None
    model_target: float | None = None
    note: str = ""


@dataclass
class ExPostReport:
    """What :func:`evaluate` returns: ``.table()``, an HTML repr and ``.to_dataset()``."""

    scenario: str
    sha256: str
    observed: str
    errors: ErrorModel
    matched: Matched
    targets: list[TargetCheck]
    results: xr.Dataset | None = field(default=None, repr=False)

    @property
    def terms(self) -> list[Term]:
        return self.matched.terms

    @property
    def skipped(self) -> list[Skipped]:
        return self.matched.skipped

    def row(self, obs_id: str) -> Term:
        """The comparison for one observation id (e.g. ``"1.6"``)."""
        for t in self.terms:
            if t.id == obs_id:
                return t
        raise KeyError(f"observation {obs_id!r} was not compared (skipped or unknown)")

    def target(self, target_id: str) -> TargetCheck:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r}")

    @property
    def log_likelihood(self) -> float:
        """Sum of the log-likelihoods of the terms used."""
        return float(sum(float(t.log_likelihood()) for t in self.matched.used()))

    def observation_rows(self) -> list[tuple[str, ...]]:
        """One row of display strings per comparison (columns :data:`OBS_HEAD`)."""
        rows = []
        for t in self.terms:
            m = float(t.model)
            growth = t.kind == "growth"
            pub, mod = (t.observed - 1.0, m - 1.0) if growth else (t.observed, m)
            fmt = "{:+.1%}" if growth else "{:,.1f}"
            mark = {"lower": "> ", "upper": "< "}.get(t.kind, "")
            err = f"{mod - pub:+.1%}" if growth else f"{mod - pub:+,.1f}"
            rows.append((t.id, t.obs.indicator, str(t.obs.period), t.obs.cls, mark + fmt.format(pub),
                         fmt.format(mod), err, f"{m / t.observed - 1:+.1%}", f"{float(t.z()):+.2f}",
                         "yes" if t.used else "no", t.how + (f"; {t.note}" if t.note else "")))
        return rows

    def target_rows(self) -> list[tuple[str, ...]]:
        """One row of display strings per target (columns :data:`TARGET_HEAD`)."""
        rows = []
        for c in self.targets:
            last = "none"
            if c.last is not None:
                last = ("> " if c.last.bound == "lower" else "") + f"{c.last.value:,.1f} ({c.last.year})"
            met = "—" if c.met is None else "yes" if c.met else "not yet"
            rows.append((c.id, last, "" if c.last is None else c.last.cls,
                         f"{c.comparison} {c.threshold:,.0f} ({c.year})", met, _pct(c.required_growth),
                         _pct(c.model_growth), c.note))
        return rows

    def table(self) -> str:
        """Plain-text tables: the comparisons, the skipped figures, the targets."""
        lines = [f"Ex post: scenario {self.scenario!r} (sha256 {self.sha256[:12]}) "
                 f"against {self.observed} (error model {self.errors.label})", ""]
        lines += _grid(OBS_HEAD, self.observation_rows(), right={4, 5, 6, 7, 8})
        sds = ", ".join(f"{c} {self.errors.sd(c):.3f}" for c in CLASSES)
        lines.append(f"z = ln(model/published) / σ; σ by class {sds} (class scale ⊕ discrepancy "
                     f"{self.errors.discrepancy:g}); log-likelihood of the terms used "
                     f"{self.log_likelihood:.2f}")
        if self.skipped:
            lines += ["", "Skipped (not compared):"]
            lines += [f"  {s.obs.id:<5} {s.obs.indicator:<24} {str(s.obs.period):<12} {s.reason}"
                      for s in self.skipped]
        lines += ["", "Targets against the last published full-year figure:"]
        lines += _grid(TARGET_HEAD, self.target_rows(), right={1, 3, 5, 6})
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        def table(head, rows) -> str:
            cells = ["".join(f"<th>{html.escape(h)}</th>" for h in head)]
            cells += ["".join(f"<td>{html.escape(c)}</td>" for c in r) for r in rows]
            return "<table>" + "".join(f"<tr>{c}</tr>" for c in cells) + "</table>"

        skipped = "".join("<li>" + html.escape(f"{s.obs.id} {s.obs.indicator} {s.obs.period}: {s.reason}")
                          + "</li>" for s in self.skipped)
        return (f"<div><p><b>Ex post — scenario {html.escape(self.scenario)}</b> against "
                f"{html.escape(self.observed)}</p>{table(OBS_HEAD, self.observation_rows())}"
                f"<p>Targets against the last published full-year figure</p>"
                f"{table(TARGET_HEAD, self.target_rows())}"
                + (f"<details><summary>skipped</summary><ul>{skipped}</ul></details>" if skipped else "")
                + "</div>")

    def to_dataset(self) -> xr.Dataset:
        """The comparisons (dim ``observation``) and the target checks (dim ``target``) as a Dataset."""
        t = self.terms
        model = np.array([float(x.model) for x in t])
        pub = np.array([x.observed for x in t])
        ds = xr.Dataset(
            {"published": ("observation", pub, {"units": "as the indicator (1 + g for a growth term)"}),
             "model": ("observation", model, {"long_name": "model value through the observation operator"}),
             "abs_error": ("observation", model - pub),
             "rel_error": ("observation", model / pub - 1.0, {"units": "1"}),
             "log_error": ("observation", np.log(model / pub), {"units": "1"}),
             "z": ("observation", np.array([float(x.z()) for x in t]),
                   {"long_name": "log error / class scale"}),
             "sd": ("observation", np.array([x.sd for x in t]), {"units": "1"}),
             "used": ("observation", np.array([x.used for x in t]))},
            coords={"observation": [x.id for x in t],
                    "indicator": ("observation", [x.obs.indicator for x in t]),
                    "period": ("observation", [str(x.obs.period) for x in t]),
                    "class": ("observation", [x.obs.cls for x in t]),
                    "kind": ("observation", [x.kind for x in t])})
        c = self.targets
        nan = float("nan")
        tds = xr.Dataset(
            {"threshold": ("target", [x.threshold for x in c]),
             "last_published": ("target", [nan if x.last is None else x.last.value for x in c]),
             "last_year": ("target", [-1 if x.last is None else x.last.year for x in c]),
             "met": ("target", [nan if x.met is None else float(x.met) for x in c]),
             "required_growth": ("target", [_nan(x.required_growth) for x in c], {"units": "1/yr"}),
             "model_growth": ("target", [_nan(x.model_growth) for x in c], {"units": "1/yr"})},
            coords={"target": [x.id for x in c]})
        out = xr.merge([ds, tds])
        out.attrs.update(scenario=self.scenario, parameters_sha256=self.sha256, observed=self.observed,
                         skipped="; ".join(f"{s.obs.id}: {s.reason}" for s in self.skipped))
        return out


def evaluate(scenario: Scenario | str = "baseline", observed=None, *, errors: ErrorModel | None = None,
             results: xr.Dataset | None = None, io: bool = True) -> ExPostReport:
    """Evaluate a scenario against the published observations.

    Parameters
    ----------
    scenario : Scenario or str
        Scenario (or its name/path); its within-year shares convert partial-year figures.
    observed : str, path or sequence of Observation, optional
        Default: the scenario's plan's ``observed.toml``; a plan name, a file or a sequence.
    errors : ErrorModel, optional
        Defaults to ``parameters/expost.toml``.
    results : Dataset, optional
        A run of the scenario to use instead of simulating it (an ensemble is reduced to its
        median path per variable).
    io : bool
        Simulate with the input–output block (needed for GDP figures; skipped gracefully without).

    Returns
    -------
    ExPostReport

    Examples
    --------
    >>> from jdmodel.expost import evaluate
    >>> rep = evaluate("baseline")
    >>> round(rep.target("output").required_growth, 3)      # from 3119.2 亿元 (2022) to 4000 by 2025
    0.086
    """
    from jdmodel.pipeline.simulate import simulate

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    errors = errors or load_error_model(plan=sc.plan)
    ds = results if results is not None else simulate(sc, io=io)
    if "draw" in ds.dims:
        ds = ds.median("draw", keep_attrs=True)
    obs = observations(observed, plan=sc.plan)
    matched = match(ds, obs, errors, shares=scenario_shares(sc), totals=sc.targets.total_of)
    checks = target_checks(ds, obs, sc.targets)
    where = (f"{sc.plan.id}/observed.toml" if observed is None else str(observed) if isinstance(observed, str | Path)
             else "given")
    return ExPostReport(scenario=sc.name, sha256=sc.sha256, observed=where, errors=errors, matched=matched,
                        targets=checks, results=ds)


def last_full_year(obs: tuple[Observation, ...], indicator: str, by: int) -> Observation | None:
    """The latest full-year figure of ``indicator`` up to year ``by`` (the better class on a tie)."""
    cands = [o for o in obs if o.indicator == indicator and o.period.full_year and o.year <= by
             and math.isfinite(o.value) and o.value > 0]
    if not cands:
        return None
    return max(cands, key=lambda o: (o.year, -_CLASS_RANK.get(o.cls, 9)))


def required_growth(last: float, threshold: float, years: int) -> float | None:
    """Constant growth a year that takes ``last`` to ``threshold`` in ``years`` years.

    Examples
    --------
    >>> round(required_growth(3119.2, 4000.0, 3), 4)
    0.0864
    """
    if years <= 0 or last <= 0:
        return None
    return (threshold / last) ** (1.0 / years) - 1.0


def target_checks(ds: xr.Dataset, obs: tuple[Observation, ...], targets: TargetSet) -> list[TargetCheck]:
    """Each target, and each growth path, against the last full-year figure of its indicator."""
    out = []
    items = [(t.id, t.indicator, t.comparison, t.threshold, t.year, t.unit, t.reached, "")
             for t in targets.targets]
    items += [(f"path:{p.id}", p.indicator, ">=", p.target_value, p.target_year, p.unit,
               lambda v, p=p: v >= p.target_value,
               f"plan's line: {p.growth:.0%}/yr from {p.base_value:,.0f} ({p.base_year}); "
               "the published series may differ in scope") for p in targets.paths]
    for tid, ind, comp, thr, year, unit, reached, note in items:
        chk = TargetCheck(tid, ind, comp, thr, year, unit, note=note)
        chk.last = last = last_full_year(obs, ind, year)
        if last is None:
            chk.note = "no published full-year figure"
            out.append(chk)
            continue
        hit = bool(reached(last.value))
        chk.met = hit if (last.bound != "lower" or hit) else None
        if not hit and comp in (">", ">="):
            chk.required_growth = required_growth(last.value, thr, year - last.year)
        path = ds[ind] if ind in ds else None
        years = set(int(y) for y in ds["year"].values)
        if path is not None and {last.year, year} <= years and year > last.year:
            a, b = float(path.sel(year=last.year)), float(path.sel(year=year))
            chk.model_last, chk.model_target = a, b
            chk.model_growth = (b / a) ** (1.0 / (year - last.year)) - 1.0 if a > 0 else None
        out.append(chk)
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:+.1%}"


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _grid(head, rows, right=frozenset()) -> list[str]:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:>{w}}}" if i in right else f"{{:<{w}}}" for i, w in enumerate(widths))
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return [fmt.format(*head), rule] + [fmt.format(*r).rstrip() for r in rows]
