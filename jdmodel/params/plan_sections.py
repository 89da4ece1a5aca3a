"""The sections of ``plan.toml`` read and checked one by one: sectors, years, totals, linked indicators,
base-year rules, the shock span and the area.

Each reader takes the raw TOML value and a :class:`~jdmodel.params.loader.Problems` collector and
returns the typed value of :mod:`jdmodel.params.plan`, adding every problem it finds (the key, what
was expected) instead of stopping at the first; :func:`jdmodel.params.plan.load_plan` raises them
together.
"""

from __future__ import annotations

import re
from typing import Any

from jdmodel.params import rules as R
from jdmodel.params.plan import _COLOUR, _ID, _MAX_SPAN, RESERVED, BaseRule, Linked, Sector, Total, Years


def _area(raw: Any, probs) -> float | None:
    """The region's area (公顷), optional: ``area = { value, unit, source }`` bounds the land keys."""
    if raw is None:
        return None
    got = R.quantity(raw, "area", probs, R.ceiling("land"), dimension="land", ranged=False)
    return None if got is None else got[0]


def _shock(raw: Any, years: Years, probs) -> tuple[tuple[int, int] | None, str]:
    if raw is None:
        return None, ""
    if not R.fields(raw, "shock", probs, allowed=("years", "source", "note"), required=("years",)):
        return None, ""
    if "source" in raw:
        R.text(raw["source"], "shock.source", probs)
    span = raw.get("years")
    if not (isinstance(span, list) and len(span) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in span) and span[1] == span[0] + 1 and span[0] in years.all and span[1] in years.all):
        probs.add("shock.years", f"{span!r}: expected two consecutive years of the plan, [first, second] (the "
                                 "shock year and the rebound year)")
        return None, ""
    return (span[0], span[1]), str(raw.get("source", ""))


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
    if not (isinstance(period, list) and len(period) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in period)):
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
        R.fields(t, where, probs, allowed=(*_INDICATOR_FIELDS, "sectors"))
        members = t.get("sectors")
        if not (isinstance(members, list) and members and all(isinstance(s, str) for s in members)):
            probs.add(f"{where}.sectors", f"expected a non-empty list of sector ids, got {members!r}")
            continue
        bad = [s for s in members if s not in sectors]
        if bad:
            probs.add(f"{where}.sectors", f"unknown sector(s) {bad} (expected some of {', '.join(sectors)})")
            continue
        labels = _labels(t, where, probs, tid)
        if labels is None:
            continue
        if tid in {x.id for x in out}:
            probs.add(f"{where}.id", f"duplicate indicator id {tid!r}")
        out.append(Total(tid, tuple(members), *labels))
    return tuple(out)


_INDICATOR_FIELDS = ("id", "zh", "en", "unit", "source", "note")


def _labels(t: dict, where: str, probs, tid: str) -> tuple[str, str, str, str] | None:
    """``(zh, en, unit, source)`` of a total or linked indicator; its unit must be a unit jdmodel knows."""
    got = [R.text(t.get(k, default), f"{where}.{k}", probs) for k, default in
           (("zh", ""), ("en", tid), ("unit", "亿元"), ("source", ""))]
    if got[2] is not None and R.dimension_of(got[2]) is None:
        probs.add(f"{where}.unit", f"unknown unit {got[2]!r} (expected e.g. 亿元, 万元, 人)")
        return None
    return None if None in got else tuple(got)


def _linked(raw: Any, sectors: tuple[str, ...], taken: set[str], probs) -> tuple[Linked, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        probs.add("linked", "expected [[linked]] tables: id, sector, zh, en, unit, source")
        return ()
    out = []
    for i, t in enumerate(raw):
        where = f"linked[{i}]"
        R.fields(t, where, probs, allowed=(*_INDICATOR_FIELDS, "sector"))
        lid, sector = t.get("id"), t.get("sector")
        if not isinstance(lid, str) or not _ID.match(lid) or lid in taken:
            probs.add(f"{where}.id", f"{lid!r}: expected an identifier not used by another indicator")
            continue
        if not isinstance(sector, str) or sector not in sectors:
            probs.add(f"{where}.sector", f"{sector!r} is not a sector of this plan ({', '.join(sectors)})")
            continue
        labels = _labels(t, where, probs, lid)
        if labels is None:
            continue
        taken.add(lid)
        out.append(Linked(lid, sector, *labels))
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
        R.fields(r, where, probs, allowed=("sectors", "indicator", "period", "divide_by_growth", "share", "source",
                                            "note"), required=("sectors", "period"))
        members = r.get("sectors")
        if not (isinstance(members, list) and members and all(isinstance(m, str) and m in sectors for m in members)):
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
        period = parse_period(r["period"]) if isinstance(r.get("period"), str | int) else None
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
        share = _share_key(r.get("share"), period, years, f"{where}.share", probs)
        source = R.text(r.get("source", ""), f"{where}.source", probs)
        out.append(BaseRule(tuple(members), indicator, str(period), by_growth, share, source or ""))
    return tuple(out)


def _share_key(share: Any, period, years: Years, key: str, probs) -> str | None:
    """The within-year share a base rule divides by: ``within_year.<span of the period's months>.<base year>``."""
    from jdmodel.params.schema import span_name

    if period.full_year:
        if share is not None:
            probs.add(key, f"{share!r}: a full-year figure is not divided by a within-year share (remove 'share')")
        return None
    span = span_name(period.first_month, period.last_month)
    expected = f"within_year.{span}.{years.base}" if span else None
    if expected is None:
        probs.add(key, f"months {period.first_month:02d}..{period.last_month:02d} are not a span from January that a "
                       "within-year share covers (jan_feb … jan_nov)")
        return None
    if share != expected:
        probs.add(key, f"{share!r}: a figure for {period} brought to the base year {years.base} is divided by the share "
                       f"of those months in {years.base}, the parameter {expected!r}")
        return None
    return share
