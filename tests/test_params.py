"""Parameter files: loading, validation of malformed files, units, overrides, hashing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import jdmodel as jd
from jdmodel.errors import ParameterError
from jdmodel.params.loader import Param
from jdmodel.params.plan import load_plan

SECTORS = load_plan("jiading").sector_ids


BAD_DIR = Path(__file__).parent / "data" / "bad"
#: kind of file → where a bad file of that kind is put in a copy of the Jiading plan folder (a scenario is
#: checked where it lies: tests/data/bad/*.toml, extending the default plan's baseline)
PLACES = {"plan": "plan.toml", "targets": "targets.toml", "observed": "observed.toml", "market": "market.toml",
          "expost": "expost.toml", "policy": "policy.toml", "region": "io/region.toml",
          "concordance": "io/concordance.csv"}
CORPUS = [("scenario", p) for p in sorted(BAD_DIR.glob("*.toml"))] + [
    (kind, p) for kind in PLACES for p in sorted((BAD_DIR / kind).iterdir())]


def _expectations(path: Path) -> list[str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect:"), path
    return [part.strip() for part in first.removeprefix("# expect:").split("|")]


def place(kind: str, path: Path, folder: Path) -> Path:
    """The file to check: a scenario where it lies, any other kind in a copy of the Jiading plan under ``folder``."""
    import shutil

    from jdmodel.params.plan import plans_dir

    if kind == "scenario":
        return path
    plan = folder / "jiading"
    shutil.copytree(plans_dir() / "jiading", plan)
    target = plan / PLACES[kind]
    shutil.copyfile(path, target)
    return target


def test_the_corpus_covers_every_kind_of_file():
    from collections import Counter

    counts = Counter(kind for kind, _ in CORPUS)
    assert set(counts) == {"scenario", *PLACES}
    assert all(n >= 10 for n in counts.values()), counts
    assert len(CORPUS) >= 150
    assert len({p.read_bytes() for _, p in CORPUS}) == len(CORPUS)       # distinct inputs


@pytest.mark.parametrize("kind, path", CORPUS, ids=[f"{k}/{p.stem}" for k, p in CORPUS])
def test_malformed_file_is_rejected_naming_file_and_key(kind, path, tmp_path):
    from jdmodel.params.checkfile import check_file

    target = place(kind, path, tmp_path)
    with pytest.raises(ParameterError) as info:
        check_file(target, kind)
    message = str(info.value)
    for expected in _expectations(path):
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert target.name in message


def test_a_malformed_scenario_is_refused_by_load_scenario_too():
    with pytest.raises(ParameterError, match="levers.funds.ecommerce"):
        jd.load_scenario(BAD_DIR / "funds_1e308.toml")


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    f = tmp_path / "many.toml"
    f.write_text('extends = "baseline"\nlevers.funds.ecommerce = -1.0\nlevers.funds.nowhere = 1.0\n'
                 'sectors.ecommerce.alpha = "x"\n', encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        jd.load_scenario(f)
    assert len(info.value.problems) == 3
    assert all(str(f) in p for p in info.value.problems)


def test_every_number_in_shipped_files_has_unit_and_source():
    for name in jd.available_scenarios():
        sc = jd.load_scenario(name)
        for key, p in sc.params.items():
            assert p.unit or isinstance(p.value, str), key
            assert p.source and len(p.source) > 3, key
            if p.source.lower().startswith("assumption") and not isinstance(p.value, np.ndarray | bool):
                assert p.low is not None and p.high is not None, key


def test_shipped_scenarios_extend_baseline_and_differ():
    hashes = {name: jd.load_scenario(name).sha256 for name in jd.available_scenarios()}
    assert {"baseline", "no_new_policy", "plan", "funds_heavy", "talent_first", "land_constrained"} <= set(hashes)
    assert len(set(hashes.values())) == len(hashes)


def test_units_wan_yuan_equals_yi_yuan_and_mu_equals_hectare(tmp_path):
    yi = tmp_path / "yi.toml"
    wan = tmp_path / "wan.toml"
    yi.write_text('extends = "baseline"\n'
                  'levers.funds.ecommerce = { value = 3.5, unit = "亿元/yr", source = "test" }\n'
                  'district.land_budget = { value = 120.0, unit = "公顷", source = "test" }\n', encoding="utf-8")
    wan.write_text('extends = "baseline"\n'
                   'levers.funds.ecommerce = { value = 35000, unit = "万元/yr", source = "test" }\n'
                   'district.land_budget = { value = 1800, unit = "亩", source = "test" }\n', encoding="utf-8")
    a, b = jd.load_scenario(yi), jd.load_scenario(wan)
    np.testing.assert_allclose(a["levers.funds.ecommerce"], b["levers.funds.ecommerce"], rtol=1e-12)
    assert a["district.land_budget"] == pytest.approx(b["district.land_budget"], rel=1e-12)
    da, db = jd.simulate(a, io=False), jd.simulate(b, io=False)
    np.testing.assert_allclose(da.output.values, db.output.values, rtol=1e-12)


def test_yuan_converts_to_yi_yuan(baseline):
    sc = baseline.with_overrides({"levers.funds.ecommerce": {"value": 2e8, "unit": "元/yr", "source": "t"}})
    assert sc["levers.funds.ecommerce"][0] == pytest.approx(2.0)


def test_with_overrides_scalar_for_path_means_every_year(baseline):
    sc = baseline.with_overrides({"levers.funds.ecommerce": 30.0})
    np.testing.assert_array_equal(sc["levers.funds.ecommerce"], np.full(10, 30.0))
    assert sc.sha256 != baseline.sha256


def test_with_overrides_is_validated_like_a_file(baseline):
    with pytest.raises(ParameterError) as info:
        baseline.with_overrides({"levers.funds.ecommerce": -1, "sectors.nowhere.alpha": 0.3})
    text = str(info.value)
    assert "levers.funds.ecommerce" in text and "unknown sector 'nowhere'" in text


def test_path_with_years_holds_nearest_value(baseline):
    sc = baseline.with_overrides({"levers.talent.ecommerce": {"value": [100, 200], "years": [2023, 2024],
                                                              "unit": "人/yr", "source": "t"}})
    np.testing.assert_array_equal(sc["levers.talent.ecommerce"], [100, 100, 100, 200, 200, 200, 200, 200, 200, 200])


def test_extends_by_name_resolves_against_parameters_wherever_the_file_lives(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('extends = "plan"\nlevers.funds.ecommerce = 9.0\n', encoding="utf-8")
    sc = jd.load_scenario(f)
    assert sc["levers.funds.online_services"][0] == jd.load_scenario("plan")["levers.funds.online_services"][0]
    assert sc["levers.funds.ecommerce"][0] == 9.0


def test_hash_is_stable_and_independent_of_file_location(tmp_path):
    import shutil

    from jdmodel._paths import parameters_dir

    src = parameters_dir() / "plans" / "jiading" / "scenarios" / "plan.toml"
    dst = tmp_path / "plan.toml"
    shutil.copy(src, dst)
    assert jd.load_scenario(dst).sha256 == jd.load_scenario("plan").sha256
    assert len(jd.load_scenario("plan").sha256) == 64


def test_param_record_roundtrip():
    p = Param("a.b", np.array([1.0, 2.0]), "亿元/yr", "s")
    assert p.as_record()["value"] == [1.0, 2.0]


def test_sectors_are_the_plans_four_plus_online_services():
    assert SECTORS == ("industrial_internet", "online_entertainment", "ecommerce", "smart_transport",
                       "online_services")


def test_parameter_reference_in_docs_is_generated_from_the_schema():
    from jdmodel.params.reference import markdown

    doc = Path(__file__).parent.parent / "docs" / "parameters_reference.md"
    assert doc.read_text(encoding="utf-8") == markdown(), "regenerate: python -m jdmodel.params.reference"


@pytest.mark.parametrize("overrides", [{1: 2.0}, "levers.funds.ecommerce", [("levers.funds.ecommerce", 1.0)]])
def test_with_overrides_refuses_what_is_not_a_mapping_of_dotted_keys(baseline, overrides):
    with pytest.raises(ParameterError, match="with_overrides: expected a mapping of dotted keys"):
        baseline.with_overrides(overrides)


def test_with_overrides_takes_numpy_values_from_code(baseline):
    sc = baseline.with_overrides({"levers.funds.ecommerce": np.arange(10.0), "sectors.ecommerce.alpha": np.float64(0.3),
                                  "levers.talent.ecommerce": np.int64(200)})
    np.testing.assert_array_equal(sc["levers.funds.ecommerce"], np.arange(10.0))
    assert sc["levers.talent.ecommerce"][0] == 200.0
