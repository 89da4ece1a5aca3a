"""A report that reads like a policy brief: every run it needs, and the sentences that state its answer.

:func:`brief` runs the scenario once for the whole report (the ensemble, the central run, the
sensitivity ranking, the funds frontier, the comparison with the published figures); the
``*_text`` functions write the prose from those numbers, so no number in a report is typed in by
hand and every sentence follows the plan it is run on (sectors, totals, targets and years come from
the plan's files). The report template (``notebooks/report_template.ipynb``) calls these functions
and :mod:`jdmodel.report.sections` in the order a reader needs: the answer, the headline figure,
the targets, what drives the result, what it would take, the published figures, then methods,
parameters and provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.report.names import parameter_label
from jdmodel.report.sections import markdown_text
from jdmodel.targets import wilson_interval

#: P(reach) from which a target counts as likely, and below which as unlikely (the dashboard's lights)
LIKELY, UNLIKELY = 0.8, 0.5
#: the probability the frontier is asked for
FRONTIER_PROB = 0.8
#: draws behind the frontier at most (a root search on common random numbers; its interval says how precise)
FRONTIER_DRAWS = 500


@dataclass
class Brief:
    """Everything a one-scenario report shows, computed once.

    Attributes
    ----------
    sc, parent : Scenario
        The scenario and the one its file extends (None for a file that extends nothing).
    ens, central : xarray.Dataset
        The ensemble (``draws`` draws, no IO block) and the central run (with the IO block when the plan has one).
    rep : TargetReport
        ``jd.assess(ens)``.
    si : xarray.Dataset or None
        Sobol' indices of the target indicators in their target years (None when ``sensitivity_n`` is 0).
    frontier : FrontierResult or None
        Public funds (all sectors) needed for P(headline target) ≥ :data:`FRONTIER_PROB`.
    frontier_note : str
        Why there is no frontier, when there is none.
    evaluation : ExPostReport or None
        ``jd.evaluate(sc)``: the model beside the plan's published figures.
    posterior : ScenarioPosterior or None
        The posterior given the published figures, read from a file of ``jdmodel infer`` (``extras``
        holds the file's path and sha256 as ``posterior_file`` and ``posterior_file_sha256``).
    """

    sc: Any
    parent: Any
    ens: Any
    central: Any
    rep: Any
    draws: int
    seed: int
    design: str
    sensitivity_n: int
    si: Any = None
    frontier: Any = None
    frontier_note: str = ""
    evaluation: Any = None
    posterior: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def plan(self):
        return self.sc.plan

    @property
    def headline(self):
        """The result of the target on the plan's headline total (its first ``[[totals]]``), else the first target."""
        total = self.plan.totals[0].id
        return next((r for r in self.rep.results if r.target.indicator == total),
                    self.rep.results[0] if self.rep.results else None)


def parent_of(sc):
    """The scenario that ``sc``'s file extends (its parent file, loaded as it is), or None.

    Examples
    --------
    >>> import jdmodel as jd
    >>> parent_of(jd.load_scenario("plan")).name
    'baseline'
    >>> parent_of(jd.load_scenario("baseline")) is None
    True
    """
    from jdmodel.params.scenario import load_scenario

    if len(sc.files) < 2:
        return None
    return load_scenario(Path(sc.files[1]), plan=sc.plan)


def own_description(sc) -> str:
    """The description the scenario's own file gives (not one inherited from the file it extends)."""
    from jdmodel.params.loader import read_toml

    if not sc.files:
        return sc.description
    try:
        text = read_toml(Path(sc.files[0])).get("description", "")
    except Exception:  # noqa: BLE001 - the file was read once already; a description is not worth a failure
        return ""
    return text if isinstance(text, str) else ""


def brief(spec: Any, *, reference: Any = None, draws: int = 1000, seed: int = 1, design: str = "lhs",
          sensitivity_n: int = 128, frontier: bool = True, evaluate: bool = True, posterior: Any = None) -> Brief:
    """Run everything a one-scenario report shows.

    Parameters
    ----------
    spec : str, dict or Scenario
        What the template receives (:func:`jdmodel.report.sections.scenario`).
    reference : optional
        The scenario the parameters are compared with; None: the file the scenario extends.
    draws, seed, design : int, int, str
        The ensemble (``jd.simulate``).
    sensitivity_n : int
        Sobol' base sample; 0 leaves the sensitivity out.
    frontier, evaluate : bool
        Compute the funds frontier and the comparison with the published figures.
    posterior : path or ScenarioPosterior, optional
        A posterior written by ``jdmodel infer`` for the scenario's plan: the report shows the targets
        given the published figures. Read (and checked) first, before anything runs; never sampled again.
    """
    import jdmodel as jd
    from jdmodel.errors import JdmodelError
    from jdmodel.report.sections import scenario, sensitivity_run

    sc = scenario(spec)
    post = None
    if posterior is not None:
        from jdmodel.report.expost_section import load_posterior

        post = load_posterior(posterior, sc)       # a bad file fails here, before any run
    parent = scenario(reference) if reference is not None else parent_of(sc)
    ens = jd.simulate(sc, draws=draws, seed=seed, design=design, io=False)
    central = jd.simulate(sc)
    rep = jd.assess(ens)
    b = Brief(sc=sc, parent=parent, ens=ens, central=central, rep=rep, draws=int(draws), seed=int(seed),
              design=design, sensitivity_n=int(sensitivity_n), posterior=post)
    if post is not None and not hasattr(posterior, "idata"):
        import hashlib

        b.extras["posterior_file"] = str(posterior)
        b.extras["posterior_file_sha256"] = hashlib.sha256(Path(posterior).read_bytes()).hexdigest()
    if sensitivity_n and rep.results:
        b.si = sensitivity_run(sc, rep, n=sensitivity_n, seed=seed)
    head = b.headline
    if frontier and head is not None and draws > 1:
        try:
            b.frontier = jd.frontier(sc, target=head.target.id, lever="funds", prob=FRONTIER_PROB,
                                     draws=min(int(draws), FRONTIER_DRAWS), seed=seed, design=design)
        except JdmodelError as err:
            b.frontier_note = str(err)
    if evaluate and sc.plan.observations:
        try:
            b.evaluation = jd.evaluate(sc)
        except JdmodelError as err:
            b.extras["evaluation_note"] = str(err)
    return b


# --- numbers as words --------------------------------------------------------------------------------

def pct(p: float | None) -> str:
    """A probability as a rounded percentage: 0.6923 → '69 %'; below 1 % and above 99 % kept visible.

    Examples
    --------
    >>> pct(0.6923), pct(0.004), pct(0.9991), pct(0.0)
    ('69 %', '0.4 %', '99.9 %', '0 %')
    """
    if p is None or not np.isfinite(p):
        return "—"
    v = 100 * float(p)
    if 0 < v < 1 or 99 < v < 100:
        return f"{v:.1f} %"
    return f"{v:.0f} %"


def amount(x: float, unit: str = "") -> str:
    """A value in its unit, rounded for prose: 3,742 亿元; 216 firms; 0.52.

    Examples
    --------
    >>> amount(3742.2, "亿元"), amount(12.34, "projects"), amount(0.5234)
    ('3,742 亿元', '12 projects', '0.52')
    """
    x = float(x)
    text = f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}" if abs(x) < 1 else f"{x:.1f}"
    return f"{text} {unit}".strip()


