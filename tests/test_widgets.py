"""The levers dashboard (jdmodel.widgets) and the bilingual figure labels (jdmodel.figures.labels)."""

from __future__ import annotations

import asyncio
import io
import re
import string
import warnings

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import jdmodel as jd  # noqa: E402
from jdmodel.cli import main as cli_main  # noqa: E402
from jdmodel.figures.labels import SAMPLE_TEXT, Labels, cjk_font, font_covers, labels  # noqa: E402
from jdmodel.params.plan import load_plan  # noqa: E402
from jdmodel.widgets import LEVERS, Dashboard, dashboard, traffic_light  # noqa: E402

SECTORS = load_plan("jiading").sector_ids


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def dash():
    return Dashboard("plan", debounce=0, chinese=False)


def _value(d: Dashboard, target: str = "output") -> float:
    return next(r.value for r in d.current_report.results if r.target.id == target)


def _prob(d: Dashboard, target: str = "output") -> float:
    return next(r.probability for r in d.current_report.results if r.target.id == target)


# ------------------------------------------------------------------------- dashboard
def test_builds_with_a_slider_per_lever_and_sector(dash):
    assert {(lever, s) for lever in LEVERS for s in SECTORS} | {("assumption", "leverage"),
                                                               ("assumption", "tfp_shift")} == set(dash.sliders)
    assert dash.base.name == "plan" and dash.scenario_picker.value == "plan"
    assert set(dash.scenario_picker.options) >= set(jd.available_scenarios())
    # a slider starts at the scenario's 2021–2025 level, and an untouched dashboard overrides nothing
    assert dash.sliders[("funds", "ecommerce")].value == pytest.approx(dash.base["levers.funds.ecommerce"][:5].mean())
    assert dash.overrides() == {}
    assert bytes(dash.figure.value).startswith(PNG)
    # untouched, the dashboard shows exactly what jd.simulate gives for the scenario
    ref = jd.assess(jd.simulate("plan", io=False))
    assert _value(dash) == pytest.approx(ref.results[0].value, rel=1e-12)


def test_funds_slider_sets_the_plan_period_and_keeps_the_rest(dash):
    dash.reset()
    before = dash.base["levers.funds.ecommerce"]
    dash.sliders[("funds", "ecommerce")].value = 9.0
    path = np.asarray(dash.current_scenario["levers.funds.ecommerce"])
    assert path[:5] == pytest.approx([9.0] * 5)
    assert path[5:] == pytest.approx(before[5:])
    assert set(dash.overrides()) == {"levers.funds.ecommerce"}
    dash.reset()
    assert dash.overrides() == {}


@pytest.mark.parametrize("lever", list(LEVERS))
def test_more_of_a_lever_never_lowers_output(dash, lever):
    dash.reset()
    v0 = _value(dash)
    y0 = dash.current_dataset["output"].sel(sector="ecommerce", year=2025).item()
    sl = dash.sliders[(lever, "ecommerce")]
    sl.value = min(sl.max, 2 * sl.value + 10 * sl.step)
    assert _value(dash) >= v0
    assert dash.current_dataset["output"].sel(sector="ecommerce", year=2025).item() > y0
    dash.reset()
    assert _value(dash) == pytest.approx(v0, rel=1e-12)


def test_assumption_sliders(dash):
    dash.reset()
    v0 = _value(dash)
    dash.sliders[("assumption", "tfp_shift")].value = 1.0
    assert dash.current_scenario["sectors.ecommerce.tfp_growth"] == pytest.approx(
        dash.base["sectors.ecommerce.tfp_growth"] + 0.01)
    p, p0 = dash.current_scenario.params["sectors.ecommerce.tfp_growth"], dash.base.params["sectors.ecommerce.tfp_growth"]
    assert (p.low, p.high) == pytest.approx((p0.low + 0.01, p0.high + 0.01))      # the range moves with it
    assert _value(dash) > v0
    dash.reset()
    lev = dash.sliders[("assumption", "leverage")]
    lev.value = lev.max
    assert dash.current_scenario["sectors.smart_transport.leverage"] == pytest.approx(lev.max)
    assert _value(dash) > v0
    dash.reset()


