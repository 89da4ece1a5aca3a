"""What a report shows: named tables built from a scenario, its results and its assessment.

The report templates (``notebooks/report_template.ipynb``, ``notebooks/compare_template.ipynb``)
call these functions and hold no library code themselves. Each table is a :class:`~jdmodel.report.table.Table`: a
pandas DataFrame of already formatted cells with a name, shown as HTML with a
``data-table="<name>"`` attribute so that tests (and readers' scripts) can pull the numbers out
of a rendered report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# the templates call S.provenance; Table and fmt are shown and used from here as well
from jdmodel.report.provenance import provenance, report_date, versions  # noqa: F401
from jdmodel.report.table import _COLUMN_CSS, Table, _column_kind, _pct, _table, fmt  # noqa: F401

# --- scenarios -------------------------------------------------------------------------------------

def scenario(spec: Any):
    """A scenario from what a report template receives: a name, a path, or ``{"source", "overrides", "name"}``."""
    from jdmodel.params.scenario import Scenario, load_scenario

    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, Mapping):
        sc = load_scenario(spec["source"])
        if spec.get("overrides"):
            sc = sc.with_overrides(dict(spec["overrides"]), name=spec.get("name"))
        elif spec.get("name"):
            from dataclasses import replace

            sc = replace(sc, name=spec["name"])
        return sc
    return load_scenario(spec)


_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()#+-.!|~:$=")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}


def markdown_text(text: Any, *, one_line: bool = False) -> str:
    """``text`` as literal Markdown: shown as written, never as HTML, a link, an image or formatting.

    Everything that reaches a report's Markdown from a file or a name (a scenario's name or
    description, a file name, a source) goes through this: HTML's special characters become
    entities and Markdown's punctuation is backslash-escaped, so ``<script>``, ``<img onerror=…>``
    and ``[x](javascript:…)`` are shown as text. Leading spaces are dropped (no code blocks);
    control characters are escaped (:func:`jdmodel.errors.printable`).

    Parameters
    ----------
    text : object
        Converted with ``str``.
    one_line : bool
        Join lines with spaces (for a heading).

    Examples
    --------
    >>> print(markdown_text("<b>x</b> [a](javascript:alert(1))"))
    &lt;b&gt;x&lt;/b&gt; \\[a\\]\\(javascript\\:alert\\(1\\)\\)
    """
    from jdmodel.errors import printable

    lines = printable(text, newlines=True).replace("\t", " ").splitlines() or [""]
    out = []
    for line in lines:
        out.append("".join(_HTML_SPECIAL.get(c) or ("\\" + c if c in _MARKDOWN_PUNCTUATION else c)
                           for c in line.strip()))
    return " ".join(out) if one_line else "\n".join(out)


def title(sc, *, draws: int, seed: int | None) -> str:
    """A Markdown heading with the scenario's name, description and hash (name and description escaped)."""
    desc = f"\n\n{markdown_text(sc.description)}" if sc.description.strip() else ""
    return (f"# Scenario report: {markdown_text(sc.name, one_line=True)}{desc}\n\nParameters sha256 "
            f"`{sc.sha256}` · {int(draws)} draws · seed {seed if seed is None else int(seed)}")


def no_difference(sc, reference) -> str:
    """Markdown for a scenario with no parameter that differs from the reference (names escaped)."""
    return (f"No parameter of *{markdown_text(sc.name, one_line=True)}* differs from "
            f"*{markdown_text(reference.name, one_line=True)}*.")


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    va, vb = np.asarray(a.value), np.asarray(b.value)
    return (va.shape == vb.shape and bool(np.all(va == vb)) and a.unit == b.unit and a.low == b.low
            and a.high == b.high and dict(a.dist or {}) == dict(b.dist or {}))


