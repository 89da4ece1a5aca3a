"""The rules every file goes through: bounds, and random corrupt files that never give a traceback or an inf.

A scenario file is built from the schema (every key of a shipped plan, Jiading or Yangpu, with a
value drawn within its bounds or the baseline's, some with a range or a distribution), then corrupted at random: a
wrong type, NaN or inf, a huge or tiny number, a value out of bounds, a bad unit or distribution, a
missing field, an unknown key or field, a list of the wrong length. Loading it may only raise a
ParameterError; when it is accepted, a run may only raise a ModelError, and otherwise gives finite
numbers everywhere. Files of the other kinds of both plans are corrupted the same way and must
give a ParameterError or be accepted, never a traceback. Yangpu runs fewer examples than Jiading.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jdmodel as jd
from jdmodel.errors import ModelError, ParameterError
from jdmodel.params.checkfile import check_file
from jdmodel.params.leaf import bounds_of
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.plan import load_plan, plans_dir
from jdmodel.params.rules import Bounds, number
from jdmodel.params.schema import SCHEMA, concrete_keys, pattern_of
from jdmodel.params.units import canonical_unit

PLAN = load_plan("jiading")
BASE = jd.load_scenario("baseline")
KEYS = [k for k in concrete_keys(PLAN) if k in BASE.params]
SAFE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])


@dataclass(frozen=True)
class Shipped:
    """A shipped plan, its baseline and the schema keys the baseline sets."""

    plan: object
    base: object
    keys: tuple[str, ...]


def _shipped(plan_id: str) -> Shipped:
    plan = load_plan(plan_id)
    base = jd.load_scenario("baseline", plan=plan)
    return Shipped(plan, base, tuple(k for k in concrete_keys(plan) if k in base.params))


#: the shipped plans the corrupt-file tests run on, each with its number of examples (Yangpu fewer: a second
#: plan's files add coverage of its own keys and sectors, not of the rules, which Jiading's examples cover)
SHIPPED = {"jiading": (Shipped(PLAN, BASE, tuple(KEYS)), 30), "yangpu": (_shipped("yangpu"), 20)}


def test_both_shipped_plans_are_fuzzed():
    assert sorted(SHIPPED) == sorted(p.name for p in plans_dir().iterdir() if (p / "plan.toml").is_file())
    ctx = SHIPPED["yangpu"][0]
    assert ctx.plan.id == "yangpu" and ctx.base.plan.id == "yangpu"
    assert "sectors.cloud_software.tfp_growth" in ctx.keys and "sectors.ecommerce.tfp_growth" not in ctx.keys


# --- the bounds ---------------------------------------------------------------------------------

def test_bounds_words():
    b = Bounds(0.0, 1.0, open_max=True)
    assert b.violation(-1) == "non-negative" and b.violation(1.0) == "< 1" and b.violation(0.5) is None
    assert Bounds(0.0, None, open_min=True).violation(0.0) == "positive"
    assert b.text("1/yr") == "≥ 0 and < 1 1/yr"


@pytest.mark.parametrize("x, words", [(True, "expected a number"), ("3", "expected a number"),
                                      (float("nan"), "not finite"), (float("-inf"), "not finite"),
                                      (10**400, "an integer of 401 digits is not finite"),
                                      (2.0, "must be ≤ 1")])
def test_number_refuses_what_is_not_a_number_within_bounds(x, words):
    p = Problems("f.toml")
    assert number(x, "a.b", p, Bounds(0.0, 1.0)) is None
    assert words in p.items[0] and p.items[0].startswith("f.toml: a.b: ")


def test_every_key_has_both_bounds_and_the_baseline_lies_within_them():
    for pattern, spec in SCHEMA.items():
        if spec.dimension in ("bool", "choice"):
            continue
        assert spec.min is not None and spec.max is not None, pattern
    for key, p in BASE.params.items():
        spec = SCHEMA[pattern_of(key, PLAN)]
        if spec.dimension in ("bool", "choice"):
            continue
        for v in np.atleast_1d(p.value):
            assert bounds_of(spec).violation(float(v)) is None, key


# --- random files from the schema, corrupted ----------------------------------------------------

def dumps(tree: Mapping) -> str:
    """TOML text: every top-level key a dotted, quoted key with an inline value (NaN and inf as TOML writes them)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, Mapping):
            return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(str(v), ensure_ascii=False)

    return "".join(f"{'.'.join(json.dumps(p, ensure_ascii=False) for p in k.split('.'))} = {value(v)}\n"
                   for k, v in tree.items())