def test_ensemble_probability_and_fan(dash):
    dash.reset()
    dash.draws_picker.value = 50
    assert dash.current_dataset.sizes["draw"] == 50
    r = dash.current_report.results[0]
    assert r.probability is not None and r.low <= r.value <= r.high
    p0 = _prob(dash)
    dash.sliders[("funds", "ecommerce")].value = 20.0
    assert _prob(dash) >= p0          # same seed, same draws: more funds cannot lower P(reach)
    # the leverage slider at the edge of its range is still a valid distribution for the draws
    lev = dash.sliders[("assumption", "leverage")]
    lev.value = lev.min
    assert dash.current_dataset.sizes["draw"] == 50
    dash.draws_picker.value = 1
    dash.reset()
    assert dash.current_report.results[0].probability is None


def test_target_panel_lists_every_assessed_target(dash):
    dash.reset()
    panel = dash.target_panel()
    ids = re.findall(r"data-target='([^']+)'", panel)
    assert ids == [r.target.id for r in dash.current_report.results]
    for r in dash.current_report.results:
        shown = re.search(rf"data-target='{r.target.id}'.*?class='jd-value' data-value='([^']+)'", panel).group(1)
        assert float(shown) == pytest.approx(r.value, rel=1e-6)
    assert "data-light=" in panel


def test_traffic_light_thresholds():
    assert traffic_light(0.8, None)[1] == "green"
    assert traffic_light(0.79, None)[1] == "amber"
    assert traffic_light(0.5, None)[1] == "amber"
    assert traffic_light(0.49, None)[1] == "red"
    assert traffic_light(None, True)[1] == "green"
    assert traffic_light(None, False)[1] == "red"


def test_scenario_picker_loads_and_resets(dash):
    dash.sliders[("funds", "ecommerce")].value = 12.0
    dash.scenario_picker.value = "no_new_policy"
    assert dash.base.name == "no_new_policy"
    assert dash.sliders[("funds", "ecommerce")].value == 0.0
    assert dash.overrides() == {}
    assert dash.current_dataset.attrs["scenario"] == "no_new_policy"
    dash.scenario_picker.value = "plan"
    assert dash.sliders[("funds", "ecommerce")].value == pytest.approx(4.0)


@pytest.mark.parametrize("draws", [1, 40])
def test_saved_toml_passes_check_and_reproduces_the_run(tmp_path, draws):
    d = Dashboard("funds_heavy", draws=draws, debounce=0, chinese=False, save_dir=tmp_path)
    d.sliders[("funds", "ecommerce")].value = 11.5
    d.sliders[("talent", "online_services")].value = 900.0
    d.sliders[("land", "smart_transport")].value = 2.5
    d.sliders[("assumption", "tfp_shift")].value = -0.5
    d.sliders[("assumption", "leverage")].value = 2.0
    path = d.save("mine")
    assert path == tmp_path / "mine.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count('extends = "funds_heavy"') == 1
    assert 'levers.funds.ecommerce = { value = [11.5, 11.5, 11.5, 11.5, 11.5, 4, 4, 4, 4, 4], unit = "亿元/yr"' in text
    assert cli_main(["check", str(path)]) == 0
    again = jd.simulate(jd.load_scenario(path), draws=draws, seed=d.seed, io=False)
    for var in ("output", "online_economy_output", "ecommerce_sales"):
        np.testing.assert_allclose(again[var].values, d.current_dataset[var].values, rtol=1e-12)