def scenario_diff(sc, reference, *, chinese: bool = True) -> Table:
    """Every parameter whose value, unit, range or distribution differs from ``reference``.

    Parameters
    ----------
    sc, reference : Scenario
        The scenario reported on and the one it is compared with (in a report: the file it extends).
    chinese : bool
        Sector names with their Chinese name.

    Returns
    -------
    Table
        ``diff``: what the parameter is (its description and sector, :func:`jdmodel.report.names.parameter_label`),
        the reference's value, the scenario's value, unit, what changed (value, range, distribution, or
        "only in …"), the file that set the scenario's value, and the dotted key.

    Examples
    --------
    >>> import jdmodel as jd
    >>> base = jd.load_scenario("baseline")
    >>> key = f"levers.funds.{base.plan.sector_ids[0]}"
    >>> list(scenario_diff(base.with_overrides({key: 9.5}), base).frame["key"]) == [key]
    True
    """
    from jdmodel.report.names import parameter_label, unit_text

    rows = []
    for key in sorted(set(sc.params) | set(reference.params)):
        a, b = reference.params.get(key), sc.params.get(key)
        if _same(a, b):
            continue
        what = []
        if a is None or b is None:
            what.append("only in " + (reference.name if b is None else sc.name))
        else:
            if not np.array_equal(np.asarray(a.value), np.asarray(b.value)):
                what.append("value")
            if (a.low, a.high) != (b.low, b.high):
                what.append("range")
            if dict(a.dist or {}) != dict(b.dist or {}):
                what.append("distribution")
        ref_col = reference.name if sc.name != reference.name else "reference"
        rows.append({"parameter": parameter_label(key, sc.plan, chinese=chinese),
                     ref_col: "" if a is None else fmt(a.value), sc.name: "" if b is None else fmt(b.value),
                     "unit": unit_text((b or a).unit), "changed": ", ".join(what),
                     "set in": "" if b is None else b.origin, "key": key})
    ref_col = reference.name if sc.name != reference.name else "reference"
    cols = ["parameter", ref_col, sc.name, "unit", "changed", "set in", "key"]
    return _table("diff", rows, cols, f"Parameters of {sc.name!r} that differ from {reference.name!r}; a path of "
                  "one value a year is shown as its values, 'v ×n' for n equal years")


def parameters_table(sc, *, chinese: bool = True) -> Table:
    """The full resolved parameter set (``sc.records()``), for the appendix: what each is, value, unit, range, source."""
    from jdmodel.report.names import parameter_label, unit_text

    rows = []
    for r in sc.records():
        rng = f"{fmt(r['low'])} – {fmt(r['high'])}" if "low" in r and "high" in r else ""
        dist = r.get("dist") or {}
        # a range without a named distribution is sampled triangular (jdmodel.pipeline.sampling.DEFAULT_DIST)
        name = str(dist.get("dist", "triangular")) if dist or rng else ""
        rows.append({"parameter": parameter_label(r["key"], sc.plan, chinese=chinese), "value": fmt(r["value"]),
                     "unit": unit_text(r["unit"]), "range": rng, "distribution": name, "source": r["source"],
                     "key": r["key"]})
    return _table("parameters", rows, ["parameter", "value", "unit", "range", "distribution", "source", "key"],
                  f"All {len(rows)} parameters of {sc.name!r}, canonical units")


# --- targets ---------------------------------------------------------------------------------------

def targets_table(rep) -> Table:
    """One row per assessed target: value in the target year, threshold, P(reach) and its interval, evidence.

    Parameters
    ----------
    rep : TargetReport
        From :func:`jdmodel.assess` on an ensemble (or a central run: reached / missed).

    Returns
    -------
    Table
        ``targets``: target id, what it asks (its label), year, threshold, median, 5–95 %, P(reach),
        its Wilson 95 % interval, median first year reached, expected shortfall (in the target's
        unit) and the evidence: observed (published figures measure the indicator) or assumed.
    """
    rows = []
    for r in rep.results:
        t = r.target
        row = {"target": t.id, "what the plan asks": t.label_en or t.label_zh, "year": str(t.year),
               "threshold": f"{t.comparison} {fmt(t.threshold)} {t.unit}", "median": fmt(r.value),
               "shortfall": fmt(r.shortfall), "first year": str(r.first_year or "never"), "evidence": r.evidence}
        if r.probability is not None:
            row.update({"5–95 %": f"{fmt(r.low)} – {fmt(r.high)}", "P(reach)": _pct(r.probability),
                        "95 % interval": f"{_pct(r.interval[0])} – {_pct(r.interval[1])}"})
        else:
            row.update({"P(reach)": "reached" if r.reached else "missed"})
        rows.append(row)
    cols = ["target", "what the plan asks", "year", "threshold", "median", "5–95 %", "P(reach)", "95 % interval",
            "first year", "shortfall", "evidence"]
    if rep.draws == 1:
        cols = [c for c in cols if c not in ("5–95 %", "95 % interval")]
    cap = (f"Targets, scenario {rep.scenario!r}: " + ("central values" if rep.draws == 1 else
           f"{rep.draws} draws; median and 5–95 % of the value in the target year, Wilson 95 % interval of "
           f"P(reach), median first year, expected shortfall"))
    if rep.joint_probability is not None:
        from jdmodel.targets import wilson_interval

        lo, hi = wilson_interval(rep.joint_probability, rep.draws)
        cap += f"; P(all assessed targets) = {_pct(rep.joint_probability)} ({_pct(lo)} – {_pct(hi)})"
    return _table("targets", rows, cols, cap)


