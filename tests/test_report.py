"""Reports: the rendered baseline report carries the hash, seed and targets; same inputs, same numbers;
a failing template leaves no report and names the cell; comparisons; PDF when Chromium is present."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nbclient")
pytest.importorskip("nbconvert")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
nbformat = pytest.importorskip("nbformat")

import jdmodel as jd  # noqa: E402
from jdmodel.cli import main  # noqa: E402
from jdmodel.errors import ParameterError  # noqa: E402
from jdmodel.outputs import write_atomic  # noqa: E402
from jdmodel.report import ReportError, render  # noqa: E402
from jdmodel.report import build as B  # noqa: E402
from jdmodel.report import sections as S  # noqa: E402
from jdmodel.report.export import find_chromium, html_to_pdf  # noqa: E402

DRAWS, SEED, SOBOL_N = 200, 7, 32


class _Tables(HTMLParser):
    """Every ``<table data-table=NAME>`` of a report as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._name: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._name = attrs["data-table"]
            # a comparison shows one "targets" table per scenario: keep them all, in order
            while self._name in self.tables:
                self._name += "+"
            self.tables[self._name] = []
        elif self._name and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._name].append(self._row)
            self._row = None
        elif tag == "table":
            self._name = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def column(table: list[list[str]], name: str) -> list[str]:
    j = table[0].index(name)
    return [row[j] for row in table[1:]]


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    d = tmp_path_factory.mktemp("reports")
    out = [render("baseline", d / f"r{i}.html", draws=DRAWS, seed=SEED, sensitivity_n=SOBOL_N) for i in (1, 2)]
    return [p.read_text(encoding="utf-8") for p in out]


# --- the baseline report -------------------------------------------------------------------------

def test_baseline_report_has_hash_seed_and_targets(two_reports):
    html = two_reports[0]
    sc = jd.load_scenario("baseline")
    t = tables(html)
    prov = dict(t["provenance"][1:])
    assert prov["scenario baseline: parameters sha256"] == sc.sha256
    assert sc.sha256 in html
    assert prov["seed"] == str(SEED) and prov["draws"] == str(DRAWS) and prov["design"] == "lhs"
    assert prov["version: jdmodel"] == jd.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["date"])
    # the targets the model assesses, each with the P(reach) the library computes for the same draws
    rep = jd.assess(jd.simulate(sc, draws=DRAWS, seed=SEED, io=False))
    assessed = [r.target.id for r in rep.results]
    assert len(assessed) == 4, f"the model should assess the plan's four targets, got {assessed}"
    assert column(t["targets"], "target") == assessed
    assert column(t["targets"], "P(reach)") == [f"{100 * r.probability:.1f} %" for r in rep.results]
    assert column(t["targets"], "median") == [S.fmt(r.value) for r in rep.results]


def test_baseline_report_sections_and_form(two_reports):
    html = two_reports[0]
    t = tables(html)
    for name in ("targets", "path", "growth_accounting", "io_effects", "io_sectors", "sensitivity", "parameters",
                 "provenance"):
        assert len(t.get(name, [])) > 1, f"table {name!r} missing or empty"
    assert len(t["parameters"]) - 1 == len(jd.load_scenario("baseline").records())
    assert t["sensitivity"][0] == ["rank", "parameter", "output", "enterprises", "projects", "scenarios", "key"]
    assert html.count("data:image/png;base64,") >= 3      # headline, Sobol' bars, fan charts embedded
    # every chart says in words what it shows: the headline total over the plan's years, the target
    alts = re.findall(r'<img alt="([^"]*)" src="data:image/png', html)
    assert len(alts) == len(re.findall(r'<img [^>]*src="data:image/png', html)) >= 3, "a chart without alt text"
    plan = jd.load_plan()
    years = f"{plan.years.base}–{plan.years.horizon}"
    assert plan.totals[0].en in alts[0] and years in alts[0] and "central values" in alts[0]
    assert all(a.startswith("Chart. ") and len(a) > 20 for a in alts)
    assert "<script src=" not in html                     # standalone: nothing fetched
    assert "jd.simulate(" not in html and "B.brief(" not in html   # code hidden by default
    assert "<em>baseline</em> extends no other file" in html       # the baseline has no parent to differ from


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", html, flags=re.S))).split())