def test_saving_a_dashboard_built_on_a_file_extends_its_shipped_ancestor_and_keeps_its_settings(tmp_path):
    first = Dashboard("plan", debounce=0, chinese=False, save_dir=tmp_path)
    first.sliders[("funds", "online_services")].value = 6.0
    parent = first.save("parent.toml")
    d = Dashboard(str(parent), debounce=0, chinese=False, save_dir=tmp_path / "sub")
    assert d.base.name == "parent" and d.scenario_picker.value == "parent"
    d.sliders[("talent", "ecommerce")].value = 2000.0
    child = d.save("child")                 # the save folder is created on the first save
    assert child == tmp_path / "sub" / "child.toml"
    text = child.read_text(encoding="utf-8")
    # a name always resolves, wherever the file is saved; the parent file's own setting is written out
    assert 'extends = "plan"' in text and "levers.funds.online_services" in text
    assert cli_main(["check", str(child)]) == 0
    sc = jd.load_scenario(child)
    assert sc["levers.funds.online_services"][0] == 6.0 and sc["levers.talent.ecommerce"][0] == 2000.0


def test_save_button_reports_check(tmp_path):
    d = dashboard("plan", debounce=0, chinese=False, save_dir=tmp_path)
    d.save_path.value = "from_button"
    d.sliders[("land", "ecommerce")].value = 12.0
    d.save_button.click()
    assert (tmp_path / "from_button.toml").is_file()
    assert "OK" in d.saved.value


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "sub/dir", "..", ".hidden", "", "a\\b", "-opt",
                                  "~/home", "x\x1b[2J", "a" * 101])
def test_save_refuses_anything_but_a_plain_name(tmp_path, name):
    d = Dashboard("plan", debounce=0, chinese=False, save_dir=tmp_path / "saved")
    with pytest.raises(jd.ParameterError, match="plain name"):
        d.save(name)
    d.save_path.value = name
    d.save_button.click()
    assert "plain name" in d.saved.value and "\x1b" not in d.saved.value
    assert not (tmp_path / "saved").exists() and sorted(tmp_path.iterdir()) == []


def test_save_folder_defaults_to_scenarios_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = Dashboard("plan", debounce=0, chinese=False)
    monkeypatch.chdir("/")                          # the folder was fixed when the dashboard started
    assert d.save_dir == tmp_path / "scenarios" and not d.save_dir.exists()
    path = d.save("计划 v2.toml")
    assert path == tmp_path / "scenarios" / "计划 v2.toml" and cli_main(["check", str(path)]) == 0


def test_overwrite_needs_an_explicit_confirmation(tmp_path):
    d = Dashboard("plan", debounce=0, chinese=False, save_dir=tmp_path)
    (tmp_path / "mine.toml").write_text("# my own notes\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        d.save("mine")
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == "# my own notes\n"
    d.sliders[("funds", "ecommerce")].value = 9.0
    d.save_path.value = "mine"
    d.save_button.click()
    assert "already exists" in d.saved.value and d.overwrite_button.layout.display != "none"
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == "# my own notes\n"
    d.save_path.value = "mine2"                      # another name: the question no longer applies
    assert d.overwrite_button.layout.display == "none"
    d.save_path.value = "mine"
    d.save_button.click()
    d.overwrite_button.click()
    assert "Saved" in d.saved.value and d.overwrite_button.layout.display == "none"
    assert "levers.funds.ecommerce" in (tmp_path / "mine.toml").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]


