"""The parameter reference in the docs, generated from the schema and the baseline.

``python -m jdmodel.params.reference > docs/parameters_reference.md`` rewrites it; a test
checks that the committed file equals what this module generates, so the reference
cannot drift from the code.
"""

from __future__ import annotations

from jdmodel.params.schema import PLACEHOLDERS, SCHEMA, _domains
from jdmodel.params.units import accepted_units, canonical_unit


def markdown(plan=None) -> str:
    """Markdown tables of every key: dimension, canonical and accepted units, bounds, meaning, baseline value.

    The baseline column shows the values of ``plan``'s baseline (the default plan's when None).
    """
    from jdmodel.params.plan import load_plan
    from jdmodel.params.scenario import load_scenario

    p = load_plan(plan)
    base = load_scenario("baseline", plan=p)
    short = {s.id: s.abbr for s in p.sectors}
    y = p.years
    lines = ["# Parameter reference", "",
             "Generated from `jdmodel/params/schema.py` and the baseline of plan "
             f"`{p.id}` by `python -m jdmodel.params.reference`; do not edit by hand.", "",
             "In a key, `{sector}` stands for a sector id of the plan and `{linked}` for the id of one of its "
             f"linked indicators (plan `{p.id}`: sectors " + ", ".join(f"`{s}`" for s in p.sector_ids)
             + "; linked " + (", ".join(f"`{x.id}`" for x in p.linked) or "none") + "). "
             f"Shapes: *scalar* one number; *path* one number per lever year ({y.levers[0]}–{y.levers[-1]} for "
             f"`{p.id}`; a single number means every year); *list* one number per sector in the plan's order. "
             "Sector abbreviations in the last column: "
             + ", ".join(f"{v} = `{k}`" for k, v in short.items()) + ".", "",
             "| key | meaning | shape | unit (accepted) | bounds | baseline (central; range) |",
             "|---|---|---|---|---|---|"]
    for key, spec in SCHEMA.items():
        if spec.dimension == "bool":
            unit = "true/false"
        elif spec.dimension == "choice":
            unit = " / ".join(f"`{c}`" for c in spec.choices)
        else:
            canon = canonical_unit(spec.dimension)
            others = [u for u in accepted_units(spec.dimension) if u != canon]
            unit = f"`{canon}`" + (f" ({', '.join(f'`{u}`' for u in others)})" if others else "")
        bounds = _bounds(spec.min, spec.max, spec.open_min, spec.open_max)
        lines.append(f"| `{key}` | {spec.description} | {spec.shape} | {unit} | {bounds} | "
                     f"{_baseline(base, key, short)} |")
    lines += ["", "Every bound applies to `value`, `low` and `high` and to the support of a distribution "
              "(a `normal` or `lognormal` only with `low` and `high`, which truncate it); the rules that involve "
              "several keys are in [parameters](parameters.md#validation).", ""]
    lines += _other_files()
    return "\n".join(lines) + "\n"


def _bounds(lo, hi, open_lo=False, open_hi=False) -> str:
    a = "" if lo is None else (f"> {lo:g}" if open_lo else f"≥ {lo:g}")
    b = "" if hi is None else (f"< {hi:g}" if open_hi else f"≤ {hi:g}")
    return ", ".join(x for x in (a, b) if x) or "—"


def _other_files() -> list[str]:
    """The bounds of the numbers of the plan's other files (from the modules that read them)."""
    from jdmodel.expost.operator import DISCREPANCY, SCALE, _share_bounds
    from jdmodel.params.iofiles import REGION
    from jdmodel.params.rules import CEILING
    from jdmodel.params.units import DIMENSIONS
    from jdmodel.policy.costs import PRICE_MAX, _capacity_max

    def b(x) -> str:
        return _bounds(x.min, x.max, x.open_min, x.open_max)

    lines = ["## The other files of a plan", "",
             "Numbers in canonical units. A published figure, a target and a market level of any other quantity "
             "is positive (a target threshold non-negative) and at most the ceiling of its quantity:", "",
             "| quantity | canonical unit | ceiling |", "|---|---|---|"]
    lines += [f"| {d.replace('_', ' ')} | `{DIMENSIONS[d][0]}` | {c:g} |" for d, c in CEILING.items()]
    lines += ["", "| file | key | meaning | bounds |", "|---|---|---|---|",
              f"| `expost.toml` | `scale.<class>` | log-scale standard deviation of a figure of that class | {b(SCALE)} |",
              f"| `expost.toml` | `discrepancy` | the model's structural error (log scale) | {b(DISCREPANCY)} |",
              f"| `expost.toml` | `share.<h1\\|jan_oct>.<family>` | within-year share | {b(_share_bounds())} |",
              f"| `policy.toml` | `price.talent` | 亿元 per person | > 0, ≤ {PRICE_MAX['talent']:g} |",
              f"| `policy.toml` | `price.land` | 亿元 per 公顷 | > 0, ≤ {PRICE_MAX['land']:g} |"]
    lines += [f"| `policy.toml` | `bounds.{lv}` | most one sector takes a year | > 0, ≤ {_capacity_max(lv):g} |"
              for lv in ("funds", "talent", "land")]
    for key, e in REGION.items():
        what = {"number": b(e.bounds) + f" (`{DIMENSIONS[e.dimension][0]}`)", "choice": " / ".join(e.choices),
                "text": "text", "table": "a folder of `parameters/io/`",
                "code": f"a {e.group} sector code", "codes": f"{e.group} sector codes"}[e.kind]
        lines.append(f"| `io/region.toml` | `{key}` | {e.description}{' (required)' if e.required else ''} | {what} |")
    lines += ["| `io/concordance.csv` | `share`, `low`, `high` | share of a plan sector's output in an IO sector; "
              "each sector's shares sum to 1 | share > 0; 0 ≤ low ≤ share ≤ high ≤ 1 |",
              "| `observed.toml` | `growth` | year-on-year growth, a fraction | > -1, ≤ 100 |",
              "| `targets.toml` | `paths.<id>.growth` | growth a year of a target line | > -1, ≤ 10 |",
              "| `plan.toml` | `area` | the region's area: bounds the land keys | > 0, ≤ 1e+07 `公顷` |"]
    return lines


def _baseline(sc, pattern: str, short: dict[str, str]) -> str:
    import numpy as np

    domains = _domains(sc.plan)
    keys = [pattern]
    for ph in PLACEHOLDERS:
        if ph in pattern:
            keys = [k.replace(ph, name) for k in keys for name in domains[ph]]
    cells = []
    for key in keys:
        p = sc.params.get(key)
        if p is None:
            continue
        if isinstance(p.value, np.ndarray):
            v = p.value
            text = f"{v[0]:g}" if np.all(v == v[0]) else f"{v[0]:g}…{v[-1]:g}"
        elif isinstance(p.value, bool | str):
            text = str(p.value).lower()
        else:
            text = f"{p.value:.4g}"
            if p.low is not None and p.high is not None:
                text += f" ({p.low:.4g}–{p.high:.4g})"
        sector = next((s for s in short if f".{s}." in f".{key}."), None)
        prefix = f"{short[sector]}: " if sector and "{sector}" in pattern else ""
        cells.append(prefix + text)
    return "; ".join(cells) if cells else "—"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