def test_report_leads_with_the_answer_in_computed_numbers(two_reports):
    html = two_reports[0]
    text = _text(html)
    heads = re.findall(r"<h2[^>]*>(.*?)<", html)
    assert heads[:5] == ["The answer", "The targets", "What drives the result", "What it would take",
                         "Against the published figures"], heads
    assert heads.index("Methods") < heads.index("Parameters") < len(heads) - 1
    sc = jd.load_scenario("baseline")
    rep = jd.assess(jd.simulate(sc, draws=DRAWS, seed=SEED, io=False))
    head = rep.results[0]
    answer = text[text.index("The answer"):text.index("The targets")]
    assert f"{head.value:,.0f} 亿元" in answer and f"{100 * head.probability:.0f} %" in answer
    assert f"over {DRAWS:,} draws" in answer
    # parameters are named in words in the prose, the chart and the tables: no dotted key outside the key column
    assert "sectors." not in answer and "levers." not in answer
    t = tables(html)
    assert not any("." in row[1] and " " not in row[1] for row in t["sensitivity"][1:])
    assert column(t["targets"], "evidence") == [r.evidence for r in rep.results]
    assert "Evidence: observed" in text
    assert len(t["observed"]) > 1 and "target_checks" in t
    assert "4e+0" not in text and "e+0" not in " ".join(" ".join(r) for r in t["parameters"])


def test_report_on_a_two_line_scenario_of_ones_own(tmp_path):
    plan_file = jd.load_scenario("plan").files[0]
    mine = tmp_path / "mine.toml"
    sector = jd.load_scenario("plan").plan.sector_ids[0]
    mine.write_text(f'extends = "{Path(plan_file).as_posix()}"\nlevers.funds.{sector} = 9.0\n', encoding="utf-8")
    html = render(str(mine), tmp_path / "mine.html", draws=50, seed=1, sensitivity_n=0).read_text(encoding="utf-8")
    t = tables(html)
    assert column(t["diff"], "key") == [f"levers.funds.{sector}"]       # against the file it extends, not baseline
    assert t["diff"][0][1:3] == ["plan", "mine"]
    assert jd.load_scenario("plan").description.strip()[:40] not in _text(html)    # not the parent's description
    assert "A scenario that extends plan (1 parameter(s) changed" in _text(html)


def test_same_scenario_and_seed_give_identical_numbers(two_reports):
    a, b = (tables(h) for h in two_reports)
    for t in (a, b):  # the date is the only thing allowed to differ
        t["provenance"] = [row for row in t["provenance"] if row[0] != "date"]
    assert a.keys() == b.keys() and len(a) >= 8
    for name in a:
        assert a[name] == b[name], f"table {name!r} differs between two runs with seed {SEED}"


# --- failures ------------------------------------------------------------------------------------