def test_download_link_holds_the_toml_that_check_accepts(tmp_path):
    import base64
    import html
    from html.parser import HTMLParser

    d = Dashboard("plan", draws=20, debounce=0, chinese=False, save_dir=tmp_path / "never", server_save=False)
    d.sliders[("talent", "ecommerce")].value = 2500.0
    d.save_path.value = "for <download>"

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.links = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.links.append(dict(attrs))

    parser = Links()
    parser.feed(d.download.value)
    (link,) = parser.links
    assert link["download"] == "dashboard_scenario.toml"          # not a plain name: the default one
    head, payload = link["href"].split(",", 1)
    assert head == "data:application/toml;charset=utf-8;base64"
    text = base64.b64decode(payload).decode("utf-8")
    assert text == d.toml() and "levers.talent.ecommerce" in text
    saved = tmp_path / "downloaded.toml"
    saved.write_text(text, encoding="utf-8")
    assert cli_main(["check", str(saved)]) == 0
    assert jd.load_scenario(saved)["levers.talent.ecommerce"][0] == 2500.0
    d.save_path.value = "mine"
    assert "download='mine.toml'" in d.download.value and html.escape("<") not in d.download.value.split("href")[0]
    assert not (tmp_path / "never").exists()
    assert d.save_button not in d.widget.children[-2].children      # server_save=False: no Save controls


def test_updates_are_debounced():
    async def scenario():
        d = Dashboard("plan", debounce=0.05, chinese=False)
        n0 = d.updates
        for v in (5.0, 6.0, 7.0):
            d.sliders[("funds", "ecommerce")].value = v
        pending = d.updates
        await asyncio.sleep(0.6)
        return d, n0, pending

    d, n0, pending = asyncio.run(scenario())
    assert pending == n0              # nothing ran while the slider was moving
    assert d.updates == n0 + 1        # one run after it stopped, with the last value
    assert d.current_scenario["levers.funds.ecommerce"][0] == 7.0


def test_figure_changes_with_a_slider(dash):
    dash.reset()
    before = dash.figure.value
    dash.sliders[("funds", "industrial_internet")].value = 15.0
    assert bytes(dash.figure.value).startswith(PNG) and bytes(dash.figure.value) != bytes(before)
    dash.reset()


# ------------------------------------------------------------------------- labels and fonts
def _fake_cjk_font(path) -> None:
    """A tiny TrueType font with a distinct outlined glyph for every character the figures use."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    chars = sorted(set(SAMPLE_TEXT + string.ascii_letters + string.digits + " -–—.,:;()[]%+/&·'"))
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    glyphs = {}
    for i, name in enumerate(names):
        pen = TTGlyphPen(None)
        if name not in (".notdef", "uni0020"):
            w = 100 + 37 * (i % 11)
            pen.moveTo((50, 0))
            pen.lineTo((50, 700))
            pen.lineTo((50 + w, 700))
            pen.lineTo((50 + w, 0))
            pen.closePath()
        glyphs[name] = pen.glyph()
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (600, 50) for n in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Jdmodel Test CJK", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))


def _render(texts, rc) -> list[str]:
    """Draw ``texts`` with matplotlib under ``rc``; return the missing-glyph warnings."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with warnings.catch_warnings(record=True) as caught, rc_context(rc):
        warnings.simplefilter("always")
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        ax.set_title(texts[0])
        ax.plot([0, 1], [0, 1], label=texts[1])
        ax.set_ylabel(texts[2])
        ax.legend()
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _dejavu_entries():
    from matplotlib import font_manager as fm

    return [e for e in fm.fontManager.ttflist if e.name.startswith("DejaVu")]


def test_no_cjk_font_falls_back_to_english_without_tofu():
    lab = labels(fonts=_dejavu_entries())
    assert lab.font is None and not lab.chinese
    names = lab.sectors()
    assert names["ecommerce"] == "E-commerce"
    texts = [lab.text("在线新经济总产出", "Online-economy output"), names["online_entertainment"], lab.money()]
    assert not any(ord(c) > 0x2E80 for t in texts for c in t)
    assert _render(texts, lab.rc()) == []
    # the check can fail: the same Chinese labels drawn with DejaVu Sans warn about missing glyphs
    assert _render(["电子商务", "工业互联网", "亿元"], {"font.family": "DejaVu Sans"})


