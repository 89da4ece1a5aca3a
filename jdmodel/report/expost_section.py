"""The report's ex-post section: the model beside the plan's published figures, and given them.

:func:`ex_post_section` shows what the report has under "Against the published figures": the parts
in :data:`EX_POST_PARTS`, each a function of the :class:`~jdmodel.report.brief.Brief` that returns
items to display (Markdown, tables, images). Today: the model's central run beside the figures
(:func:`jdmodel.evaluate`), each target against the last published figure, and, with a posterior
file (``jdmodel report --posterior FILE``, written by ``jdmodel infer``), the targets *given* the
figures: prior and posterior P(reach) with their Monte Carlo errors and evidence, the sentence that
says it, the sampler's facts and the headline indicator's bands before and after. The posterior is
read from its file, never sampled again; every string from the file is escaped.
"""

from __future__ import annotations

import html

import numpy as np

from jdmodel.report.charts import Picture
from jdmodel.report.sections import markdown_text
from jdmodel.report.table import _pct, _table, fmt


def ex_post_section(b) -> list:
    """What the report shows under "Against the published figures": a list of items to display.

    The model's central run beside every published figure it has an indicator for
    (:func:`jdmodel.evaluate`), each target against the last published full-year figure, and, when
    the report was given a posterior file (``jdmodel report --posterior FILE``), the targets given the
    figures (:func:`posterior_parts`). A further part belongs here as one more function of ``b``
    (:class:`jdmodel.report.brief.Brief`) appended to :data:`EX_POST_PARTS`; the template does not
    change.
    """
    items: list = []
    for part in EX_POST_PARTS:
        items.extend(part(b))
    return items


def _evaluation_parts(b) -> list:
    from IPython.display import Markdown

    from jdmodel.params.observed import CLASSES

    ev = b.evaluation
    if ev is None:
        note = b.extras.get("evaluation_note")
        return [Markdown("The plan's folder holds no published figure to compare with." if not note else
                         f"The model could not be set beside the published figures: {markdown_text(note)}")]
    terms = ev.terms
    if not terms:
        skipped = len(ev.skipped)
        return [Markdown(f"None of the plan's published figures{f' ({skipped})' if skipped else ''} measures "
                         "something the model computes in this run, so the model cannot be set beside them."),
                *_target_check_parts(b)]
    used = [t for t in terms if t.used]
    rel = [abs(float(t.model) / t.observed - 1) for t in used if t.kind != "growth" and t.observed]
    worst = max(used, key=lambda t: abs(float(t.z())), default=None)
    text = (f"The scenario's central run beside the {len(terms)} published figure(s) the model has an indicator for "
            f"(`jd.evaluate`): the model's value is what the figure measured (a part-year figure beside the annual "
            f"value times the same within-year share). ")
    if rel:
        text += f"The model is within {max(rel):.0%} of every figure used; the median gap is {np.median(rel):.0%}. "
    if worst is not None:
        text += (f"The largest standardised gap is {float(worst.z()):+.1f} (figure {markdown_text(worst.id)}, "
                 f"{markdown_text(worst.obs.indicator)} {markdown_text(str(worst.obs.period))}), where the error "
                 "scale depends on the class of the source (official statistics, government document, news report).")
    rows = []
    for t in terms:
        growth = t.kind == "growth"
        m = float(t.model)
        pub, mod = (t.observed - 1.0, m - 1.0) if growth else (t.observed, m)
        show = (lambda v: f"{v:+.1%}") if growth else fmt
        rows.append({"figure": t.id, "indicator": _indicator_words(t.obs.indicator, b.plan),
                     "period": str(t.obs.period), "class": t.obs.cls, "published": show(pub), "model": show(mod),
                     "gap": f"{m / t.observed - 1:+.1%}", "used": "yes" if t.used else "no"})
    table = _table("observed", rows, ["figure", "indicator", "period", "class", "published", "model", "gap", "used"],
                   "Published figures and the model (central run); gap = model / published − 1; class: "
                   + "; ".join(f"{k} {v}" for k, v in CLASSES.items()))
    return [Markdown(text), table, *_target_check_parts(b)]


def _target_check_parts(b) -> list:
    """Each target against the last published full-year figure, and which targets have none."""
    from IPython.display import Markdown

    ev = b.evaluation
    checks = []
    for c in ev.targets:
        last = "none" if c.last is None else f"{fmt(c.last.value)} ({c.last.year}, {c.last.cls})"
        checks.append({"target": c.id, "last published": last,
                       "threshold": f"{c.comparison} {fmt(c.threshold)} {c.unit} ({c.year})",
                       "met?": "—" if c.met is None else "yes" if c.met else "not yet",
                       "growth needed/yr": "" if c.required_growth is None else f"{c.required_growth:+.1%}",
                       "model growth/yr": "" if c.model_growth is None else f"{c.model_growth:+.1%}"})
    missing = [c.id for c in ev.targets if c.last is None]
    tail = (f"No full-year figure has been published for {', '.join(markdown_text(m) for m in missing)}: the model "
            "cannot be checked there." if missing else "")
    return [_table("target_checks", checks, ["target", "last published", "threshold", "met?", "growth needed/yr",
                                            "model growth/yr"], "Each target against the last published full-year figure"),
            *([Markdown(tail)] if tail else [])]