def _template(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("scenarios = ['baseline']", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(body)]
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_failing_template_leaves_no_report_and_names_the_cell(tmp_path):
    template = _template(tmp_path, "y = x + 1\nraise RuntimeError('deliberate failure')")
    out = tmp_path / "out.html"
    with pytest.raises(ReportError) as info:
        render("baseline", out, template=template, draws=2, sensitivity_n=0)
    err = info.value
    # cells: parameters 0, injected parameters 1, "x = 1" 2, the failing cell 3
    assert err.cell_index == 3 and err.cell_source == "y = x + 1" and err.ename == "RuntimeError"
    assert "cell 3" in str(err) and "y = x + 1" in str(err) and "deliberate failure" in str(err)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.failed.ipynb", "template.ipynb"]
    kept = nbformat.read(str(tmp_path / "out.failed.ipynb"), as_version=4)
    assert "injected-parameters" in kept.cells[1].metadata["tags"]
    assert any(o.get("ename") == "RuntimeError" for o in kept.cells[3].outputs)


def test_cli_exit_codes(tmp_path, capsys):
    template = _template(tmp_path, "1 / 0")
    out = tmp_path / "r.html"
    out.write_text("an earlier report")        # a failed run replaces nothing
    assert main(["report", "baseline", "--out", str(out), "--template", str(template), "--draws", "2",
                 "--sensitivity-n", "0"]) == 1
    err = capsys.readouterr().err
    assert "cell 3" in err and "ZeroDivisionError" in err and "r.failed.ipynb" in err
    assert main(["report", "no_such_scenario", "--out", str(out)]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert main(["report", "baseline", "--out", str(out), "--sensitivity-n", "100"]) == 2
    assert out.read_text() == "an earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.failed.ipynb", "r.html", "template.ipynb"]


def test_show_code_includes_the_cells(tmp_path):
    template = _template(tmp_path, "print('result', x * 6)")
    html = render("baseline", tmp_path / "r.html", template=template, show_code=True, draws=2,
                  sensitivity_n=0).read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", html))     # code is syntax-highlighted span by span
    assert "result 6" in text and "print('result', x * 6)" in text and "Parameters injected by jdmodel report" in text
    assert not (tmp_path / "r.failed.ipynb").exists()


@pytest.mark.parametrize("kwargs, words", [
    ({"draws": 0}, "draws"), ({"seed": -1}, "seed"), ({"design": "grid"}, "design"), ({"fmt": "docx"}, "format"),
    ({"sensitivity_n": 48}, "power of 2"), ({"template": "missing.ipynb"}, "does not exist"),
])
def test_bad_arguments_fail_before_any_kernel(tmp_path, kwargs, words):
    with pytest.raises(ParameterError, match=words):
        render("baseline", tmp_path / "r.html", **kwargs)
    assert list(tmp_path.iterdir()) == []


# --- comparison ----------------------------------------------------------------------------------

def test_comparison_side_by_side(tmp_path):
    out = render(["plan", "funds_heavy"], tmp_path / "compare.html", draws=100, seed=3)
    html = out.read_text(encoding="utf-8")
    t = tables(html)
    head = t["compare_targets"][0]
    assert {"plan: P(reach)", "funds_heavy: P(reach)"} <= set(head)
    plan = jd.assess(jd.simulate("plan", draws=100, seed=3, io=False))
    assert column(t["compare_targets"], "plan: P(reach)")[0].startswith(f"{100 * plan.results[0].probability:.1f} %")
    diff_keys = set(column(t["compare_diff"], "key"))
    assert "levers.funds.ecommerce" in diff_keys and "sectors.ecommerce.alpha" not in diff_keys
    for name in ("plan", "funds_heavy"):
        assert jd.load_scenario(name).sha256 in html
    assert {"targets", "targets+", "compare_io"} <= set(t)
    assert html.count("data:image/png;base64,") >= 1
    # the difference, with its paired error, and a sentence on each difference that matters, with its cause
    assert "funds_heavy − plan" in head
    heavy = jd.assess(jd.simulate("funds_heavy", draws=100, seed=3, io=False))
    d = heavy.results[1].probability - plan.results[1].probability
    assert column(t["compare_targets"], "funds_heavy − plan")[1].startswith(f"{100 * d:+.1f} pp ±")
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert "percentage points higher under funds_heavy than under plan" in text
    assert "Public funds per year (all sectors)" in text


# --- strings from files are shown, never run ------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(3))",
           '<a href="javascript:alert(5)">a</a>', "<svg onload=alert(7)>", '![i](x" onerror="alert(4))']