EVIDENCE_NOTE = ("Evidence: *observed* — the plan's published figures measure this indicator (or, for a total, its "
                 "components), so the data can check the model; *assumed* — nothing published measures it, and the "
                 "result rests on assumed parameters alone.")


def path_table(rep, central=None) -> Table:
    """Each growth path of the plan against the plan's line: the central run (the published figure in the base
    year) and the ensemble's median.

    Parameters
    ----------
    rep : TargetReport
        Of the ensemble (or of a central run alone).
    central : TargetReport, optional
        Of the central run: its values are those ``jdmodel run`` prints, and in the base year the
        published figure.
    """
    rows = []
    cent = {p.path.id: dict(zip(p.years, p.model, strict=True)) for p in central.paths} if central else {}
    for p in rep.paths:
        for y, m, line in zip(p.years, p.model, p.line, strict=True):
            c = cent.get(p.path.id, {}).get(y, m)
            row = {"path": p.path.id, "year": str(y), "central run": fmt(c), "plan line": fmt(line),
                   "central − line": fmt(c - line)}
            if rep.draws > 1:
                row["ensemble median"] = fmt(m)
            rows.append(row)
    what = "; ".join(f"{p.path.label_en} (+{p.path.growth:.0%}/yr, {p.path.unit})" for p in rep.paths)
    cols = ["path", "year", "central run", "plan line", "central − line"]
    if rep.draws > 1:
        cols.append("ensemble median")
    return _table("path", rows, cols, f"The plan's growth line against the model: {what}; the central run starts "
                  "from the published base-year figure, the ensemble's median from the sampled base-year values")


def assessed_indicators(rep) -> list[tuple[str, Any]]:
    """(indicator, target) for each assessed target, in the order of ``targets.toml``."""
    return [(r.target.indicator, r.target) for r in rep.results]


def plain_text(text: Any) -> str:
    """Text for a matplotlib label, shown as written: ``$`` escaped, so a name cannot start mathtext.

    Examples
    --------
    >>> print(plain_text("plan $5$"))
    plan \\$5\\$
    """
    return str(text).replace("$", r"\$")


def unit_label(unit: str, labels=None) -> str:
    """A unit for a figure: Chinese only when a font can draw it (亿元 → "100 million yuan")."""
    english = {"亿元": "100 million yuan", "公顷": "ha", "人": "people"}
    if unit not in english:
        return unit
    return labels.text(unit, english[unit]) if labels is not None else english[unit]


def fan_charts(ens, rep, labels=None):
    """One fan chart per assessed target indicator, its threshold marked; returns the Figure."""
    import matplotlib.pyplot as plt

    from jdmodel.figures.uncertainty import fan_chart

    items = assessed_indicators(rep)
    cols = 2 if len(items) > 1 else 1
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.6 * rows), layout="constrained", squeeze=False)
    for ax, (indicator, t) in zip(axes.flat, items, strict=False):
        unit = unit_label(t.unit, labels)
        fan_chart(ens, indicator, target=(t.year, t.threshold), ax=ax, label=plain_text(t.id))
        ax.set_title(plain_text(f"{t.id}: {t.comparison} {t.threshold:,.0f} {unit} by {t.year}"),
                     fontsize="medium")
        ax.set_ylabel(unit)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    return fig


# --- growth accounting, IO, sensitivity --------------------------------------------------------------

def growth_accounting_table(ds, sc) -> Table | None:
    """Δln V (value added) per sector and period split into TFP, capital, talent and land (% per year); None without sympy."""
    try:
        from jdmodel.symbolic import growth_accounting
        table = growth_accounting(ds, sc)._table()   # the rows jdmodel.symbolic prints, as report cells
    except ImportError:
        return None
    rows = [dict(zip(table.columns, (str(c).strip() for c in row), strict=True)) for row in table.rows]
    return _table("growth_accounting", rows, list(table.columns),
                  "Growth accounting of value added, % per year (log points): Δln V = Δln A + α Δln K + β Δln H + "
                  "γ Δln L; measured output adds Δln(1 + d) in the shock span")


