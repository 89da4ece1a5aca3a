"""Every entry point on every shipped plan and on a plan written by ``jdmodel init``.

A plan is a folder of files; the package holds no region's names, years or keys. These tests run
each public function on each plan, so that a constant of one plan cannot creep back in, and check
that a plan file contradicting its own declarations is rejected with file, key and what was expected.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import jdmodel as jd  # noqa: E402
from jdmodel.errors import ParameterError  # noqa: E402
from jdmodel.params.checkfile import check_plan  # noqa: E402
from jdmodel.params.plan import available_plans, load_plan, plans_dir  # noqa: E402
from jdmodel.params.template import init_plan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def init_folder(tmp_path_factory) -> Path:
    """A plan written by ``jdmodel init``: three sectors, base year 2022, horizon 2030."""
    return init_plan(tmp_path_factory.mktemp("init") / "my_district", ["platforms", "games", "cloud"], 2022, 2030)


PLANS = [*available_plans(), "init"]


@pytest.fixture(params=PLANS)
def plan(request, init_folder):
    return load_plan(init_folder if request.param == "init" else request.param)


@pytest.fixture
def scenario(plan):
    return jd.load_scenario(plan.default_scenario, plan=plan)


def test_a_second_real_plan_ships():
    assert len(available_plans()) >= 2 and available_plans()[0] == "jiading"
    other = [load_plan(p) for p in available_plans()[1:]]
    assert all(p.years.base != 2020 or p.sector_ids != load_plan("jiading").sector_ids for p in other)


def test_check_accepts_the_plan_folder(plan):
    text = check_plan(plan.folder)
    assert text.startswith(f"plan {plan.id}: OK")
    assert f"{len(plan.sectors)} sectors" in text


def test_simulate_and_assess_central_and_draws(scenario):
    plan = scenario.plan
    ds = jd.simulate(scenario)
    assert list(ds["year"].values) == list(plan.years.all)
    assert list(ds["sector"].values) == list(plan.sector_ids)
    for t in plan.totals:
        members = ds["output"].sel(sector=list(t.sectors)).sum("sector")
        np.testing.assert_allclose(ds[t.id].values, members.values, rtol=1e-12)
    rep = jd.assess(ds)
    assert [r.target.id for r in rep.results] and all(r.target.year in plan.years.all for r in rep.results)
    ens = jd.simulate(scenario, draws=200, seed=3)
    rep = jd.assess(ens)
    assert all(0.0 <= r.probability <= 1.0 for r in rep.results)


def test_run_command_prints_the_plans_targets(scenario):
    from jdmodel.cli import main

    target = str(scenario.plan.folder)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "jdmodel.cli", "run", target], capture_output=True, text=True,
                       env=env, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    for t in scenario.targets.targets:
        assert re.search(rf"^{re.escape(t.id)}\s+{t.year}\b", r.stdout, re.M), r.stdout
    assert main(["check", target]) == 0


def test_sweep_sensitivity_and_discovery(scenario):
    red = jd.sweep(scenario, draws=600, seed=1, chunks=250, progress=False)
    rep = jd.assess(red)
    assert rep.draws == 600 and rep.results
    si = jd.sensitivity(scenario, n=32, seed=1)
    assert set(si["year"].values) == set(scenario.plan.years.levers)
    ens = jd.simulate(scenario, draws=300, seed=2, io=False)
    box = jd.discover(ens)
    assert box is not None


def test_policy_entry_points(scenario):
    first = scenario.targets.targets[0].id
    curve = jd.policy.frontier_curve(scenario, target=first, lever="funds", draws=100, scales=[0.0, 1.0, 4.0])
    p = curve["p_reach"].values
    assert np.all(np.diff(p) >= 0)                     # common random numbers: more funds never lowers P
    r = jd.optimise_budget(scenario, 5.0, levers=("funds",), draws=60, grid=1, starts=1, profile=False)
    assert r.spend.sum() <= 5.0 + 1e-9
    assert f"{scenario.plan.years.plan_start}–{scenario.plan.years.plan_end}" in r.table()


def test_ex_post_entry_points(scenario):
    rep = jd.evaluate(scenario, io=False)
    assert rep.table()
    key = f"sectors.{scenario.plan.sector_ids[0]}.tfp_growth"
    if scenario.plan.observations:
        try:
            cal = jd.calibrate(scenario, free=[key])
        except ParameterError as err:                    # no observation this plan's model produces
            assert "matches an indicator" in str(err)
        else:
            assert key in cal.estimates
        ens = jd.simulate(scenario, draws=300, seed=1, io=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # a small ensemble: the ESS warning is expected
            try:
                post = jd.condition(ens, scenario=scenario)
            except ParameterError:                   # no term in the likelihood for this plan
                post = None
        assert post is None or 0 < post.ess <= 300


def test_symbolic_entry_points(scenario):
    from jdmodel.symbolic import growth_accounting

    eq = jd.equations(kind="text", plan=scenario.plan)
    assert eq
    ds = jd.simulate(scenario, io=False)
    acc = growth_accounting(ds, scenario)
    assert acc.table()


def test_figures_and_dashboard(scenario):
    from jdmodel.figures import fan_chart
    from jdmodel.widgets import Dashboard

    ens = jd.simulate(scenario, draws=50, seed=1, io=False)
    total = scenario.plan.totals[0].id
    ax = fan_chart(ens, total)
    assert ax.get_lines()
    d = Dashboard(scenario, debounce=0, chinese=False)
    s = scenario.plan.sector_ids[0]
    d.sliders[("funds", s)].value = d.sliders[("funds", s)].value + 1.0
    d.update()
    assert d.current_report is not None and set(d.plan.sector_ids) == {k[1] for k in d.sliders if k[0] == "funds"}
    assert d.toml().count("\n") > 3


@pytest.mark.slow
def test_report_on_every_plan(scenario, tmp_path):
    from jdmodel.report import render

    out = render(scenario, tmp_path / "r.html", draws=100, seed=1, sensitivity_n=0)
    html = out.read_text(encoding="utf-8")
    assert scenario.sha256 in html


# --- the package holds no plan's names ---------------------------------------------------------------

def test_no_shipped_plan_id_or_sector_is_a_string_literal_in_the_package():
    """Docstrings and comments aside, no shipped plan's sector, total or linked id appears as a literal."""
    import ast

    names = set()
    for pid in available_plans():
        p = load_plan(pid)
        names |= set(p.sector_ids) | {t.id for t in p.totals} | {x.id for x in p.linked}
    found = []
    for path in (ROOT / "jdmodel").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if node.value in names or any(f".{n}." in f".{node.value}." for n in names if "." in node.value):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "plan names welded into the package:\n" + "\n".join(found)


