"""Words for a reader: a parameter's description and sector instead of its dotted key, units that do not wrap.

A report is read by people who never saw a parameter file. Every name shown in its prose, tables
and figures goes through here: the description comes from the parameter schema
(:mod:`jdmodel.params.schema`), the sector's name from the plan (``plan.toml [[sectors]]``), so a
new plan needs no edit of this module.
"""

from __future__ import annotations

import re
from typing import Any

#: units as a reader says them (a figure without a CJK font gets the English)
UNIT_WORDS = {"亿元": "100 million yuan", "亿元/yr": "100 million yuan/yr", "公顷": "ha", "公顷/yr": "ha/yr",
              "人": "people", "人/yr": "people/yr", "1": "", "1/yr": "/yr"}


def _symbol(word: str) -> bool:
    """A mathematical symbol rather than a word: ``g_A``, ``α``, ``H₀``, ``m``."""
    return "_" in word or len(word) == 1 or any("\u0370" <= c <= "\u03ff" or "\u2080" <= c <= "\u2089" for c in word)


def short(description: str, limit: int = 90) -> str:
    """The first clause of a schema description: up to the first ``;``, ``(`` or ``:`` and at most ``limit`` chars.

    Examples
    --------
    >>> short("Public funds per year (subsidies, guidance funds)")
    'Public funds per year'
    >>> short("Output elasticity of capital α"), short("Talent stock in the base year, H₀")
    ('Output elasticity of capital', 'Talent stock in the base year')
    """
    text = re.split(r"\s*[;(:]\s*|,\s+(?:shared|with|and the)\b", description.strip(), maxsplit=1)[0].strip()
    words = text.split()
    while len(words) > 2 and _symbol(words[-1].rstrip(",")):     # "… of capital α", "…, H₀": the symbol is for coders
        words.pop()
    text = " ".join(words).rstrip(",")
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def sector_name(plan, sector: str, chinese: bool = True) -> str:
    """A sector's name from its plan: "电子商务 E-commerce" (or the English alone)."""
    try:
        s = plan.sector(sector)
    except Exception:  # noqa: BLE001 - an id the plan lacks is shown as it is
        return sector
    return f"{s.zh} {s.en}" if chinese and s.zh and s.zh != s.en else s.en


def parameter_label(key: str, plan, *, chinese: bool = True) -> str:
    """What a dotted key means, in words: the schema's description, with the sector or year it applies to.

    Parameters
    ----------
    key : str
        A concrete key of ``plan`` (``levers.funds.<sector>``, ``sectors.<sector>.alpha`` …).
    plan : Plan
        Supplies the sector names.
    chinese : bool
        Include the sector's Chinese name.

    Returns
    -------
    str
        e.g. "Public funds per year — 电子商务 E-commerce"; the key itself when the schema does not
        know it.

    Examples
    --------
    >>> from jdmodel.params.plan import load_plan
    >>> p = load_plan()
    >>> parameter_label("district.land_budget", p)
    'Cumulative new land over the lever years the district can give these sectors'
    >>> s = p.sector_ids[0]
    >>> parameter_label(f"sectors.{s}.alpha", p, chinese=False) == "Output elasticity of capital — " + p.sector(s).en
    True
    """
    from jdmodel.params.schema import spec_for

    spec, sector = spec_for(key, plan)
    if spec is None or not spec.description:
        return key
    text = short(spec.description)
    parts = key.split(".")
    if sector is not None:
        text += " — " + sector_name(plan, sector, chinese)
    elif parts[0] == "within_year" and len(parts) == 3:
        text += f" — {parts[2]}"
    elif parts[0] == "linked" and len(parts) == 3:
        linked = next((x for x in plan.linked if x.id == parts[1]), None)
        if linked is not None:
            text += " — " + (f"{linked.zh} {linked.en}" if chinese and linked.zh else linked.en)
    return text


def unit_text(unit: Any, chinese: bool = True) -> str:
    """A unit for a table cell or label; English words when ``chinese`` is False.

    Examples
    --------
    >>> unit_text("亿元/yr"), unit_text("亿元/yr", chinese=False), unit_text("1")
    ('亿元/yr', '100 million yuan/yr', '')
    """
    u = "" if unit is None else str(unit)
    if u == "1":
        return ""
    return u if chinese else UNIT_WORDS.get(u, u)