def _milestones(ds) -> tuple[int, ...]:
    years = [int(y) for y in ds["year"].values]
    base, end = int(ds.attrs.get("base_year", years[0])), int(ds.attrs.get("plan_end", years[-1]))
    return tuple(sorted({base + (end - base) // 2, end, years[-1]}))


def io_effects_table(ds, years: Sequence[int] | None = None) -> Table | None:
    """Economy-wide effect of the scenario's levers against the plan's counterfactual: direct, indirect, value added."""
    if "io_direct_effect" not in ds:
        return None
    years = years or _milestones(ds)
    rows = []
    for y in years:
        d, i = float(ds["io_direct_effect"].sel(year=y)), float(ds["io_indirect_effect"].sel(year=y))
        rows.append({"year": str(y), "direct (亿元)": fmt(d), "indirect (亿元)": fmt(i), "total (亿元)": fmt(d + i),
                     "indirect / direct": f"{i / d:.3f}" if d else "",
                     "value added (亿元)": fmt(float(ds["io_value_added_effect"].sel(year=y)))})
    return _table("io_effects", rows, ["year", "direct (亿元)", "indirect (亿元)", "total (亿元)",
                                       "indirect / direct", "value added (亿元)"],
                  "Change in regional gross output against the counterfactual scenario's levers (same structure)")


def io_sectors_table(ds, year: int | None = None, top: int = 10) -> Table | None:
    """The IO sectors whose output changes most in ``year`` (default: the end of the plan period)."""
    if "io_effect" not in ds:
        return None
    year = int(year or ds.attrs.get("plan_end", ds["year"].values[-1]))
    eff = ds["io_effect"].sel(year=year)
    order = np.argsort(-np.abs(eff.values), kind="stable")[:top]
    total = float(np.abs(eff).sum())
    rows = [{"io sector": str(ds["io_sector"].values[j]),
             "name": f"{ds['io_name_zh'].values[j]} {ds['io_name_en'].values[j]}",
             "effect (亿元)": fmt(float(eff.values[j])),
             "share": _pct(abs(float(eff.values[j])) / total) if total else ""} for j in order]
    return _table("io_sectors", rows, ["io sector", "name", "effect (亿元)", "share"],
                  f"Largest output changes by input–output sector, {year}")


def sensitivity_run(sc, rep, n: int, seed: int):
    """Sobol' indices of each assessed target's indicator in its target year (``jd.sensitivity``)."""
    import jdmodel as jd

    outputs = list(dict.fromkeys(ind for ind, _ in assessed_indicators(rep)))   # two targets may share one
    years = sorted({t.year for _, t in assessed_indicators(rep)})
    return jd.sensitivity(sc, outputs=outputs, method="sobol", n=n, seed=seed, years=years)


def sensitivity_table(si, rep, top: int = 12, plan=None) -> Table:
    """The parameters ranked by their largest total Sobol' index over the target indicators, named in words."""
    from jdmodel.report.names import parameter_label

    cols = {}
    for ind, t in assessed_indicators(rep):
        if ind in si["output"].values:
            cols[t.id] = si["ST"].sel(output=ind, year=t.year).values
    names = [str(p) for p in si["parameter"].values]
    mat = np.column_stack(list(cols.values()))
    score = np.nanmax(mat, axis=1)
    order = np.argsort(-score, kind="stable")[:top]
    label = (lambda k: parameter_label(k, plan)) if plan is not None else (lambda k: k)
    rows = [{"rank": str(i + 1), "parameter": label(names[j]), **{tid: f"{mat[j, k]:.3f}" for k, tid in enumerate(cols)},
             "key": names[j]} for i, j in enumerate(order)]
    return _table("sensitivity", rows, ["rank", "parameter", *cols, "key"],
                  f"Total Sobol' index ST of each target indicator (n = {si.attrs.get('n')}, "
                  f"{si.attrs.get('n_evaluations', '?')} model runs, seed {si.attrs.get('seed')}); top {len(rows)}")


def top_parameters(si, indicator: str, year: int, k: int = 10) -> list[str]:
    """The ``k`` parameters with the largest total Sobol' index for one indicator and year."""
    st = si["ST"].sel(output=indicator, year=year)
    order = np.argsort(-np.nan_to_num(st.values, nan=-np.inf), kind="stable")[:k]
    return [str(si["parameter"].values[j]) for j in order]


# --- against the published figures: jdmodel.report.expost_section -------------------------------------

def __getattr__(name: str) -> Any:
    """``ex_post_section`` and ``EX_POST_PARTS`` live in :mod:`jdmodel.report.expost_section`; reachable here too."""
    if name in ("ex_post_section", "EX_POST_PARTS"):
        from jdmodel.report import expost_section

        return getattr(expost_section, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