def _indicator_words(indicator: str, plan) -> str:
    """An indicator id as words: a total or linked indicator's name, ``output.<sector>`` as the sector's name."""
    from jdmodel.report.names import sector_name

    for t in (*plan.totals, *plan.linked):
        if t.id == indicator:
            return f"{t.zh} {t.en}".strip() if t.zh else t.en
    if indicator.startswith("output."):
        return sector_name(plan, indicator.split(".", 1)[1]) + " output"
    return indicator.replace("_", " ")


# --- given the published figures: a posterior read from its file -----------------------------------------

def load_posterior(source, sc):
    """The posterior a report shows: a :class:`~jdmodel.expost.posterior.ScenarioPosterior` as it is, or a
    file written by ``jdmodel infer`` (checked: a posterior of the scenario's plan) read without sampling again."""
    from jdmodel.expost.posterior import ScenarioPosterior
    from jdmodel.expost.posterior_file import check_posterior, read_posterior

    if isinstance(source, ScenarioPosterior):
        return source
    return read_posterior(check_posterior(source, plan=sc.plan, what="report: --posterior"), sc)


def _h(text) -> str:
    """A string from a file as HTML text: control characters escaped, then HTML's special characters."""
    from jdmodel.errors import printable

    return html.escape(printable(str(text), newlines=False))


def _target_of(sc, name: str):
    """The scenario's target (or growth path, ``path:<id>``) a row of the posterior's table is about."""
    if name.startswith("path:"):
        return next((p for p in sc.targets.paths if p.id == name[5:]), None)
    return next((t for t in sc.targets.targets if t.id == name), None)


def headline_target(b):
    """The target the posterior sentence is about: the report's headline target, if the posterior judges it."""
    names = [str(x) for x in b.posterior.targets["target"].values]
    if b.headline is not None and b.headline.target.id in names:
        return b.headline.target
    total = b.plan.totals[0].id
    judged = [t for t in b.sc.targets.targets if t.id in names]
    return next((t for t in judged if t.indicator == total), judged[0] if judged else None)


def _figures(b) -> str:
    n = len(b.posterior.terms)
    return f"the {n} published figure{'' if n == 1 else 's'}"


def _se(x: float) -> str:
    return f"±{100 * x:.1f} %" if np.isfinite(x) else "±?"


def sampled_elsewhere(b) -> bool:
    """True when the posterior was sampled for parameters other than the scenario's (their sha256 differ)."""
    from jdmodel.expost.posterior_file import sampled_for

    return sampled_for(b.posterior.idata)["parameters_sha256"] != b.sc.sha256


def posterior_text(b, short: bool = False) -> str:
    """The posterior's answer in a sentence: P(headline target) given the figures, against before them.

    ``short`` (for the report's answer paragraph) leaves out the other targets. Empty without a posterior.
    """
    from jdmodel.report.brief import _join, _lower_first, _threshold, pct, target_words

    post = b.posterior
    if post is None:
        return ""
    t = headline_target(b)
    if t is None:
        return "The posterior judges none of the scenario's targets."
    total = b.plan.totals[0]
    what = (f"{_lower_first(total.en)} {_threshold(t)}" if t.indicator == total.id and total.en else
            f"{markdown_text(target_words(t), one_line=True)} in {t.year}")
    r = post.targets.sel(target=t.id)
    p, se, p0 = float(r["headline"]), float(r["headline_mcse"]), float(r["prior"])
    if str(r["evidence"].values) == "observed":
        move = ("the same as" if pct(p) == pct(p0) else "up from" if p > p0 else "down from")
        text = f"Given {_figures(b)}, P({what}) is **{pct(p)}** ({_se(se)}), {move} {pct(p0)} before them."
    else:
        text = (f"No published figure measures the indicator of {markdown_text(t.id, one_line=True)}: given "
                f"{_figures(b)}, P({what}) stays at its prior, **{pct(p0)}**.")
    if sampled_elsewhere(b):
        text += " **The posterior was sampled for different parameters than this scenario's** (see below)."
    if short:
        return text
    others = [str(x) for x in post.targets["target"].values if str(x) != t.id]
    moved = [f"{markdown_text(n, one_line=True)} {pct(float(post.targets['prior'].sel(target=n)))} → "
             f"{pct(float(post.targets['headline'].sel(target=n)))}" for n in others
             if str(post.targets["evidence"].sel(target=n).values) == "observed"]
    kept = [markdown_text(n, one_line=True) for n in others
            if str(post.targets["evidence"].sel(target=n).values) != "observed"]
    if moved:
        text += f" The other target{'s' if len(moved) > 1 else ''} the figures measure: {_join(moved)}."
    if kept:
        text += (f" No figure measures {_join(kept)}: {'its' if len(kept) == 1 else 'their'} P(reach) is the "
                 "prior's, whatever the figures say.")
    return text + " ± is the Monte Carlo standard error of the posterior P(reach)."