def _lower_first(text: str) -> str:
    """"Online-economy output" → "online-economy output"; "GDP", "IO output" stay."""
    return text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text


def target_words(t) -> str:
    """A target as a phrase: "online-economy output at least 4,000 亿元 in 2025" from its label or its parts."""
    label = (t.label_en or t.id).strip().rstrip(".")
    return label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label


def _threshold(t) -> str:
    word = {">": "above", ">=": "at least", "<": "below", "<=": "at most"}.get(t.comparison, t.comparison)
    return f"{word} {amount(t.threshold, t.unit)} in {t.year}"


# --- the answer ---------------------------------------------------------------------------------------

def title_text(b: Brief) -> str:
    """The report's heading: scenario, plan, the scenario's own description, what the numbers rest on (escaped)."""
    from jdmodel.report.provenance import report_date

    p = b.plan
    doc = f" ({markdown_text(p.document, one_line=True)})" if p.document else ""
    plan_title = " — ".join(markdown_text(x, one_line=True) for x in (p.title_zh, p.title_en) if x)
    desc = own_description(b.sc)
    lines = [f"# Scenario report: {markdown_text(b.sc.name, one_line=True)}", "",
             f"**{plan_title}**{doc}", ""]
    if desc.strip():
        lines += [markdown_text(desc), ""]
    elif b.parent is not None:
        lines += [f"A scenario that extends *{markdown_text(b.parent.name, one_line=True)}* "
                  f"({len(_changed_keys(b.sc, b.parent))} parameter(s) changed; listed under Parameters).", ""]
    lines.append(f"{b.draws:,} draws · seed {b.seed} · {markdown_text(b.design, one_line=True)} design · "
                 f"parameters sha256 `{b.sc.sha256[:16]}…` · {report_date()[:10]}")
    return "\n".join(lines)


