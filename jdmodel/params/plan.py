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

from jdmodel._paths import parameters_dir
from jdmodel.errors import ParameterError
from jdmodel.params import rules as R
from jdmodel.params.market import Market, read_market

#: the plan used when none is named
DEFAULT_PLAN = "jiading"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
#: words that name other parts of a dotted key and cannot be sector ids
RESERVED = frozenset({"funds", "talent", "land", "sectors", "levers", "district", "counting", "model", "linked",
                      "base_year", "enterprises", "projects", "scenarios", "value", "unit", "source", "output"})
_MAX_SPAN = 60  # years from the base year to the horizon
_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,79}$")
_FIELDS = ("title_zh", "title_en", "region_zh", "region_en", "document", "source", "sectors", "years", "totals",
           "linked", "base_year", "files", "counterfactual", "default_scenario", "id", "shock", "market", "area")


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
    area: float | None = None

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
    from jdmodel.params.plan_sections import (
        _area,
        _base_rules,
        _linked,
        _sectors,
        _shock,
        _text,
        _totals,
        _years,
    )

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
    base_rules = _base_rules(data.get("base_year"), ids, years, probs)
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
        if not (isinstance(name, str) and _SCENARIO_NAME.match(name)) or not (
                name == "baseline" or (folder / "scenarios" / f"{name}.toml").is_file()):
            probs.add(key, f"{name!r} is not a scenario of this plan (expected baseline or the name of a file in "
                           "scenarios/)")
    R.fields(data, "", probs, allowed=_FIELDS)
    pid = data.get("id", folder.name)
    if "id" in data and not (isinstance(pid, str) and _ID.match(pid)):
        probs.add("id", f"{pid!r}: a plan id is lower-case letters, digits and '_', starting with a letter")
    area = _area(data.get("area"), probs)
    probs.raise_if_any("invalid plan file")
    market = read_market(data.get("market"), ids, folder, dict(files), probs)
    probs.raise_if_any("invalid plan file")
    return Plan(id=str(pid), folder=folder, sectors=sectors, years=years, totals=totals, linked=linked,
                base_rules=base_rules, counterfactual=counterfactual, default_scenario=default,
                files=tuple(sorted(files.items())), shock=shock, shock_source=shock_source, market=market, area=area,
                **meta)