def posterior_warning(b) -> str:
    """HTML of a visible warning when the posterior was sampled for other parameters, else ``""`` (all escaped)."""
    from jdmodel.expost.posterior_file import sampled_for

    if b.posterior is None or not sampled_elsewhere(b):
        return ""
    f = sampled_for(b.posterior.idata)
    where = b.extras.get("posterior_file")
    name = _h(_basename(where)) if where else "The posterior"
    return ('<div class="jd-warning" data-warning="posterior-parameters" role="alert" style="border-left: 4px '
            'solid #d62728; background: #fdecea; padding: 0.5em 1em; margin: 0.6em 0;">'
            "<strong>Warning: this posterior was sampled for different parameters.</strong> "
            f"{name} was sampled for scenario <em>{_h(f['scenario'])}</em> (parameters sha256 "
            f"<code>{_h(f['parameters_sha256'][:16])}…</code>); this report's scenario <em>{_h(b.sc.name)}</em> has "
            f"<code>{b.sc.sha256[:16]}…</code>. The P(reach), bands and discrepancy below are those of the other "
            "parameters' posterior, judged against this scenario's targets, not a posterior of this scenario: run "
            f"<code>jdmodel infer {_h(b.sc.name)}</code> and report with the file it writes.</div>")


def _basename(path) -> str:
    import os

    return os.path.basename(str(path))


def posterior_targets_table(b):
    """``posterior_targets``: each target's P(reach) before and given the figures, its MC error and evidence."""
    post = b.posterior
    t = post.targets
    rows = []
    for name in (str(x) for x in t["target"].values):
        r = t.sel(target=name)
        obj = _target_of(b.sc, name)
        observed = str(r["evidence"].values) == "observed"
        rows.append({"target": name, "what the plan asks": "" if obj is None else (obj.label_en or obj.label_zh),
                     "year": "" if obj is None else str(getattr(obj, "year", getattr(obj, "target_year", ""))),
                     "prior P(reach)": _pct(float(r["prior"])), "posterior P(reach)": _pct(float(r["headline"])),
                     "± MC s.e.": _pct(float(r["headline_mcse"])),
                     "evidence": "observed" if observed else "assumed: prior kept"})
    return _table("posterior_targets", rows, ["target", "what the plan asks", "year", "prior P(reach)",
                                              "posterior P(reach)", "± MC s.e.", "evidence"],
                  f"P(reach) before and given {_figures(b)} ({post.draws:,} posterior draws); ± MC s.e. is the "
                  "Monte Carlo standard error of the posterior P(reach), from its effective sample size; a target "
                  "no figure measures keeps its prior P(reach)")


def data_and_assumptions_text(b) -> str:
    """What in the posterior rests on the published figures, and what on assumptions alone."""
    from jdmodel.expost.likelihood import DISCREPANCY
    from jdmodel.expost.posterior_file import attributes
    from jdmodel.report.brief import _join

    post = b.posterior
    p = post.parameters
    informed = p["informed"].values.astype(bool)
    names = [str(x) for x in p["parameter"].values]
    seen = sum(1 for n, i in zip(names, informed, strict=True) if i and n != DISCREPANCY)
    unseen = int((~informed).sum())
    ev = post.targets["evidence"]
    obs = [markdown_text(str(n), one_line=True) for n in ev["target"].values if str(ev.sel(target=n).values) == "observed"]
    ass = [markdown_text(str(n), one_line=True) for n in ev["target"].values if str(ev.sel(target=n).values) != "observed"]
    by_id = {o.id: o for o in b.plan.observations}
    years = [by_id[t.id].year for t in post.terms if t.id in by_id]
    error_model = attributes(post.idata).get("error_model", "")
    one = len(obs) == 1
    on_data = (f"**What rests on data, what on assumptions.** On data: the {seen} parameters the published figures "
               "can see" + (" and the model discrepancy" if DISCREPANCY in names else "") + " are drawn from their "
               "posterior")
    if obs:
        on_data += (f", and {_join(obs)} {'is' if one else 'are'} measured by a figure (directly or through "
                    f"{'its' if one else 'their'} components), so {'its' if one else 'their'} P(reach) is conditioned "
                    "on data")
    parts = [on_data + "."]
    on_prior = f"On assumptions: the other {unseen} parameters, which no figure can see, keep their prior (drawn exactly)"
    if ass:
        on_prior += (f"; no figure measures {_join(ass)}, so {'its' if len(ass) == 1 else 'their'} P(reach) is the "
                     "prior's, whatever the figures say")
    parts.append(on_prior + ".")
    parts.append("Every result also rests on the priors, the model's form, the error of each class of source"
                 + (f" (as {markdown_text(error_model, one_line=True)} states it)" if error_model else "")
                 + " and the prior of the discrepancy.")
    if years:
        parts.append(f"The latest figure used is for {max(years)}: what the posterior says about later years is a "
                     "projection, not a measurement.")
    return " ".join(parts)