def _changed_keys(sc, ref) -> list[str]:
    from jdmodel.report.sections import _same

    return [k for k in sorted(set(sc.params) | set(ref.params)) if not _same(sc.params.get(k), ref.params.get(k))]


def answer_text(b: Brief) -> str:
    """One paragraph that answers the report's question, every number computed from the runs.

    The headline target's value and P(reach) with its interval; how many targets are likely,
    uncertain or unlikely; P(all) with its interval; which targets the published figures can
    check; what drives the headline result; what reaching it with public funds would take.
    """
    rep, head = b.rep, b.headline
    name = markdown_text(b.sc.name, one_line=True)
    if head is None:
        return f"Scenario *{name}* assesses none of the plan's targets (its results hold none of their indicators)."
    t = head.target
    total = b.plan.totals[0]
    what = _lower_first(total.en) if t.indicator == total.id and total.en else target_words(t)
    out = []
    if head.probability is None:
        out.append(f"Under scenario *{name}*, {what} reaches **{amount(head.value, t.unit)}** in {t.year} "
                   f"(central values). The target, {_threshold(t)}, is **{'reached' if head.reached else 'missed'}**.")
    else:
        lo, hi = head.interval
        out.append(f"Under scenario *{name}*, {what} reaches a median of **{amount(head.value, t.unit)}** in "
                   f"{t.year} (90 % of draws between {amount(head.low)} and {amount(head.high)}). The chance "
                   f"that it is {_threshold(t)} is **{pct(head.probability)}** (95 % interval {pct(lo)}–{pct(hi)} "
                   f"over {rep.draws:,} draws).")
    others = [r for r in rep.results if r is not head]
    if others and head.probability is not None:
        likely = [r for r in rep.results if r.probability >= LIKELY]
        unlikely = [r for r in rep.results if r.probability < UNLIKELY]
        parts = [f"{len(likely)} of the {len(rep.results)} targets {'has' if len(likely) == 1 else 'have'} a chance "
                 f"of {pct(LIKELY)} or more"]
        if unlikely:
            parts.append(f"{len(unlikely)} less than {pct(UNLIKELY)} "
                         f"({', '.join(f'{markdown_text(r.target.id, one_line=True)} {pct(r.probability)}' for r in unlikely)})")
        out.append("; ".join(parts) + ".")
        if rep.joint_probability is not None:
            jl, jh = wilson_interval(rep.joint_probability, rep.draws)
            out.append(f"All of them together: **{pct(rep.joint_probability)}** ({pct(jl)}–{pct(jh)}).")
    elif others:
        missed = [markdown_text(r.target.id, one_line=True) for r in rep.results if not r.reached]
        out.append(f"{len(rep.results) - len(missed)} of the {len(rep.results)} targets are reached"
                   + (f"; missed: {', '.join(missed)}." if missed else "."))
    out.append(evidence_text(rep))
    if b.posterior is not None:
        from jdmodel.report.expost_section import posterior_text

        out.append(posterior_text(b, short=True))
    drivers = drivers_text(b, short=True)
    if drivers:
        out.append(drivers)
    if b.frontier is not None:
        out.append(frontier_text(b, short=True))
    return " ".join(s for s in out if s)


