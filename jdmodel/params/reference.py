"""The parameter reference in the docs, generated from the schema and the baseline.

``python -m jdmodel.params.reference > docs/parameters_reference.md`` rewrites it; a test
checks that the committed file equals what this module generates, so the reference
cannot drift from the code.
"""

from __future__ import annotations

from jdmodel.params.schema import SCHEMA, SECTORS
from jdmodel.params.units import accepted_units, canonical_unit


def markdown() -> str:
    """Markdown tables of every key: dimension, canonical and accepted units, bounds, meaning, baseline value."""
    from jdmodel.params.scenario import load_scenario

    base = load_scenario("baseline")
    lines = ["# Parameter reference", "",
             "Generated from `jdmodel/params/schema.py` and `parameters/baseline.toml` by "
             "`python -m jdmodel.params.reference`; do not edit by hand.", "",
             "`*` stands for a sector id: " + ", ".join(f"`{s}`" for s in SECTORS) + ". "
             "Shapes: *scalar* one number; *path* one number per year 2021–2030 (a single number means every year); "
             "*list* one number per sector in that order. Sector abbreviations in the last column: "
             + ", ".join(f"{v} = `{k}`" for k, v in _SHORT.items()) + ".", "",
             "| key | meaning | shape | unit (accepted) | bounds | baseline (central; range) |",
             "|---|---|---|---|---|---|"]
    for key, spec in SCHEMA.items():
        if spec.dimension == "bool":
            unit = "true/false"
        else:
            canon = canonical_unit(spec.dimension)
            others = [u for u in accepted_units(spec.dimension) if u != canon]
            unit = f"`{canon}`" + (f" ({', '.join(f'`{u}`' for u in others)})" if others else "")
        lo = "" if spec.min is None else (f"> {spec.min:g}" if spec.open_min else f"≥ {spec.min:g}")
        hi = "" if spec.max is None else f"≤ {spec.max:g}"
        bounds = ", ".join(b for b in (lo, hi) if b) or "—"
        lines.append(f"| `{key}` | {spec.description} | {spec.shape} | {unit} | {bounds} | {_baseline(base, key)} |")
    return "\n".join(lines) + "\n"


_SHORT = {"industrial_internet": "ii", "online_entertainment": "oe", "ecommerce": "ec", "smart_transport": "st",
          "online_services": "os"}


def _baseline(sc, pattern: str) -> str:
    import numpy as np

    keys = [pattern.replace("*", s) for s in SECTORS] if "*" in pattern else [pattern]
    cells = []
    for key in keys:
        p = sc.params.get(key)
        if p is None:
            continue
        if isinstance(p.value, np.ndarray):
            v = p.value
            text = f"{v[0]:g}" if np.all(v == v[0]) else f"{v[0]:g}…{v[-1]:g}"
        elif isinstance(p.value, bool):
            text = str(p.value).lower()
        else:
            text = f"{p.value:.4g}"
            if p.low is not None and p.high is not None:
                text += f" ({p.low:.4g}–{p.high:.4g})"
        sector = next((s for s in SECTORS if f".{s}." in f".{key}."), None)
        prefix = f"{_SHORT[sector]}: " if sector else ""
        cells.append(prefix + text)
    return "; ".join(cells) if cells else "—"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