def _draw_value(draw, ctx: Shipped, key: str, anywhere: bool):
    """A central value for ``key``: the baseline's, or (``anywhere``) one drawn within the key's bounds."""
    p, spec = ctx.base.params[key], SCHEMA[pattern_of(key, ctx.plan)]
    if isinstance(p.value, bool | str):
        return p.value
    central = np.asarray(p.value, dtype=float)
    if central.ndim == 0 and anywhere:
        lo, hi = spec.min, spec.max * (0.999 if spec.open_max else 1.0)
        lo = lo * 1.001 + 1e-9 if spec.open_min else lo
        return draw(st.floats(lo, hi, allow_nan=False))
    return central.tolist() if central.ndim else float(central)


def _table(draw, ctx: Shipped, key: str, anywhere: bool) -> dict:
    spec, value = SCHEMA[pattern_of(key, ctx.plan)], _draw_value(draw, ctx, key, anywhere)
    table = {"value": value, "source": "test"}
    if spec.dimension not in ("bool", "choice"):
        table["unit"] = canonical_unit(spec.dimension)
    if isinstance(value, float) and draw(st.integers(0, 9)) == 0:        # a range, sometimes a distribution
        b = bounds_of(spec)
        lo = max(spec.min, value - abs(value) * 0.2 - 1e-3)
        hi = min(spec.max, value + abs(value) * 0.2 + 1e-3)
        if b.violation(lo) is None and b.violation(hi) is None and lo < hi:
            table.update(low=lo, high=hi)
            table.update(draw(st.sampled_from([{}, {"dist": "uniform"}, {"dist": "pert"},
                                               {"dist": "truncnorm", "sd": (hi - lo) / 2},
                                               {"dist": "normal", "sd": (hi - lo) / 3}])))
    return table


BAD_VALUES = st.sampled_from(["text", True, [1, 2], {"a": 1}, float("nan"), float("inf"), float("-inf"), 1e308,
                              -1e308, 1e-320, -1.0, 0.0, 1e9, 10**30])


@st.composite
def corrupted_scenario(draw, ctx: Shipped):
    tree = {"name": "random"}
    anywhere = set(draw(st.lists(st.sampled_from(ctx.keys), max_size=8)))   # the others keep the baseline's value
    for key in ctx.keys:
        tree[key] = _table(draw, ctx, key, key in anywhere)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        key = draw(st.sampled_from(ctx.keys))
        table = tree[key]
        how = draw(st.sampled_from(["value", "unit", "dist", "drop", "unknown_key", "unknown_field", "length",
                                    "years", "range"]))
        if how == "value":
            table["value"] = draw(BAD_VALUES)
        elif how == "unit":
            table["unit"] = draw(st.sampled_from(["USD", "公顷", "人/yr", "亿元", "", 3]))
        elif how == "dist":
            table.update(draw(st.sampled_from([{"dist": "weibull"}, {"dist": "normal", "sd": 1.0},
                                               {"dist": "lognormal", "sigma": 2.0}, {"dist": "triangular"},
                                               {"dist": "pert", "low": 0.0, "high": 1e308},
                                               {"dist": "uniform", "low": -1e9, "high": 1e9}])))
        elif how == "drop":
            table.pop(draw(st.sampled_from(["value", "unit", "source"])), None)
        elif how == "unknown_key":
            tree[key + "x"] = table
        elif how == "unknown_field":
            table["vaule"] = 1
        elif how == "length":
            table["value"] = [1.0] * draw(st.integers(0, 12))
        elif how == "years":
            table["years"] = draw(st.sampled_from([[2021, 2022], [2019, 2040], [True, 2022], [2022]]))
        else:
            table.update(low=draw(BAD_VALUES), high=draw(BAD_VALUES))
    return tree


def _finite(ds) -> bool:
    return all(np.isfinite(ds[v].values).all() for v in ds.data_vars if ds[v].dtype.kind == "f")