def test_placeholder_fonts_do_not_count():
    from matplotlib import font_manager as fm

    resort = [e for e in fm.fontManager.ttflist if "last resort" in e.name.lower()]
    if not resort:
        pytest.skip("this matplotlib ships no Last Resort font")
    # it maps every Han character to one box glyph: present in the character map, still tofu
    assert cjk_font(fonts=resort) is None
    assert not font_covers(resort[0].fname, "电子商务")


def test_cjk_font_present_gives_chinese_labels_drawn_without_missing_glyphs(tmp_path):
    from matplotlib import font_manager as fm

    path = tmp_path / "jdtest-cjk.ttf"
    _fake_cjk_font(path)
    assert font_covers(str(path), SAMPLE_TEXT)
    entry = fm.FontEntry(fname=str(path), name="Jdmodel Test CJK")
    assert cjk_font(fonts=[*_dejavu_entries(), entry]) == "Jdmodel Test CJK"
    lab = labels(fonts=[entry])
    assert lab.chinese and lab.sector("ecommerce") == "电子商务 E-commerce"
    assert lab.sectors()["smart_transport"].startswith("智慧交通")
    before = list(fm.fontManager.ttflist)
    fm.fontManager.addfont(str(path))
    try:
        texts = [lab.text("在线新经济总产出", "x"), lab.sector("industrial_internet"), lab.money()]
        assert _render(texts, lab.rc()) == []
    finally:
        fm.fontManager.ttflist[:] = before


def test_installed_cjk_font_is_detected_if_any():
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed here (the CI installs fonts-noto-cjk)")
    lab = labels()
    assert lab.chinese and lab.sector("ecommerce").startswith("电子商务")
    assert _render([lab.text("电子商务", "x"), lab.sector("ecommerce"), lab.money()], lab.rc()) == []


def test_labels_forced_english_and_dataset_names():
    ds = jd.simulate("baseline", io=False)
    assert Labels(font=None).sectors(ds) == dict(zip(SECTORS, [str(e) for e in ds["sector_en"].values], strict=True))
    assert Labels(font="X").sectors(ds)["ecommerce"] == "电子商务 E-commerce"
    assert labels(chinese=False).font is None


# --- the starting scenario as a reference, intervals, the plain page ----------------------------------

def test_reference_path_and_differences_against_the_starting_scenario():
    d = Dashboard("plan", debounce=0, chinese=False, draws=50)
    panel = d.target_panel()
    deltas = re.findall(r"class='jd-delta' data-value='([^']+)' data-prob='([^']+)'", panel)
    assert len(deltas) == len(d.current_report.results)
    assert all(float(v) == 0 and float(p) == 0 for v, p in deltas)     # untouched: no change
    ref_png = d.figure_png()
    d.sliders[("funds", "ecommerce")].value = 20.0
    panel = d.target_panel()
    dv = float(re.search(r"data-target='output'.*?class='jd-delta' data-value='([^']+)'", panel).group(1))
    assert dv == pytest.approx(_value(d) - d.reference_report.results[0].value) and dv > 0
    assert d.reference_report.scenario == "plan" and d.reference_dataset.sizes["draw"] == 50
    assert d.figure_png() != ref_png
    assert "change from the starting scenario" in panel and "(dashed line)" in d.status.value


def test_probabilities_carry_their_wilson_interval():
    from jdmodel.targets import wilson_interval

    d = Dashboard("plan", debounce=0, chinese=False, draws=100)
    rep = d.current_report
    panel = d.target_panel()
    lo, hi = wilson_interval(rep.joint_probability, 100)
    assert f"P(all assessed targets) = <b>{rep.joint_probability:.0%}</b>" in panel
    assert f"95 % interval {lo:.0%}–{hi:.0%} over 100 draws" in panel
    for r in rep.results:
        assert f"P = {r.probability:.0%} <small>[{r.interval[0]:.0%}–{r.interval[1]:.0%}]</small>" in panel