class _Live(HTMLParser):
    """What in a page could run: event-handler attributes, javascript: URLs, scripts, foreign elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list = []
        self.text: list[str] = []
        self._tag = ""

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append((tag, name, value))
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    ("javascript:", "vbscript:")):
                self.live.append((tag, name, value))
        if tag == "img" and not dict(attrs).get("src", "").startswith("data:image/png;base64,"):
            self.live.append((tag, attrs))
        if tag in ("svg", "iframe", "object", "embed", "form", "base", "meta") and tag != "meta":
            self.live.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._tag = ""

    def handle_data(self, data):
        if self._tag == "script" and "alert" in data:
            self.live.append(("script", data[:200]))
        if self._tag not in ("script", "style"):
            self.text.append(data)


def _hostile_scenario(folder: Path) -> Path:
    path = folder / "<img src=x onerror=alert(1)>[x](javascript:alert(2)) $\\oops$.toml"
    source = "<script>alert(6)</script><svg onload=alert(7)>"
    # a JSON string is a valid TOML basic string
    path.write_text(f'extends = "plan"\ndescription = {json.dumps(chr(10).join(HOSTILE))}\n'
                    f'levers.funds.ecommerce = {{ value = 8.0, unit = "亿元/yr", source = {json.dumps(source)} }}\n',
                    encoding="utf-8")
    sc = jd.load_scenario(path)
    assert HOSTILE[0] in sc.description and sc.params["levers.funds.ecommerce"].source == source
    return path


def _check_inert(page: str, *shown: str) -> None:
    parser = _Live()
    parser.feed(page)
    assert parser.live == []
    text = "".join(parser.text)
    for s in shown:
        assert s in text, f"{s!r} is not shown as text"


def test_report_and_comparison_show_hostile_strings_as_text(tmp_path):
    path = _hostile_scenario(tmp_path)
    report = render(str(path), tmp_path / "r.html", draws=20, seed=1, sensitivity_n=0).read_text(encoding="utf-8")
    _check_inert(report, *HOSTILE, "<script>alert(6)</script><svg onload=alert(7)>", path.stem)
    assert f"Scenario report: {path.stem}" in unescape(re.sub(r"<[^>]+>", "", report))
    compare = render([str(path), "plan"], tmp_path / "c.html", draws=20, seed=1).read_text(encoding="utf-8")
    _check_inert(compare, f"Scenario comparison: {path.stem} · plan")


def test_markdown_text_makes_markup_literal():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for s in [*HOSTILE, "**bold** _it_ `code` # h\n    indented\n- item\n1. one | a | b |", "a\\<b>"]:
        page = markdown2html_mistune(S.markdown_text(s))
        parser = _Live()
        parser.feed(page)
        assert parser.live == [] and "<a " not in page and "<strong>" not in page and "<code>" not in page
        shown = unescape(re.sub(r"<[^>]+>", "", page))
        assert " ".join(shown.split()) == " ".join(s.split()), (s, page)


# --- parts, without a kernel -----------------------------------------------------------------------

def test_scenario_diff_lists_exactly_the_changed_keys():
    base, heavy = jd.load_scenario("baseline"), jd.load_scenario("funds_heavy")
    assert S.scenario_diff(base, base).empty
    expected = {k for k in set(base.params) | set(heavy.params) if not S._same(base.params.get(k), heavy.params.get(k))}
    diff = S.scenario_diff(heavy, base)
    assert set(diff.frame["key"]) == expected and expected
    tweaked = base.with_overrides({"levers.funds.ecommerce": 9.5})
    row = S.scenario_diff(tweaked, base).frame
    assert list(row["key"]) == ["levers.funds.ecommerce"] and row.iloc[0]["changed"] == "value"
    assert "9.5 ×10" in row.iloc[0].tolist()


def test_scenario_with_overrides_is_rebuilt_exactly():
    sc = jd.load_scenario("plan").with_overrides({"levers.funds.ecommerce": 8.0, "district.land_budget": 250.0},
                                                 name="plan_more")
    spec = B.scenario_spec(sc)
    assert isinstance(spec, dict) and spec["name"] == "plan_more"
    assert S.scenario(spec).sha256 == sc.sha256
    assert B.scenario_spec(jd.load_scenario("baseline")) == "baseline"


def test_parameters_are_injected_after_the_tagged_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell(
        "draws = 1", metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("print(draws)")])
    B.inject(nb, {"draws": 5, "scenarios": ["baseline", {"source": "/x.toml", "overrides": {"a.b": [1.0, 2.0]}}]})
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]
    ns: dict = {}
    exec(nb.cells[2].source, ns)  # the injected cell is plain Python literals
    assert ns["draws"] == 5 and ns["scenarios"][1]["overrides"] == {"a.b": [1.0, 2.0]}


def test_fmt():
    assert S.fmt(4000.0) == "4,000" and S.fmt(0.52671) == "0.5267" and S.fmt(True) == "true"
    assert S.fmt([3.0] * 10) == "3 ×10" and S.fmt([1.0, 2.5]) == "1, 2.5" and S.fmt(None) == ""


def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "r.html"
    path.write_text("old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["r.html"]


# --- PDF -----------------------------------------------------------------------------------------

A4 = (595.28, 841.89)   # points


def _text_boxes(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on a PDF page, in page coordinates (pypdf)."""
    boxes = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            boxes.append((x, y, text))

    page.extract_text(visitor_text=visit)
    return boxes