@pytest.mark.slow
@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_a_corrupt_scenario_is_refused_or_runs_to_finite_numbers(tmp_path_factory, plan_id):
    ctx, examples = SHIPPED[plan_id]

    @settings(SAFE, max_examples=examples)
    @given(tree=corrupted_scenario(ctx), draws=st.sampled_from([1, 1, 4]))
    def check(tree, draws):
        f = tmp_path_factory.mktemp("fuzz") / "random.toml"
        f.write_text(dumps(tree), encoding="utf-8")
        try:
            sc = jd.load_scenario(f, plan=ctx.plan)
        except ParameterError:
            return
        assert sc.plan.id == plan_id
        try:
            ds = jd.simulate(sc, draws=draws, seed=1, io=draws == 1)
        except ModelError:
            return
        assert _finite(ds)

    check()


# --- the other kinds of file, corrupted at a random place -----------------------------------------

_FILES = {"plan": "plan.toml", "targets": "targets.toml", "observed": "observed.toml", "market": "market.toml",
          "expost": "expost.toml", "policy": "policy.toml", "region": "io/region.toml"}
_COPIES = count()


def _paths(tree, prefix=()):
    """Every place in a parsed TOML tree: (path to it, its value)."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for k, v in items:
        yield (*prefix, k), v
        if isinstance(v, dict | list):
            yield from _paths(v, (*prefix, k))


def _kinds(plan_id: str) -> list[str]:
    """The kinds of file of :data:`_FILES` the plan has (Yangpu has no market.toml)."""
    return sorted(k for k, name in _FILES.items() if (plans_dir() / plan_id / name).is_file())


@st.composite
def corrupted_file(draw, plan_id: str):
    kind = draw(st.sampled_from(_kinds(plan_id)))
    tree = read_toml(plans_dir() / plan_id / _FILES[kind])
    places = [p for p, _ in _paths(tree)]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(places))
        parent = tree
        try:
            for k in path[:-1]:
                parent = parent[k]
            how = draw(st.sampled_from(["value", "drop", "unknown"]))
            if how == "value":
                parent[path[-1]] = draw(BAD_VALUES)
            elif how == "drop":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent["unknown_" + str(path[-1])] = draw(BAD_VALUES)
        except (KeyError, IndexError, TypeError):     # an earlier corruption removed or replaced the place
            continue
    return kind, tree


def test_the_shipped_files_pass_the_check_the_fuzzing_uses():
    """Without corruption every kind of file of both plans is accepted: a refusal in the fuzzing is the corruption's."""
    assert "market" not in _kinds("yangpu") and "market" in _kinds("jiading")
    for plan_id in SHIPPED:
        for kind in _kinds(plan_id):
            assert "OK" in check_file(plans_dir() / plan_id / _FILES[kind], kind)


@pytest.mark.slow
@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_a_corrupt_file_of_any_kind_is_refused_or_accepted_never_a_traceback(tmp_path_factory, plan_id):
    @settings(SAFE, max_examples=SHIPPED[plan_id][1])
    @given(case=corrupted_file(plan_id))
    def check(case):
        kind, tree = case
        folder = tmp_path_factory.mktemp("plan") / f"p{next(_COPIES)}"
        shutil.copytree(plans_dir() / plan_id, folder)
        target = folder / _FILES[kind]
        target.write_text(dumps(tree), encoding="utf-8")
        try:
            check_file(target, kind)
        except (ParameterError, ModelError):
            pass

    check()


@pytest.mark.slow
@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_a_corrupt_concordance_is_refused_or_accepted_never_a_traceback(tmp_path_factory, plan_id):
    ctx, examples = SHIPPED[plan_id]

    @settings(SAFE, max_examples=examples)
    @given(rows=st.lists(st.tuples(st.sampled_from([*ctx.plan.sector_ids, "robots", ""]),
                                   st.sampled_from(["31", "28", "99", ""]),
                                   st.sampled_from(["0.5", "1", "nan", "inf", "-1", "x", "", "1e308"]),
                                   st.sampled_from(["0", "0.2", "nan", ""]), st.sampled_from(["1", "1.5", "inf"]),
                                   st.sampled_from(["1", "%", ""]), st.sampled_from(["s", ""])), max_size=12))
    def check(rows):
        folder = tmp_path_factory.mktemp("conc") / f"p{next(_COPIES)}"
        shutil.copytree(plans_dir() / plan_id, folder)
        f: Path = folder / "io" / "concordance.csv"           # inside a copy of the plan: its sectors apply
        f.write_text("focus_sector,io_code,share,low,high,unit,source\n"
                     + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
        try:
            summary = check_file(f, "concordance")
        except ParameterError:
            return
        assert f"plan {plan_id!r}" in summary

    check()