def evidence_text(rep) -> str:
    """Which targets the published figures can check, which rest on assumptions alone."""
    obs = [markdown_text(r.target.id, one_line=True) for r in rep.results if r.evidence == "observed"]
    ass = [markdown_text(r.target.id, one_line=True) for r in rep.results if r.evidence != "observed"]
    if not ass:
        return "Published figures measure every target's indicator, so the data can check each result."
    if not obs:
        return ("No published figure measures any target's indicator: every result rests on assumed "
                "parameters alone.")
    return (f"Published figures measure {_join(obs)}, so the data can check {'that' if len(obs) == 1 else 'those'} "
            f"result{'' if len(obs) == 1 else 's'}; {_join(ass)} rest{'s' if len(ass) == 1 else ''} on assumed "
            "parameters alone.")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- what drives it -----------------------------------------------------------------------------------

def ranked_parameters(si, indicator: str, year: int, k: int = 8) -> list[tuple[str, float, float]]:
    """(key, ST, S1) of the ``k`` parameters with the largest total Sobol' index, largest first; zeros left out."""
    one = si.sel(output=indicator, year=year)
    st = np.nan_to_num(np.asarray(one["ST"].values, dtype=float), nan=0.0)
    s1 = np.nan_to_num(np.asarray(one["S1"].values, dtype=float), nan=0.0)
    order = np.argsort(-st, kind="stable")[:k]
    keys = [str(p) for p in one["parameter"].values]
    return [(keys[j], float(st[j]), float(s1[j])) for j in order if st[j] > 0.005]


def drivers_text(b: Brief, short: bool = False) -> str:
    """What drives the headline result, in words: the parameters with the largest total Sobol' index."""
    head = b.headline
    if b.si is None or head is None or head.target.indicator not in b.si["output"].values:
        return ""
    ranked = ranked_parameters(b.si, head.target.indicator, head.target.year, k=3)
    if not ranked:
        return ""
    names = [f"{markdown_text(parameter_label(k, b.plan, chinese=False), one_line=True)} ({st:.2f})"
             for k, st, _ in ranked]
    levers = [k for k, _, _ in ranked if k.startswith("levers.")]
    share = sum(st for _, st, _ in ranked)
    text = (f"The result for {markdown_text(head.target.id, one_line=True)} depends most on "
            f"{_join(names)} (total Sobol' index: the share of its variance each accounts for, interactions "
            "included).")
    if short:
        return text
    lever_words = ("None of them is a lever the plan sets: they describe the economy, and policy can only make "
                   "them more or less favourable." if not levers else
                   f"{_join([markdown_text(parameter_label(k, b.plan, chinese=False), one_line=True) for k in levers])} "
                   "is set by policy.")
    return (f"{text} Together the three account for about {min(share, 1.0):.0%} of the variance "
            f"(the indices overlap where parameters interact). {lever_words}")


# --- what it would take ----------------------------------------------------------------------------------

