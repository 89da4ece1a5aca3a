"""A plan: the region, its sectors, years, indicators and data, declared in a folder of files.

A plan folder holds ``plan.toml`` (what this module reads) beside the plan's other files::

    plans/<id>/
      plan.toml          region, document, sectors, years, total and linked indicators,
                         base-year rules, counterfactual scenario
      baseline.toml      the central parameters every scenario starts from
      targets.toml       the plan's targets, with citations
      observed.toml      published figures (observations)
      expost.toml        error scales by class of source, within-year shares
      policy.toml        prices and bounds of the levers (budget search)
      scenarios/*.toml   scenarios (each extends baseline or another scenario)
      io/                regional inputs, concordance and link of the input–output block (optional)

The package knows the shape of a plan, never a particular one: sectors, years and keys come
from these files. ``jdmodel init`` writes a new plan folder; ``docs/plans.md`` describes
every field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jdmodel._paths import parameters_dir
from jdmodel.errors import ParameterError

#: the plan used when none is named
DEFAULT_PLAN = "jiading"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
#: words that name other parts of a dotted key and cannot be sector ids
RESERVED = frozenset({"funds", "talent", "land", "sectors", "levers", "district", "counting", "model", "linked",
                      "base_year", "enterprises", "projects", "scenarios", "value", "unit", "source", "output"})
_MAX_SPAN = 60  # years from the base year to the horizon


@dataclass(frozen=True)
class Sector:
    """A sector of the plan: id (used in keys), labels, the colour of its line in every figure."""

    id: str
    zh: str
    en: str
    colour: str
    abbr: str

    def label(self, chinese: bool = True) -> str:
        return self.zh if chinese and self.zh else self.en


@dataclass(frozen=True)
class Years:
    """Base year, plan period and horizon of a plan."""

    base: int
    plan_start: int
    plan_end: int
    horizon: int

    @property
    def all(self) -> tuple[int, ...]:
        """Every model year, base year to horizon."""
        return tuple(range(self.base, self.horizon + 1))

    @property
    def levers(self) -> tuple[int, ...]:
        """Years a lever path covers: the year after the base year to the horizon."""
        return tuple(range(self.base + 1, self.horizon + 1))

    @property
    def plan(self) -> tuple[int, ...]:
        """The plan period."""
        return tuple(range(self.plan_start, self.plan_end + 1))

    @property
    def milestones(self) -> tuple[int, ...]:
        """Years a summary shows: mid-way to the plan's end, the plan's end, the horizon."""
        return tuple(sorted({self.base + (self.plan_end - self.base) // 2, self.plan_end, self.horizon}))

    @property
    def plan_lever_slice(self) -> slice:
        """Positions of the plan period within a lever path."""
        return slice(self.plan_start - self.base - 1, self.plan_end - self.base)


@dataclass(frozen=True)
class Total:
    """An indicator that sums the output of some sectors (e.g. the bureau's 在线新经济总产出)."""

    id: str
    sectors: tuple[str, ...]
    zh: str
    en: str
    unit: str
    source: str


@dataclass(frozen=True)
class Linked:
    """An indicator that follows one sector's output with an elasticity.

    .. math:: S_t = S_{base}\\,(Y_{s,t} / Y_{s,base})^{\\eta}

    with ``linked.<id>.base`` and ``linked.<id>.elasticity`` in the scenario's parameters.
    """

    id: str
    sector: str
    zh: str
    en: str
    unit: str
    source: str


@dataclass(frozen=True)
class BaseRule:
    """How base-year outputs of some sectors are derived from published figures (never code).

    For each sector ``s`` of ``sectors`` the observation of indicator ``indicator`` (with
    ``{sector}`` replaced by ``s``) for ``period`` gives the base-year output::

        base = value / (1 + growth, when divide_by_growth) / share

    where ``share`` is the parameter named by ``share`` (the share of a year's output produced in
    the period's months; 1 for a full year) and ``divide_by_growth`` says that the figure is a
    year after the base year and is brought back by its year-on-year growth rate.
    """

    sectors: tuple[str, ...]
    indicator: str
    period: str
    divide_by_growth: bool
    share: str | None
    source: str

    def indicator_for(self, sector: str) -> str:
        return self.indicator.replace("{sector}", sector)


@dataclass(frozen=True)
class MarketPoint:
    """One published level of the market series."""

    year: int
    value: float
    cls: str
    source: str
    quote: str = ""


@dataclass(frozen=True)
class Market:
    """The market the plan's market sector sells into (the demand-side variant; ``[market]`` in plan.toml).

    ``points`` are published levels (``market.toml``); years between them are interpolated
    log-linearly, years after the last one grow at the scenario's ``market.growth``.
    """

    sector: str
    id: str
    zh: str
    en: str
    unit: str
    points: tuple[MarketPoint, ...]
    source: str

    def path(self, years, growth, known_until: int | None = None):
        """The market over ``years`` (array (len(years),), or (D, len(years)) for ``growth`` of shape (D,)).

        Levels of the published years ≤ ``known_until`` (all when None); between them log-linear
        interpolation; after the last, ``growth`` a year; before the first, the first interval's growth.

        Examples
        --------
        >>> m = Market("s", "m", "", "", "亿元", (MarketPoint(2020, 100.0, "OS", ""), MarketPoint(2022, 121.0, "OS", "")), "")
        >>> [round(float(v), 6) for v in m.path([2020, 2021, 2022, 2023], 0.05)]
        [100.0, 110.0, 121.0, 127.05]
        """
        import numpy as np

        pts = [p for p in self.points if known_until is None or p.year <= known_until]
        if not pts:
            raise ParameterError(f"market {self.id}: no published level up to {known_until}")
        py = np.array([p.year for p in pts], dtype=float)
        lv = np.log(np.array([p.value for p in pts], dtype=float))
        years = np.asarray(years, dtype=float)
        g = np.log1p(np.asarray(growth, dtype=float))[..., None]
        inside = np.interp(years, py, lv)
        first_slope = (lv[1] - lv[0]) / (py[1] - py[0]) if len(py) > 1 else 0.0
        before = lv[0] + first_slope * (years - py[0])
        after = lv[-1] + g * (years - py[-1])
        out = np.where(years > py[-1], after, np.where(years < py[0], before, inside))
        return np.exp(out)


@dataclass(frozen=True)
class Plan:
    """A plan read from its folder (see the module docstring)."""

    id: str
    folder: Path
    title_zh: str
    title_en: str
    region_zh: str
    region_en: str
    document: str
    source: str
    sectors: tuple[Sector, ...]
    years: Years
    totals: tuple[Total, ...]
    linked: tuple[Linked, ...] = ()
    base_rules: tuple[BaseRule, ...] = ()
    counterfactual: str = "no_new_policy"
    default_scenario: str = "baseline"
    files: tuple[tuple[str, str], ...] = field(default=())
    shock: tuple[int, int] | None = None
    shock_source: str = ""
    market: Market | None = None

    # --- names ---------------------------------------------------------------------------------
    @property
    def sector_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sectors)

    def sector(self, sid: str) -> Sector:
        for s in self.sectors:
            if s.id == sid:
                return s
        raise ParameterError(f"plan {self.id!r}: unknown sector {sid!r} (expected one of "
                             f"{', '.join(self.sector_ids)})")

    @property
    def colours(self) -> dict[str, str]:
        return {s.id: s.colour for s in self.sectors}

    @property
    def labels_zh(self) -> dict[str, str]:
        return {s.id: s.zh for s in self.sectors}

    @property
    def labels_en(self) -> dict[str, str]:
        return {s.id: s.en for s in self.sectors}

    @property
    def name(self) -> str:
        return self.title_en or self.id

    def total(self, tid: str | None = None) -> Total:
        """A total indicator by id (the first one, the headline total, when ``tid`` is None)."""
        if tid is None:
            return self.totals[0]
        for t in self.totals:
            if t.id == tid:
                return t
        raise ParameterError(f"plan {self.id!r}: no total indicator {tid!r}")

    # --- files ---------------------------------------------------------------------------------
    def file(self, kind: str) -> Path:
        """Path of one of the plan's files: baseline, targets, observed, expost, policy, io, market."""
        names = dict(_DEFAULT_FILES)
        names.update(dict(self.files))
        if kind not in names:
            raise KeyError(kind)
        return self.folder / names[kind]

    def scenario_path(self, name: str) -> Path:
        """The file of a scenario of this plan (``baseline`` is the plan's baseline file)."""
        if name == "baseline":
            return self.file("baseline")
        return self.folder / "scenarios" / f"{name}.toml"

    def scenarios(self) -> list[str]:
        """Names of the plan's scenarios, ``baseline`` first."""
        folder = self.folder / "scenarios"
        names = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        return ["baseline", *names]

    @property
    def has_io(self) -> bool:
        return (self.file("io") / "region.toml").is_file()

    # --- what the plan's files hold ------------------------------------------------------------
    @cached_property
    def observations(self):
        """The plan's published figures (an empty tuple when it has none)."""
        from jdmodel.params.observed import load_observations_file

        path = self.file("observed")
        return load_observations_file(path) if path.is_file() else ()

    def __hash__(self) -> int:  # a plan is identified by its folder
        return hash(("Plan", str(self.folder)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and other.folder == self.folder

    def __repr__(self) -> str:
        return (f"<Plan {self.id!r}: {len(self.sectors)} sectors, {self.years.base}–{self.years.horizon}, "
                f"plan period {self.years.plan_start}–{self.years.plan_end}>")


_DEFAULT_FILES = (("baseline", "baseline.toml"), ("targets", "targets.toml"), ("observed", "observed.toml"),
                  ("expost", "expost.toml"), ("policy", "policy.toml"), ("io", "io"), ("market", "market.toml"))


def plans_dir() -> Path:
    """The folder of the shipped plans (``parameters/plans``)."""
    return parameters_dir() / "plans"


def available_plans() -> list[str]:
    """Ids of the shipped plans, the default first."""
    found = sorted(p.parent.name for p in plans_dir().glob("*/plan.toml"))
    return sorted(found, key=lambda n: (n != DEFAULT_PLAN, n))


def is_plan_file(path: Path) -> bool:
    """True when ``path`` is a plan's ``plan.toml`` (a scenario may also be called plan.toml)."""
    path = Path(path)
    if path.name != "plan.toml" or not path.is_file():
        return False
    from jdmodel.params.loader import read_toml

    data = read_toml(path)
    return "sectors" in data or "years" in data or "totals" in data


def plan_folder(name_or_path: str | Path | None) -> Path:
    """Resolve a plan name (a shipped plan) or a folder path to the plan's folder."""
    if name_or_path is None:
        name_or_path = DEFAULT_PLAN
    text = str(name_or_path)
    path = Path(text)
    if (path / "plan.toml").is_file():
        return path.resolve()
    if is_plan_file(path):
        return path.resolve().parent
    if _ID.match(text) and (plans_dir() / text / "plan.toml").is_file():
        return (plans_dir() / text).resolve()
    import difflib

    names = available_plans()
    close = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ParameterError(f"no plan {text!r}{hint}: expected a shipped plan ({', '.join(names)}) or a folder "
                         "holding plan.toml (jdmodel init DIR writes one)")


def load_plan(name_or_path: str | Path | Plan | None = None) -> Plan:
    """Load and validate a plan by name (``parameters/plans/<name>``) or folder path.

    Raises
    ------
    ParameterError
        Listing every problem in ``plan.toml`` with its key.

    Examples
    --------
    >>> p = load_plan("jiading")
    >>> p.years.base, p.years.horizon, len(p.sectors)
    (2020, 2030, 5)
    """
    if isinstance(name_or_path, Plan):
        return name_or_path
    return _load(plan_folder(name_or_path))


@cache
def _load(folder: Path) -> Plan:
    from jdmodel.params.loader import Problems, read_toml

    path = folder / "plan.toml"
    data = read_toml(path)
    probs = Problems(str(path))
    meta = {k: _text(data, k, probs, required=k in ("title_en",)) for k in
            ("title_zh", "title_en", "region_zh", "region_en", "document", "source")}
    sectors = _sectors(data.get("sectors"), probs)
    ids = tuple(s.id for s in sectors)
    years = _years(data.get("years"), probs)
    totals = _totals(data.get("totals"), ids, probs)
    linked = _linked(data.get("linked"), ids, {t.id for t in totals}, probs)
    rules = _base_rules(data.get("base_year"), ids, years, probs)
    shock, shock_source = _shock(data.get("shock"), years, probs)
    files = data.get("files", {})
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        probs.add("files", "expected a table of file names, e.g. { observed = \"observed.toml\" }")
        files = {}
    bad = sorted(set(files) - {k for k, _ in _DEFAULT_FILES})
    if bad:
        probs.add("files", f"unknown file kind(s) {bad} (expected some of {', '.join(k for k, _ in _DEFAULT_FILES)})")
    for kind, name in files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            probs.add(f"files.{kind}", f"{name!r}: a plan's files live inside its folder (no absolute path, no '..')")
    counterfactual = data.get("counterfactual", "no_new_policy")
    default = data.get("default_scenario", "baseline")
    for key, name in (("counterfactual", counterfactual), ("default_scenario", default)):
        if not isinstance(name, str) or not (name == "baseline" or (folder / "scenarios" / f"{name}.toml").is_file()):
            probs.add(key, f"{name!r} is not a scenario of this plan (expected baseline or a file in scenarios/)")
    unknown = sorted(set(data) - {"title_zh", "title_en", "region_zh", "region_en", "document", "source", "sectors",
                                  "years", "totals", "linked", "base_year", "files", "counterfactual",
                                  "default_scenario", "id", "shock", "market"})
    for key in unknown:
        probs.add(key, "unknown field (see docs/plans.md)")
    probs.raise_if_any("invalid plan file")
    market = _market(data.get("market"), ids, folder, dict(files), probs)
    probs.raise_if_any("invalid plan file")
    pid = data.get("id", folder.name)
    return Plan(id=str(pid), folder=folder, sectors=sectors, years=years, totals=totals, linked=linked,
                base_rules=rules, counterfactual=counterfactual, default_scenario=default,
                files=tuple(sorted(files.items())), shock=shock, shock_source=shock_source, market=market, **meta)


def _shock(raw: Any, years: Years, probs) -> tuple[tuple[int, int] | None, str]:
    if raw is None:
        return None, ""
    span = raw.get("years") if isinstance(raw, dict) else None
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(y, int) for y in span)
            and span[1] == span[0] + 1 and span[0] in years.all and span[1] in years.all):
        probs.add("shock.years", f"{span!r}: expected two consecutive years of the plan, [first, second] (the "
                                 "shock year and the rebound year)")
        return None, ""
    return (span[0], span[1]), str(raw.get("source", ""))