def test_plain_page_shows_no_commands(monkeypatch):
    from jdmodel.widgets import coder_notes, on_voila

    d = Dashboard("plan", debounce=0, chinese=False, plain=True, server_save=False)
    shown = d.download.value + d.status.value + d.target_panel()
    assert "jdmodel" not in shown and "<code>jdmodel" not in shown and " ms" not in d.status.value
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.8")
    assert on_voila() and coder_notes("`jdmodel run x`") is None
    assert Dashboard("plan", debounce=0, chinese=False).plain
    monkeypatch.delenv("SERVER_SOFTWARE")
    assert coder_notes("text") is not None


@pytest.fixture(scope="module")
def posterior_file(tmp_path_factory):
    pytest.importorskip("particles")
    pytest.importorskip("arviz")
    from jdmodel.expost.posterior import infer

    path = tmp_path_factory.mktemp("posterior") / "plan <img src=x onerror=alert(1)>.nc"
    infer("plan", draws=400, seed=3).to_netcdf(path)
    return path


def test_dashboard_runs_on_posterior_draws(posterior_file):
    """With a posterior file the runs use its draws: the same numbers as simulate_posterior on those draws,
    the sliders still move the levers, the assumptions the figures set are not sliders, and it says so."""
    from jdmodel.expost.posterior import simulate_posterior
    from jdmodel.expost.posterior_file import check_posterior, thin

    d = Dashboard("plan", debounce=0, chinese=False, posterior=posterior_file)
    assert d.posterior_size == 400 and 1 not in d.draws_picker.options
    assert d.draws_picker.value == 400 and max(d.draws_picker.options) == 400
    d.draws_picker.value = 100
    idata = check_posterior(posterior_file)
    expected = simulate_posterior(thin(idata, 100), "plan", io=False)
    assert d.current_dataset.sizes["draw"] == 100
    np.testing.assert_array_equal(d.current_dataset.online_economy_output.values,
                                  expected.online_economy_output.values)
    # the draws are the posterior's, not the prior's: P(reach) of the headline target is not the prior run's
    prior = jd.assess(jd.simulate("plan", draws=100, seed=d.seed, io=False)).results[0].probability
    p0 = _prob(d)
    assert p0 != prior
    d.sliders[("funds", "ecommerce")].value = 20.0
    assert _prob(d) >= p0                                    # a lever still moves the same draws
    assert d.sliders[("assumption", "tfp_shift")].disabled   # TFP growth is drawn from the posterior
    status = d.status.value
    assert "parameters given the published figures: 100 of the 400 posterior draws" in status
    assert "plan &lt;img src=x onerror=alert(1)&gt;.nc" in status and "<img" not in status
    plain = Dashboard("plan", debounce=0, chinese=False, posterior=posterior_file, plain=True)
    assert ".nc" not in plain.status.value


def test_dashboard_refuses_a_file_that_is_not_a_posterior_of_its_plan(tmp_path):
    missing = tmp_path / "none.nc"
    with pytest.raises(jd.ParameterError, match="dashboard: posterior .*none.nc: no such file"):
        Dashboard("plan", debounce=0, chinese=False, posterior=missing)
    results = tmp_path / "results.nc"
    jd.simulate("plan", draws=3, seed=1, io=False).to_netcdf(results)
    with pytest.raises(jd.ParameterError, match="not a posterior"):
        Dashboard("plan", debounce=0, chinese=False, posterior=results)


def test_dashboard_refuses_an_in_memory_posterior_of_another_plan(posterior_file):
    from jdmodel.expost.posterior_file import check_posterior

    idata = check_posterior(posterior_file)
    # the sampler's attributes: on the InferenceData, or on its groups once read back from a file
    for attrs in (getattr(idata, "attrs", None) or {}, *(getattr(idata, g).attrs for g in idata.groups())):
        if "plan" in attrs:
            attrs["plan"] = "yangpu"
    with pytest.raises(jd.ParameterError, match="dashboard: posterior: a posterior of plan 'yangpu'"):
        Dashboard("plan", debounce=0, chinese=False, posterior=idata)