def frontier_text(b: Brief, short: bool = False) -> str:
    """How much public money (all sectors) the headline target needs for P ≥ 80 %, from ``jd.frontier``."""
    fr = b.frontier
    if fr is None:
        head = b.headline
        if not b.frontier_note or head is None:
            return ""
        return (f"Public funds alone do not bring {markdown_text(head.target.id, one_line=True)} to "
                f"{pct(FRONTIER_PROB)} within the amounts searched: {markdown_text(b.frontier_note, one_line=True)}")
    lo, hi = fr.interval
    upper = "beyond the search bound" if hi is None else f"{hi:.2f}"
    if fr.scale <= 1.0 and fr.base_probability >= fr.prob:
        core = (f"The scenario's public funds already give {markdown_text(fr.target, one_line=True)} a chance of "
                f"{pct(fr.base_probability)}; {fr.scale:.2f}× them (about {amount(fr.amount, fr.unit)} over "
                f"{fr.period}) would keep it at {pct(fr.prob)}.")
    else:
        core = (f"Reaching {pct(fr.prob)} for {markdown_text(fr.target, one_line=True)} with public funds alone "
                f"would take **{fr.scale:.2f}×** the scenario's funds in every sector, about "
                f"**{amount(fr.amount, fr.unit)}** over {fr.period} instead of {amount(fr.base_amount, fr.unit)}.")
    if short:
        return core
    return (f"{core} The scale is found on {fr.draws:,} common draws (every scale judged on the same sample), "
            f"so P(reach) is a step function of it; its 95 % Monte Carlo interval is {lo:.2f}–{upper}. "
            "The amounts are scenario choices and the leverage of public money an assumption with a range: "
            "read the answer as conditional on both.")


# --- methods ----------------------------------------------------------------------------------------------

def methods_text(b: Brief) -> str:
    """How the numbers were made, with the numbers: model, ensemble, intervals, sensitivity, frontier."""
    p = b.plan
    y = p.years
    n_ranged = sum(1 for prm in b.sc.params.values() if prm.low is not None and prm.high is not None)
    parts = [
        f"**Model.** Each of the plan's {len(p.sectors)} sectors grows by a production function of capital, talent "
        f"and land with productivity growth, from the base year {y.base} (derived from published figures where the "
        f"plan's base-year rules say so) to {y.horizon}; public funds become capital through their leverage, talent "
        "and land programmes add to the stocks (see the model documentation, `docs/model.md`).",
        f"**Uncertainty.** {n_ranged} parameters are assumptions with a range; the ensemble samples them "
        f"({b.draws:,} draws, {markdown_text(b.design, one_line=True)} design, seed {b.seed}). P(reach) is the share "
        "of draws that reach a target; its Wilson 95 % interval reflects the number of draws, not the width of the "
        "assumptions. Counts (firms, projects, scenarios) are drawn from their counting models.",
    ]
    if b.si is not None:
        parts.append(f"**Sensitivity.** Sobol' indices (Saltelli design, base sample n = {b.sensitivity_n}, "
                     f"{b.si.attrs.get('n_evaluations', '?')} model runs; counting models on their expected paths): a "
                     "ranking, not precise indices.")
    if b.frontier is not None:
        parts.append(f"**Frontier.** The scenario's public-funds path in every sector is scaled by one factor; the "
                     f"smallest factor with P ≥ {pct(b.frontier.prob)} is found by root search on {b.frontier.draws:,} "
                     "common draws (`jd.frontier`).")
    if b.posterior is not None:
        parts.append(f"**Posterior.** The targets given the published figures come from a posterior sampled by "
                     f"`jdmodel infer` ({b.posterior.draws:,} draws, waste-free tempering SMC over the parameters "
                     "the figures can see and the model discrepancy; the others drawn from their prior) and read "
                     "here from its file, not sampled again. A target no figure measures keeps its prior P(reach).")
    if b.parent is not None:
        parts.append(f"**Parameters** are listed against *{markdown_text(b.parent.name, one_line=True)}*, the "
                     "scenario this one extends.")
    return "\n\n".join(parts)


def central_report(b: Brief):
    """``jd.assess`` of the central run (what ``jdmodel run`` prints)."""
    import jdmodel as jd

    if "central_report" not in b.extras:
        b.extras["central_report"] = jd.assess(b.central)
    return b.extras["central_report"]