def _market(raw: Any, sectors: tuple[str, ...], folder: Path, files: dict, probs) -> Market | None:
    from jdmodel.params.loader import read_toml

    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("sector") not in sectors:
        probs.add("market.sector", f"expected a sector of this plan ({', '.join(sectors)})")
        return None
    path = folder / files.get("market", "market.toml")
    if not path.is_file():
        probs.add("market", f"the demand-side variant needs its series file {path}")
        return None
    data = read_toml(path)
    where = f"{path.name}: series"
    series = data.get("series")
    if not isinstance(series, dict):
        probs.add(where, "expected a [series] table: id, zh, en, unit, source and [[series.point]] entries")
        return None
    points, seen = [], set()
    for i, pt in enumerate(series.get("point", [])):
        ok = (isinstance(pt, dict) and isinstance(pt.get("year"), int) and not isinstance(pt.get("value"), bool)
              and isinstance(pt.get("value"), int | float) and pt["value"] > 0 and pt["year"] not in seen)
        if not ok or not isinstance(pt.get("source"), str) or pt.get("class") not in ("OS", "OG", "NR", "SE"):
            probs.add(f"{where}.point[{i}]", "expected year (int, once), value > 0, class (OS/OG/NR/SE) and source")
            continue
        seen.add(pt["year"])
        points.append(MarketPoint(pt["year"], float(pt["value"]), pt["class"], pt["source"], str(pt.get("quote", ""))))
    if len(points) < 2:
        probs.add(where, "at least two published levels are needed")
        return None
    return Market(raw["sector"], str(series.get("id", "market")), str(series.get("zh", "")),
                  str(series.get("en", "market")), str(series.get("unit", "亿元")),
                  tuple(sorted(points, key=lambda p: p.year)), str(series.get("source", "")))


