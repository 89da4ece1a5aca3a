"""A report with a posterior (``jdmodel report --posterior FILE``): the numbers are the posterior's, read from the
file; a posterior of other parameters is flagged; strings from the file are text; bad files fail before any work."""

from __future__ import annotations

import shutil

import pytest
import xarray as xr

pytest.importorskip("particles")
pytest.importorskip("arviz")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
netCDF4 = pytest.importorskip("netCDF4")

from test_report import HOSTILE, _check_inert, _text, column, tables  # noqa: E402

import jdmodel as jd  # noqa: E402
from jdmodel.cli import main  # noqa: E402
from jdmodel.expost.posterior import infer  # noqa: E402
from jdmodel.expost.posterior_file import read_posterior  # noqa: E402
from jdmodel.report import expost_section as X  # noqa: E402
from jdmodel.report import render  # noqa: E402
from jdmodel.report import sections as S  # noqa: E402
from jdmodel.report.brief import pct  # noqa: E402

DRAWS, SEED = 400, 2


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    """A small posterior of the plan (the input–output block as by default), and the file it is written to."""
    post = infer("plan", draws=DRAWS, seed=SEED)
    path = tmp_path_factory.mktemp("posterior") / "plan_posterior.nc"
    post.to_netcdf(path)
    return post, path


def _edit(path, dest, **attrs):
    """A copy of a posterior file with some of the sampler's attributes replaced."""
    shutil.copy(path, dest)
    with netCDF4.Dataset(dest, "a") as nc:
        for k, v in attrs.items():
            nc.setncattr(k, v)
    return dest


def test_the_file_gives_back_the_summary_infer_returned(posterior):
    post, path = posterior
    back = read_posterior(path)
    for name in ("targets", "parameters", "quantiles"):
        xr.testing.assert_identical(getattr(back, name), getattr(post, name))
    assert (back.ess, back.rhat, back.log_evidence, back.draws) == (post.ess, post.rhat, post.log_evidence, post.draws)
    assert back.discrepancy == post.discrepancy and [t.id for t in back.terms] == [t.id for t in post.terms]
    assert post.quantiles["online_economy_output"].attrs["units"] == "亿元"


def test_section_of_a_matching_posterior_has_no_warning(posterior):
    from jdmodel.report.brief import brief

    post, path = posterior
    b = brief("plan", draws=20, seed=1, sensitivity_n=0, frontier=False, evaluate=False, posterior=path)
    assert X.posterior_parts in S.EX_POST_PARTS and S.EX_POST_PARTS is X.EX_POST_PARTS   # the extension point
    assert X.posterior_warning(b) == "" and not X.sampled_elsewhere(b)
    rows = dict(map(tuple, X.posterior_sampler_table(b).frame[["item", "value"]].values))
    assert rows["same parameters"] == "yes" and rows["parameters sha256, posterior"] == post.scenario.sha256
    p, se = post.p_reach("output")
    assert f"is **{pct(p)}** (±{100 * se:.1f} %)" in X.posterior_text(b)