# --- a plan that contradicts itself is rejected ----------------------------------------------------

def _copy(init_folder: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "p"
    shutil.copytree(init_folder, dst)
    return dst


@pytest.mark.parametrize("edit, key, expected", [
    (lambda d: (d / "targets.toml").write_text((d / "targets.toml").read_text().replace("year = 2027", "year = 2040")),
     "targets.output.year", "outside the plan's years"),
    (lambda d: (d / "targets.toml").write_text((d / "targets.toml").read_text().replace(
        'indicator = "total_output"', 'indicator = "gdp_growth"')), "targets.output.indicator", "not an indicator"),
    (lambda d: (d / "plan.toml").write_text((d / "plan.toml").read_text().replace(
        'sectors = ["platforms", "games", "cloud"]', 'sectors = ["platforms", "mining"]')), "totals[0].sectors",
     "unknown sector"),
    (lambda d: (d / "plan.toml").write_text((d / "plan.toml").read_text().replace("horizon = 2030", "horizon = 2020")),
     "years", "horizon must follow"),
    (lambda d: (d / "baseline.toml").write_text((d / "baseline.toml").read_text().replace(
        "[sectors.cloud]", "[sectors.clouds]")), "sectors.clouds", "unknown sector 'clouds'"),
    (lambda d: (d / "baseline.toml").write_text((d / "baseline.toml").read_text().replace(
        "infrastructure = { value = [1.05, ", "infrastructure = { value = [")), "district.infrastructure",
     "values given"),
])
def test_a_plan_contradicting_its_declarations_is_rejected(init_folder, tmp_path, edit, key, expected):
    folder = _copy(init_folder, tmp_path)
    edit(folder)
    from jdmodel.params import plan as plan_mod
    from jdmodel.params import targets as targets_mod

    plan_mod._load.cache_clear()
    targets_mod._load.cache_clear()
    with pytest.raises(ParameterError) as info:
        check_plan(folder)
    text = str(info.value)
    assert key in text and expected in text and str(folder) in text


def test_init_refuses_a_non_empty_folder_and_bad_sectors(init_folder, tmp_path):
    with pytest.raises(ParameterError, match="not an empty folder"):
        init_plan(init_folder, ["a"], 2022, 2030)
    with pytest.raises(ParameterError, match="'funds' is not a valid sector id"):
        init_plan(tmp_path / "x", ["funds"], 2022, 2030)
    with pytest.raises(ParameterError, match="horizon must follow"):
        init_plan(tmp_path / "y", ["a"], 2022, 2021)


def test_plans_and_scenarios_commands(capsys):
    from jdmodel.cli import main

    assert main(["plans"]) == 0
    out = capsys.readouterr().out
    assert all(pid in out for pid in available_plans())
    assert main(["scenarios", "jiading"]) == 0
    assert "no_new_policy" in capsys.readouterr().out


def test_scenario_names_resolve_across_plans():
    other = available_plans()[1]
    sc = jd.load_scenario(f"{other}/baseline")
    assert sc.plan.id == other and sc.plan.folder.parent == plans_dir().resolve()
    assert jd.load_scenario(other).plan.id == other           # a plan id alone: its default scenario
    with pytest.raises(ParameterError, match="did you mean 'plan'"):
        jd.load_scenario("plam")


@pytest.mark.slow
def test_the_docs_tutorial_runs(tmp_path):
    """The bash blocks of docs/plans.md after <!-- tutorial --> run in order in an empty folder."""
    text = (ROOT / "docs" / "plans.md").read_text(encoding="utf-8")
    tutorial = text.split("<!-- tutorial -->", 1)[1].split("\n## ", 1)[0]
    blocks = [re.sub(r"^ {3}", "", b, flags=re.M) for b in re.findall(r"```bash\n(.*?)```", tutorial, re.S)]
    assert len(blocks) >= 4
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for block in blocks:
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, capture_output=True, text=True,
                           env=env, timeout=900, check=False)
        assert r.returncode == 0, f"{block}\n--- stdout\n{r.stdout[-2000:]}\n--- stderr\n{r.stderr[-3000:]}"
    assert (tmp_path / "my_district.html").is_file()