def _text(data: dict, key: str, probs, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        probs.add(key, f"expected text, got {value!r}")
        return ""
    if required and not value.strip():
        probs.add(key, "missing (required)")
    return value


def _sectors(raw: Any, probs) -> tuple[Sector, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        probs.add("sectors", "expected [[sectors]] tables with id, zh, en, colour")
        return ()
    out, seen, abbrs = [], set(), set()
    for i, s in enumerate(raw):
        where = f"sectors[{i}]"
        sid = s.get("id")
        if not isinstance(sid, str) or not _ID.match(sid) or sid in RESERVED:
            probs.add(f"{where}.id", f"{sid!r}: a sector id is lower-case letters, digits and '_', starting with a "
                                     f"letter, at most 40 characters, and not one of {', '.join(sorted(RESERVED))}")
            continue
        if sid in seen:
            probs.add(f"{where}.id", f"duplicate sector id {sid!r}")
        seen.add(sid)
        colour = s.get("colour", "")
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            probs.add(f"{where}.colour", f"{colour!r}: expected a colour '#RRGGBB'")
            colour = "#444444"
        abbr = s.get("abbr", sid[:2])
        if not isinstance(abbr, str) or not re.match(r"^[a-z][a-z0-9]{0,5}$", abbr):
            probs.add(f"{where}.abbr", f"{abbr!r}: expected 1–6 lower-case letters or digits (used in symbols)")
            abbr = sid[:2]
        if abbr in abbrs:
            probs.add(f"{where}.abbr", f"abbreviation {abbr!r} used twice: give each sector its own 'abbr'")
        abbrs.add(abbr)
        zh, en = s.get("zh", ""), s.get("en", sid)
        if not isinstance(zh, str) or not isinstance(en, str) or not en.strip():
            probs.add(where, "zh and en must be text; en is required")
            zh, en = str(zh), sid
        extra = sorted(set(s) - {"id", "zh", "en", "colour", "abbr"})
        if extra:
            probs.add(where, f"unknown field(s) {extra} (expected id, zh, en, colour, abbr)")
        out.append(Sector(sid, zh, en, colour, abbr))
    return tuple(out)


def _years(raw: Any, probs) -> Years:
    fallback = Years(2020, 2021, 2025, 2030)
    if not isinstance(raw, dict):
        probs.add("years", "expected a [years] table with base, plan = [first, last] and horizon")
        return fallback
    base, horizon, period = raw.get("base"), raw.get("horizon"), raw.get("plan")
    ok = True
    for key, v in (("base", base), ("horizon", horizon)):
        if not isinstance(v, int) or isinstance(v, bool) or not 1950 <= v <= 2150:
            probs.add(f"years.{key}", f"{v!r}: expected a calendar year (an integer 1950–2150)")
            ok = False
    if not (isinstance(period, list) and len(period) == 2 and all(isinstance(y, int) for y in period)):
        probs.add("years.plan", f"{period!r}: expected [first, last] years of the plan period")
        ok = False
    if not ok:
        return fallback
    first, last = period
    if not base < horizon or horizon - base > _MAX_SPAN:
        probs.add("years", f"base {base}, horizon {horizon}: the horizon must follow the base year by 1–{_MAX_SPAN} "
                           "years")
        return fallback
    if not base < first <= last <= horizon:
        probs.add("years.plan", f"[{first}, {last}]: the plan period must lie after the base year {base} and by the "
                                f"horizon {horizon}")
        return fallback
    extra = sorted(set(raw) - {"base", "plan", "horizon"})
    if extra:
        probs.add("years", f"unknown field(s) {extra}")
    return Years(base, first, last, horizon)


def _totals(raw: Any, sectors: tuple[str, ...], probs) -> tuple[Total, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        probs.add("totals", "expected at least one [[totals]] table: id, sectors, zh, en, unit, source")
        return ()
    out = []
    for i, t in enumerate(raw):
        where = f"totals[{i}]"
        tid = t.get("id")
        if not isinstance(tid, str) or not _ID.match(tid):
            probs.add(f"{where}.id", f"{tid!r}: expected an identifier (lower-case letters, digits, '_')")
            continue
        members = t.get("sectors")
        if not (isinstance(members, list) and members and all(isinstance(s, str) for s in members)):
            probs.add(f"{where}.sectors", f"expected a non-empty list of sector ids, got {members!r}")
            continue
        bad = [s for s in members if s not in sectors]
        if bad:
            probs.add(f"{where}.sectors", f"unknown sector(s) {bad} (expected some of {', '.join(sectors)})")
            continue
        out.append(Total(tid, tuple(members), str(t.get("zh", "")), str(t.get("en", tid)), str(t.get("unit", "亿元")),
                         str(t.get("source", ""))))
    return tuple(out)


def _linked(raw: Any, sectors: tuple[str, ...], taken: set[str], probs) -> tuple[Linked, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        probs.add("linked", "expected [[linked]] tables: id, sector, zh, en, unit, source")
        return ()
    out = []
    for i, t in enumerate(raw):
        where = f"linked[{i}]"
        lid, sector = t.get("id"), t.get("sector")
        if not isinstance(lid, str) or not _ID.match(lid) or lid in taken:
            probs.add(f"{where}.id", f"{lid!r}: expected an identifier not used by another indicator")
            continue
        if sector not in sectors:
            probs.add(f"{where}.sector", f"{sector!r} is not a sector of this plan ({', '.join(sectors)})")
            continue
        taken.add(lid)
        out.append(Linked(lid, sector, str(t.get("zh", "")), str(t.get("en", lid)), str(t.get("unit", "亿元")),
                          str(t.get("source", ""))))
    return tuple(out)


def _base_rules(raw: Any, sectors: tuple[str, ...], years: Years, probs) -> tuple[BaseRule, ...]:
    from jdmodel.params.observed import parse_period

    if raw is None:
        return ()
    rules = raw.get("derive") if isinstance(raw, dict) else None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        probs.add("base_year", "expected [[base_year.derive]] tables: sectors, indicator, period, divide_by_growth, "
                               "share, source")
        return ()
    out, covered = [], set()
    for i, r in enumerate(rules):
        where = f"base_year.derive[{i}]"
        members = r.get("sectors")
        if not (isinstance(members, list) and members and all(m in sectors for m in members)):
            probs.add(f"{where}.sectors", f"expected sector ids of this plan, got {members!r}")
            continue
        again = covered & set(members)
        if again:
            probs.add(f"{where}.sectors", f"{sorted(again)} already derived by another rule")
        covered |= set(members)
        indicator = r.get("indicator", "output.{sector}")
        if not isinstance(indicator, str) or "{sector}" not in indicator:
            probs.add(f"{where}.indicator", f"{indicator!r}: expected an indicator with {{sector}}, e.g. output.{{sector}}")
            continue
        period = parse_period(str(r.get("period", "")))
        if period is None:
            probs.add(f"{where}.period", f"{r.get('period')!r}: expected 2020, 2021-01..10 or 2021-H1")
            continue
        by_growth = r.get("divide_by_growth", False)
        if not isinstance(by_growth, bool):
            probs.add(f"{where}.divide_by_growth", f"expected true or false, got {by_growth!r}")
            continue
        expected_year = years.base + (1 if by_growth else 0)
        if period.year != expected_year:
            probs.add(f"{where}.period", f"{period}: a figure for {expected_year} is needed (the base year "
                                         f"{years.base}{' + 1, brought back by its growth' if by_growth else ''})")
        share = r.get("share")
        if not period.full_year and not isinstance(share, str):
            probs.add(f"{where}.share", "a partial-year figure needs 'share': the parameter key holding the share of "
                                        "a year's output produced in those months")
        out.append(BaseRule(tuple(members), indicator, str(period), by_growth, share if isinstance(share, str) else None,
                            str(r.get("source", ""))))
    return tuple(out)