def test_report_shows_the_posterior_and_flags_other_parameters(posterior, tmp_path):
    post, path = posterior
    doctored = _edit(path, tmp_path / "post <img src=x onerror=alert(1)>.nc", scenario=HOSTILE[0],
                     error_model=HOSTILE[2], parameters_sha256="0" * 64)
    out = render("plan", tmp_path / "r.html", draws=20, seed=1, sensitivity_n=0, posterior=doctored)
    page = out.read_text(encoding="utf-8")
    t = tables(page)
    # every target's numbers are the ScenarioPosterior's
    tg = post.targets
    names = [str(n) for n in tg["target"].values]
    assert column(t["posterior_targets"], "target") == names
    assert column(t["posterior_targets"], "prior P(reach)") == [S._pct(float(v)) for v in tg["prior"].values]
    assert column(t["posterior_targets"], "posterior P(reach)") == [S._pct(float(v)) for v in tg["headline"].values]
    assert column(t["posterior_targets"], "± MC s.e.") == [S._pct(float(v)) for v in tg["headline_mcse"].values]
    assert column(t["posterior_targets"], "evidence") == [
        "observed" if e == "observed" else "assumed: prior kept" for e in tg["evidence"].values]
    facts = dict(map(tuple, t["posterior_sampler"][1:]))
    assert facts["draws"].startswith(f"{post.draws:,} (") and facts["seed"] == str(SEED)
    assert facts["log evidence"] == f"{post.log_evidence:.2f}" and facts["effective sample size"].startswith(
        f"≥ {post.ess:,.0f}")
    assert facts["parameters sha256, this scenario"] == post.scenario.sha256
    assert facts["same parameters"].startswith("NO")
    # the sentence, in the section and in the answer
    p, se = post.p_reach("output")
    p0 = float(tg["prior"].sel(target="output"))
    move = "the same as" if pct(p) == pct(p0) else "up from" if p > p0 else "down from"
    sentence = (f"Given the {len(post.terms)} published figures, P(online-economy output above 4,000 亿元 in 2025) "
                f"is {pct(p)} (±{100 * se:.1f} %), {move} {pct(p0)} before them.")
    text = _text(page)
    answer = text[text.index("The answer"):text.index("The targets")]
    section = text[text.index("Given the published figures"):]
    assert sentence in answer and sentence in section
    assert "What rests on data, what on assumptions." in section and "prior's, whatever the figures say" in section
    # the chart of the headline indicator sits in the section
    part = page[page.index("Given-the-published-figures"):page.index('data-table="posterior_sampler"')]
    assert "data:image/png;base64," in part
    # sampled for other parameters: a visible warning, and the answer says so
    assert page.count('data-warning="posterior-parameters"') == 1
    assert "Warning: this posterior was sampled for different parameters." in text
    assert "sampled for different parameters than this scenario's" in answer
    # strings from the file (its name, the scenario and error model it names) are shown as text
    _check_inert(page, doctored.name, HOSTILE[0], HOSTILE[2])


@pytest.mark.parametrize("kind", ["missing", "text", "results", "other plan", "comparison"])
def test_bad_posterior_files_exit_2_naming_the_file_before_any_work(posterior, tmp_path, capsys, kind):
    _, path = posterior
    bad = tmp_path / f"bad {kind}.nc"
    if kind == "text":
        bad.write_text("not a NetCDF file\n")
    elif kind == "results":
        jd.simulate("plan", draws=3, seed=1, io=False).to_netcdf(bad)
    elif kind == "other plan":
        _edit(path, bad, plan="yangpu")
    elif kind == "comparison":
        bad = path
    scenarios = ["plan", "funds_heavy"] if kind == "comparison" else ["plan"]
    out = tmp_path / "r.html"
    assert main(["report", *scenarios, "--posterior", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists() and not (tmp_path / "r.failed.ipynb").exists()
    if kind == "comparison":
        assert "one scenario" in err
    else:
        assert str(bad) in err
        assert {"missing": "no such file", "text": "not a posterior", "results": "not a posterior",
                "other plan": "plan 'yangpu'"}[kind] in err


def test_posterior_sentence_when_no_figure_measures_the_target(posterior):
    """A target no figure measures keeps its prior, and the sentence says so instead of a change."""
    from types import SimpleNamespace

    post, _ = posterior
    sc = post.scenario
    t = next(x for x in sc.targets.targets if x.id == "enterprises")
    b = SimpleNamespace(posterior=post, sc=sc, plan=sc.plan, extras={},
                        headline=SimpleNamespace(target=t))
    text = X.posterior_text(b, short=True)
    prior = pct(float(post.targets["prior"].sel(target="enterprises")))
    words = S.markdown_text("200+ high-growth innovative enterprises")
    assert t.label_en == "200+ high-growth innovative enterprises"
    assert text == (f"No published figure measures the indicator of enterprises: given the {len(post.terms)} published "
                    f"figures, P({words} in 2025) stays at its prior, **{prior}**.")
