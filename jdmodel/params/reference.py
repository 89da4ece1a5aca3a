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
        lo = "" if spec.min is None else (f"> {spec.min:g}" if spec.open_min else f"≥ {spec.min:g}")
        hi = "" if spec.max is None else f"≤ {spec.max:g}"
        bounds = ", ".join(b for b in (lo, hi) if b) or "—"
        lines.append(f"| `{key}` | {spec.description} | {spec.shape} | {unit} | {bounds} | "
                     f"{_baseline(base, key, short)} |")
    return "\n".join(lines) + "\n"


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