def posterior_sampler_table(b):
    """``posterior_sampler``: how the posterior was sampled (file, parameters sha256 against the scenario's, draws,
    seed, ESS, R-hat, log evidence, the discrepancy's posterior, error model), read from the file."""
    from jdmodel.expost.likelihood import DISCREPANCY
    from jdmodel.expost.posterior_file import attributes, sampled_for

    post = b.posterior
    a = attributes(post.idata)
    f = sampled_for(post.idata)
    where = b.extras.get("posterior_file")
    rows = []
    if where:
        rows += [{"item": "posterior file", "value": _basename(where)},
                 {"item": "file sha256", "value": b.extras.get("posterior_file_sha256", "")}]
    same = f["parameters_sha256"] == b.sc.sha256
    rows += [{"item": "sampled for", "value": f"scenario {f['scenario']} of plan {f['plan']}"},
             {"item": "parameters sha256, posterior", "value": f["parameters_sha256"]},
             {"item": "parameters sha256, this scenario", "value": b.sc.sha256},
             {"item": "same parameters", "value": "yes" if same else "NO: sampled for different parameters"},
             {"item": "published figures used", "value": f"{len(post.terms)}: " + ", ".join(t.id for t in post.terms)},
             {"item": "draws", "value": f"{post.draws:,} ({f['chains']} chains × {f['draws_per_chain']})"},
             {"item": "seed", "value": str(f["seed"])},
             {"item": "effective sample size", "value": f"≥ {post.ess:,.0f} (the smallest over the sampled parameters)"},
             {"item": "R-hat", "value": f"≤ {post.rhat:.3f} (halves of short chains: above 1.01 says they are short; "
                                        "the ± of P(reach) is the error to read)"},
             {"item": "log evidence", "value": f"{post.log_evidence:.2f}"}]
    if DISCREPANCY in post.idata.posterior:
        d = post.idata.posterior[DISCREPANCY].values.ravel()
        lo, med, hi = np.quantile(d, [0.05, 0.5, 0.95])
        rows.append({"item": "model discrepancy", "value": f"posterior median {med:.3g} (5–95 % {lo:.3g}–{hi:.3g}); "
                                                           f"{post.discrepancy}"})
    else:
        rows.append({"item": "model discrepancy", "value": post.discrepancy})
    for key, label in (("tempering_steps", "tempering steps"), ("mean_acceptance", "mean acceptance"),
                       ("error_model", "error model"), ("sampler", "sampler")):
        if key in a:
            v = a[key]
            rows.append({"item": label, "value": f"{float(v):.2f}" if key == "mean_acceptance" else str(v)})
    return _table("posterior_sampler", rows, ["item", "value"],
                  "How the posterior was sampled (jdmodel infer), read from its file and not sampled again")


def posterior_parts(b) -> list:
    """"Given the published figures": the sentence, a warning when the posterior is of other parameters, the
    targets before and given the figures, what rests on data, the headline indicator's bands, the sampler's facts.

    Nothing without a posterior (``b.posterior`` None).
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML, Markdown

    from jdmodel.figures.labels import labels
    from jdmodel.report.charts import posterior_figure

    if b.posterior is None:
        return []
    items: list = [Markdown("### Given the published figures\n\n" + posterior_text(b))]
    warning = posterior_warning(b)
    if warning:
        items.append(HTML(warning))
    items += [posterior_targets_table(b), Markdown(data_and_assumptions_text(b))]
    lab = labels(plan=b.plan)
    with plt.rc_context(lab.rc()):          # the plan's Chinese names and units where a font draws them
        fig = posterior_figure(b, lab)
        image = Picture(fig) if fig is not None else None
    if image is not None:
        items += [image, Markdown("The bands hold 90 % of the draws before the figures (grey) and given them "
                                        "(blue), the lines are their medians; the squares are the published "
                                        "full-year figures, the diamond the target.")]
    items.append(posterior_sampler_table(b))
    return items


#: the parts of :func:`ex_post_section`, in order; each takes the Brief and returns items to display
EX_POST_PARTS = [_evaluation_parts, posterior_parts]