@pytest.mark.browser
@pytest.mark.skipif(find_chromium() is None, reason="--format pdf needs Chromium (apt-get install chromium)")
def test_pdf_prints_on_a4_with_page_numbers_and_nothing_outside_the_page(two_reports, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(html_to_pdf(two_reports[0]))
    reader = pypdf.PdfReader(str(pdf))
    n = len(reader.pages)
    assert 6 <= n <= 40
    texts = []
    for i, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert (w, h) == pytest.approx(A4, abs=1.5), f"page {i} is {w} × {h} pt, not A4"
        boxes = _text_boxes(page)
        text = page.extract_text()
        texts.append(text)
        assert f"Page {i} of {n}" in text, f"page {i}: no page number"
        # a table wider than the page runs off its right edge (or the page is shrunk to fit it, and the text
        # with it): every text run starts inside the margins, and the body text is not shrunk
        assert all(0 <= x <= w - 30 for x, _, _ in boxes), f"page {i}: text outside the page"
    body = "".join(texts)
    assert "The answer" in body and "The targets" in body and "Provenance" in body  # the same content as the HTML
    sizes = [tuple(float(v) for v in p.mediabox[2:]) for p in reader.pages]
    assert len(set(sizes)) == 1
    # as a reader sees it: PNG pages, none nearly empty but the last
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PNG pages are not checked")
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == n
    for k, png in enumerate(pngs[:-1], start=1):
        grey = np.asarray(Image.open(png).convert("L"))
        body = grey[: int(0.93 * grey.shape[0])]          # above the footer and its page number
        rows = np.flatnonzero(body.min(axis=1) < 200)     # rows with anything printed
        used = rows[-1] / grey.shape[0] if rows.size else 0.0
        assert used > 0.5, f"page {k} of {n} is nearly empty (printed down to {used:.0%} of its height)"


@pytest.mark.browser
@pytest.mark.skipif(find_chromium() is None, reason="--format pdf needs Chromium (apt-get install chromium)")
def test_pdf_from_the_command_line_and_letter_paper(tmp_path, capsys):
    pypdf = pytest.importorskip("pypdf")
    template = _template(tmp_path, "print('ok')")
    assert main(["report", "baseline", "--format", "pdf", "--out", str(tmp_path / "r.pdf"), "--template",
                 str(template), "--draws", "2", "--sensitivity-n", "0", "--paper", "letter"]) == 0
    page = pypdf.PdfReader(str(tmp_path / "r.pdf")).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((612, 792), abs=1.5)
