"""``jdmodel init``: a new plan folder that ``jdmodel check`` accepts and ``jdmodel run`` runs at once.

Every number written is a *placeholder*: an assumption with a range whose source says
``assumption (placeholder): …`` and what to replace it with. The folder holds every file a plan
has (``jdmodel.params.plan``): plan.toml, baseline.toml, targets.toml, observed.toml (empty),
expost.toml, policy.toml, scenarios/no_new_policy.toml (the counterfactual) and io/ (a
placeholder regionalisation of the shipped national input–output table). ``docs/plans.md``
walks through replacing them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from jdmodel.errors import ParameterError
from jdmodel.params.toml_text import toml_value

#: Okabe & Ito (2008) colour-blind-safe palette, then a few more distinct colours.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255", "#44AA99", "#117733")
_PH = "assumption (placeholder): "

#: Per-sector structural parameters: key → (value, low, high, unit, what to replace it with).
SECTOR_DEFAULTS: dict[str, tuple[float, float, float, str, str]] = {
    "base_output": (20.0, 10.0, 40.0, "亿元", "the sector's output in the base year, from a published figure (or a "
                    "[[base_year.derive]] rule in plan.toml)"),
    "margin": (1.0, 0.8, 1.0, "1", "gross output in input–output terms per unit of the output the statistics measure "
               "(1 for revenue; a trade margin, e.g. 0.12, for a sector measured by sales)"),
    "va_share": (0.45, 0.35, 0.55, "1", "value added per unit of gross output of the IO sectors the sector maps onto "
                 "(national table: value_added.csv TVA / final_demand.csv GO)"),
    "pre_growth": (0.08, 0.03, 0.15, "1/yr", "growth of the sector's value added before the base year (initial capital "
                   "K0 = s·V0 / (g0 + δ))"),
    "depreciation": (0.1, 0.06, 0.15, "1/yr", "depreciation rate of the sector's capital"),
    "investment_rate": (0.2, 0.12, 0.3, "1", "private investment as a share of the sector's value added each year"),
    "leverage": (3.0, 1.5, 5.0, "1", "private capital crowded in per 亿元 of public funds"),
    "talent_base": (5000.0, 3000.0, 8000.0, "人", "the sector's talent stock in the base year"),
    "talent_attrition": (0.08, 0.05, 0.12, "1/yr", "share of the talent stock leaving per year"),
    "talent_organic": (500.0, 300.0, 700.0, "人/yr", "talent arriving per year without policy"),
    "land_base": (50.0, 25.0, 100.0, "公顷", "land in use by the sector in the base year"),
    "alpha": (0.3, 0.2, 0.4, "1", "output elasticity of capital"),
    "beta": (0.45, 0.35, 0.55, "1", "output elasticity of talent"),
    "gamma": (0.1, 0.05, 0.15, "1", "output elasticity of land"),
    "tfp_growth": (0.02, -0.01, 0.05, "1/yr", "exogenous growth of value-added TFP, e.g. from the sector's past growth"),
    "infra_effect": (0.1, 0.0, 0.2, "1", "TFP growth per unit rise of the infrastructure index"),
    "environment_effect": (0.05, 0.0, 0.1, "1", "TFP growth per unit rise of the business-environment index"),
}
#: Lever levels a year in the baseline: lever → (value, unit).
LEVER_DEFAULTS = {"funds": (1.0, "亿元/yr"), "talent": (100.0, "人/yr"), "land": (1.0, "公顷/yr")}


def _id(text: str) -> str:
    out = re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")
    return out if re.match(r"^[a-z]", out or "") else f"plan_{out}" if out else "plan"


def _abbreviations(sectors: Sequence[str]) -> list[str]:
    out: list[str] = []
    for s in sectors:
        parts = [p for p in s.split("_") if p]
        cand = "".join(p[0] for p in parts)[:3] if len(parts) > 1 else s[:2]
        base, k = re.sub(r"[^a-z0-9]", "", cand) or "s", 2
        cand = base
        while cand in out:
            cand, k = f"{base[:4]}{k}", k + 1
        out.append(cand)
    return out


def _check(sectors: Sequence[str], base_year: int, horizon: int, plan_end: int | None) -> int:
    from jdmodel.params.plan import _ID, RESERVED

    problems = []
    if not sectors:
        problems.append("--sectors: give at least one sector id, e.g. --sectors platforms,games,cloud")
    for s in sectors:
        if not _ID.match(s) or s in RESERVED:
            problems.append(f"--sectors: {s!r} is not a valid sector id (lower-case letters, digits and '_', "
                            f"starting with a letter; not one of {', '.join(sorted(RESERVED))})")
    if len(set(sectors)) != len(sectors):
        problems.append(f"--sectors: a sector is named twice in {list(sectors)}")
    if len(sectors) > len(PALETTE):
        problems.append(f"--sectors: at most {len(PALETTE)} sectors")
    if not 1950 <= base_year <= 2150 or not base_year < horizon <= base_year + 60:
        problems.append(f"--base-year {base_year} --horizon {horizon}: the horizon must follow the base year by "
                        "1–60 years (years 1950–2150)")
    end = plan_end if plan_end is not None else min(base_year + 5, horizon)
    if not base_year < end <= horizon:
        problems.append(f"--plan-end {end}: must lie after the base year {base_year} and by the horizon {horizon}")
    if problems:
        raise ParameterError("invalid arguments", problems)
    return end


def plan_files(folder: Path, sectors: Sequence[str], base_year: int, horizon: int,
               plan_end: int | None = None, title: str | None = None) -> dict[str, str]:
    """The text of every file of a new plan folder (relative path → TOML/CSV text)."""
    end = _check(sectors, base_year, horizon, plan_end)
    pid = _id(folder.name)
    levers = list(range(base_year + 1, horizon + 1))
    files = {
        "plan.toml": _plan_toml(pid, sectors, base_year, end, horizon, title),
        "baseline.toml": _baseline_toml(sectors, levers),
        "targets.toml": _targets_toml(sectors, end),
        "observed.toml": _observed_toml(),
        "expost.toml": _expost_toml(),
        "policy.toml": _policy_toml(),
        "scenarios/no_new_policy.toml": _no_policy_toml(sectors),
        "io/region.toml": _region_toml(base_year),
        "io/concordance.csv": _concordance_csv(sectors),
    }
    return files


def init_plan(folder: str | Path, sectors: Sequence[str], base_year: int, horizon: int,
              plan_end: int | None = None, title: str | None = None) -> Path:
    """Write a new plan folder (refusing a folder that exists and is not empty); return its path.

    Examples
    --------
    >>> import tempfile
    >>> from jdmodel.params.checkfile import check_plan
    >>> folder = init_plan(Path(tempfile.mkdtemp()) / "my_district", ["platforms", "games"], 2022, 2030)
    >>> check_plan(folder).splitlines()[0]
    'plan my_district: OK — 2 sectors, 2022–2030 (plan 2023–2027), 1 total indicator(s), 0 linked indicator(s)'
    """
    from jdmodel.outputs import write_atomic

    folder = Path(folder)
    files = plan_files(folder, list(sectors), int(base_year), int(horizon), plan_end, title)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ParameterError(f"{folder} exists and is not an empty folder; jdmodel never overwrites "
                             "a plan (choose a new folder)")
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return folder


# --- the files ---------------------------------------------------------------------------------

def _plan_toml(pid, sectors, base, end, horizon, title) -> str:
    abbr = _abbreviations(sectors)
    lines = ["# A plan written by `jdmodel init`. Replace every placeholder with the plan's own text (docs/plans.md):",
             "# its title, document number and region; its sectors with their Chinese and English names; its years;",
             "# which sectors make up each total indicator its targets are set on.",
             "",
             f"title_zh = {toml_value('')}",
             f"title_en = {toml_value(title or f'{pid} (placeholder title: replace with the plan document title)')}",
             f"region_zh = {toml_value('')}",
             f"region_en = {toml_value('placeholder: the region the plan covers')}",
             f"document = {toml_value('placeholder: the document number, e.g. 某府办发〔2022〕1号')}",
             f"source = {toml_value('placeholder: where the plan text was published (publisher, date, address)')}",
             'counterfactual = "no_new_policy"',
             'default_scenario = "baseline"',
             "# Optional: the region's area, which bounds every land parameter (docs/parameters.md), e.g.",
             '# area = { value = 46390, unit = "公顷", source = "..." }',
             "",
             "[years]",
             f"base = {base}            # the last full year before the plan",
             f"plan = [{base + 1}, {end}]    # the plan period (its targets' year is usually the last)",
             f"horizon = {horizon}         # how far paths are run",
             ""]
    for s, a, c in zip(sectors, abbr, PALETTE, strict=False):
        lines += ["[[sectors]]", f'id = "{s}"', 'zh = ""', f"en = {toml_value(s.replace('_', ' ').capitalize())}",
                  f'colour = "{c}"', f'abbr = "{a}"', ""]
    lines += ["# The total indicator the targets are judged on: which sectors' output it sums.",
              "[[totals]]",
              'id = "total_output"',
              f"sectors = {toml_value(list(sectors))}",
              'zh = "总产出"',
              'en = "Total output of the plan\'s sectors"',
              'unit = "亿元"',
              f"source = {toml_value('placeholder: how the statistics define the total (its 口径)')}",
              ""]
    return "\n".join(lines)


def _table(value, unit, low=None, high=None, source="") -> str:
    t = {"value": value, "unit": unit}
    if low is not None:
        t.update(low=low, high=high)
    t["source"] = source
    return toml_value(t)


def _baseline_toml(sectors, levers) -> str:
    n = len(levers)
    first, last = levers[0], levers[-1]
    lines = ["# Baseline parameters written by `jdmodel init`: every number is a placeholder assumption with a range.",
             "# The model (docs/model.md) works on value added V = A K^α H^β L^γ; what the statistics measure is",
             "# output = V / (margin × va_share); capital starts at s·V0 / (pre_growth + depreciation).",
             "# Replace each with a published figure (source = the publication) or a considered assumption",
             "# (source = \"assumption: why\", with low and high). Units are converted at load (docs/parameters.md).",
             f"# Lever paths list one value per year {first}–{last} (a single number means every year).",
             "",
             'name = "baseline"',
             'description = "Placeholder baseline written by jdmodel init: replace every number before drawing '
             'conclusions."',
             "",
             "[model]",
             'constant_returns = { value = false, source = "modelling choice: decreasing returns to the three '
             'modelled inputs" }',
             ""]
    for s in sectors:
        lines.append(f"[sectors.{s}]")
        for key, (v, lo, hi, unit, what) in SECTOR_DEFAULTS.items():
            lines.append(f"{key} = {_table(v, unit, lo, hi, _PH + what)}")
        lines.append("")
    for lever, (v, unit) in LEVER_DEFAULTS.items():
        lines.append(f"[levers.{lever}]")
        for s in sectors:
            lines.append(f"{s} = {_table(v, unit, source=f'scenario choice (placeholder): {lever} a year; replace with the plan' + chr(39) + 's amounts')}")
        lines.append("")
    infra = [round(1.05 ** (k + 1), 4) for k in range(n)]
    env = [round(1.02 ** (k + 1), 4) for k in range(n)]
    lines += ["[district]",
              f"land_budget = {_table(100.0, '公顷', 50.0, 200.0, _PH + 'cumulative new land the region can give these sectors')}",
              f"infrastructure = {_table(infra, 'index', source='scenario choice (placeholder): digital-infrastructure index (base year = 1) growing 5 %/yr')}",
              f"business_environment = {_table(env, 'index', source='scenario choice (placeholder): business-environment index (base year = 1) growing 2 %/yr')}",
              f"final_demand_growth = {_table(0.04, '1/yr', 0.0, 0.07, _PH + 'growth of the economy outside these sectors, e.g. from the published GDP path')}",
              ""]
    return "\n".join(lines)


def _targets_toml(sectors, end) -> str:
    total = round(2 * SECTOR_DEFAULTS["base_output"][0] * len(sectors), 1)
    return "\n".join([
        "# The plan's targets, written by `jdmodel init` as a placeholder: replace with the plan's own targets,",
        "# each with its indicator (a total of plan.toml, a linked indicator, or a count), threshold, unit, year,",
        "# comparison and citation (document number and section).",
        "",
        "[targets.output]",
        'indicator = "total_output"',
        f"threshold = {total}",
        'unit = "亿元"',
        f"year = {end}",
        'comparison = ">"',
        'label_zh = ""',
        'label_en = "Total output doubles (placeholder target)"',
        'citation = "placeholder: the document number and section that sets this target"',
        ""])


def _observed_toml() -> str:
    return "\n".join([
        "# Published figures of the region, one [[observation]] table each (none yet). Add them as they are found:",
        "#",
        "# [[observation]]",
        '# id = "1"',
        '# indicator = "total_output"          # an indicator of the plan, or output.<sector>, or gdp',
        '# period = "2023"                     # a full year, or "2023-01..10" (January–October), "2023-H1"',
        "# value = 123.4",
        '# unit = "亿元"',
        "# growth = 0.12                       # year-on-year, as printed (optional)",
        '# class = "OS"                        # OS statistics bureau, OG government document, NR news, SE secondary',
        '# source = { title = "…", publisher = "…", date = "2024-01-20", url = "…" }',
        '# quote = "the sentence the number was read from"',
        "",
        "observation = []",
        ""])


def _expost_toml() -> str:
    rows = [("OS", 0.03, 0.01, 0.05, "official statistics of the statistics bureau: rounding, revision, scope"),
            ("OG", 0.05, 0.03, 0.10, "government documents: preliminary figures, sometimes of another scope"),
            ("NR", 0.10, 0.05, 0.20, "news reports quoting officials: rounded, scope rarely stated"),
            ("SE", 0.20, 0.10, 0.40, "encyclopaedia pages and mirror sites: a cross-check, not a measurement")]
    lines = ["# Ex-post error model (docs/expost.md): log-scale error of a published figure by class of source, plus",
             "# the model's structural discrepancy. Generic assumptions; adjust to what is known of the region's sources.",
             ""]
    for cls, v, lo, hi, why in rows:
        lines += [f"[scale.{cls}]", f"value = {v}", 'unit = "1"', f"low = {lo}", f"high = {hi}",
                  f"source = {toml_value('assumption: ' + why)}", ""]
    lines += ["[discrepancy]", "value = 0.05", 'unit = "1"', "low = 0.0", "high = 0.15",
              'source = "assumption: structural error of the growth model"', "",
              "[likelihood]", "use_growth = false", "drop_redundant_totals = true", "exclude = []", ""]
    return "\n".join(lines)


def _policy_toml() -> str:
    rows = [("price.talent", 10, "万元/人", 3, 50, "public outlay per person brought in by talent policy"),
            ("price.land", 80, "万元/亩", 25, 200, "cost to the region of making land available to these sectors"),
            ("bounds.funds", 15, "亿元/yr", 5, 30, "most public money one sector can absorb per year"),
            ("bounds.talent", 3000, "人/yr", 1000, 8000, "most talent one sector can take in per year"),
            ("bounds.land", 20, "公顷/yr", 5, 50, "most new land one sector can use per year")]
    lines = ["# Lever prices and per-sector capacities for jd.optimise_budget (docs/policy.md): placeholders.", ""]
    for key, v, unit, lo, hi, why in rows:
        lines += [f"[{key}]", f"value = {v}", f"unit = {toml_value(unit)}", f"low = {lo}", f"high = {hi}",
                  f"source = {toml_value(_PH + why)}", ""]
    return "\n".join(lines)


def _no_policy_toml(sectors) -> str:
    lines = ["# The counterfactual: no public funds, talent or land for these sectors; the scenario the input–output",
             "# effects are measured against (plan.toml: counterfactual). Scenario choices, not data.",
             'extends = "baseline"', 'description = "No new policy: levers at zero."', ""]
    for lever, (_, unit) in LEVER_DEFAULTS.items():
        lines.append(f"[levers.{lever}]")
        lines += [f"{s} = {_table(0.0, unit, source='scenario choice: no new policy')}" for s in sectors]
        lines.append("")
    return "\n".join(lines)


def _region_toml(base) -> str:
    return "\n".join([
        f"# Regionalising the national input–output table to the plan's region, {base}: placeholders. Replace the",
        "# published aggregates with the region's statistics and the assumptions with considered ones",
        "# (jdmodel.inputoutput.data.regional_output says how they build the region's gross output by sector).",
        "",
        "[regionalisation]",
        'table = { value = "china_2020_42", source = "the shipped national table: parameters/io/china_2020_42 '
        '(NBS 2020, 42 sectors, domestic form)" }',
        'method = { value = "flq", source = "modelling choice: Flegg\'s location quotient (Flegg & Webber 1997)" }',
        'delta = { value = 0.3, unit = "1", low = 0.1, high = 0.4, source = "assumption: Flegg\'s delta, '
        '0.3 as proposed by Flegg & Webber (1997)" }',
        "",
        "[published]",
        f"gdp = {_table(1000.0, '亿元', 500.0, 2000.0, _PH + 'the region' + chr(39) + f's GDP (增加值) in {base}')}",
        f"industrial_output = {_table(1000.0, '亿元', 500.0, 2000.0, _PH + f'industrial output above designated size (规上工业总产值) in {base}')}",
        "",
        "[assumptions]",
        f"secondary_share = {_table(0.4, '1', 0.3, 0.5, _PH + 'share of the secondary industry in GDP')}",
        f"primary_share = {_table(0.01, '1', 0.0, 0.02, _PH + 'share of the primary industry in GDP')}",
        f"industrial_coverage = {_table(1.0, '1', 1.0, 1.1, _PH + 'industrial output of all firms per unit of the output above designated size')}",
        'absent_sectors = { value = ["02", "03", "04", "05"], source = "assumption (placeholder): no mining in the '
        'region" }',
        "",
        "# Services: national value-added mix times these factors (others 1), renormalised to tertiary value added;",
        "# large enough that the IO sectors the plan's sectors map onto (concordance.csv) hold their base output.",
        "[assumptions.service_specialisation]",
        f"\"31\" = {_table(3.0, '1', 1.5, 4.0, _PH + 'information services weigh more in the region than nationally')}",
        ""])


def _concordance_csv(sectors) -> str:
    rows = ["focus_sector,io_code,share,low,high,unit,source"]
    rows += [f'{s},31,1.0,1.0,1.0,1,"assumption (placeholder): the sector is information and software services '
             f'(IO 31); split it across IO sectors as the plan\'s text describes it"' for s in sectors]
    return "\n".join(rows) + "\n"
