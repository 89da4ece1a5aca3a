"""Sweep throughput and memory, reported as ratios measured in one run on this machine.

(a) jdmodel's streaming sweep over N draws of the full 2020–2030 model (growth + counting;
    the input–output block off, as in ``jdmodel run --draws``);
(b) the same kind of design evaluated one draw at a time through EMA Workbench's
    SequentialEvaluator calling ``jd.simulate`` with overrides — what a user of that tool
    would write — at a smaller N;
(c) peak resident memory of a sweep at N = 1e6 and 1e7 (each in a fresh process).

Usage: ``python benchmarks/bench_sweep.py [--quick]`` (needs ``pip install ema_workbench`` for (b)).
Nothing here is asserted; the figures go into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings


def bench_jdmodel(n: int, chunks: int) -> float:
    import jdmodel as jd

    jd.sweep("plan", draws=1000, seed=0, progress=False)  # warm-up (imports, caches)
    t = time.perf_counter()
    jd.sweep("plan", draws=n, seed=1, chunks=chunks, progress=False)
    return time.perf_counter() - t


def bench_ema(n: int) -> float | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench import Model, RealParameter, Samplers, ScalarOutcome, SequentialEvaluator
            from ema_workbench.util import ema_logging
    except ImportError:
        return None
    import logging

    import jdmodel as jd
    from jdmodel.pipeline.sampling import uncertain_parameters

    ema_logging.log_to_stderr(logging.WARNING)
    sc = jd.load_scenario("plan")
    specs = uncertain_parameters(sc)
    names = {f"p{i}": key for i, (key, _) in enumerate(specs)}

    def model(**kw):
        ds = jd.simulate(sc.with_overrides({names[k]: v for k, v in kw.items()}), io=False)
        return {"output_2025": float(ds.online_economy_output.sel(year=2025))}

    m = Model("jdmodel", function=model)
    m.uncertainties = [RealParameter(f"p{i}", t["low"], t["high"]) for i, (_, t) in enumerate(specs)]
    m.outcomes = [ScalarOutcome("output_2025")]
    t = time.perf_counter()
    with SequentialEvaluator(m) as ev:
        ev.perform_experiments(scenarios=n, uncertainty_sampling=Samplers.LHS)
    return time.perf_counter() - t


_CHILD = """
import resource, time, jdmodel as jd
t = time.perf_counter()
jd.sweep("plan", draws={n}, seed=1, chunks={chunks}, progress=False)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_memory(n: int, chunks: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(n=n, chunks=chunks)], capture_output=True,
                         text=True, check=True)
    secs, mib = out.stdout.split()
    return float(secs), float(mib)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = ap.parse_args()
    n_a, n_b, sizes = (100_000, 20, (100_000,)) if args.quick else (1_000_000, 200, (1_000_000, 10_000_000))
    chunks = 20_000
    t_a = bench_jdmodel(n_a, chunks)
    res = {"jdmodel_draws": n_a, "jdmodel_seconds": round(t_a, 2), "jdmodel_draws_per_s": round(n_a / t_a)}
    t_b = bench_ema(n_b)
    if t_b is not None:
        res.update(ema_draws=n_b, ema_seconds=round(t_b, 2), ema_draws_per_s=round(n_b / t_b, 1),
                   throughput_ratio=round((n_a / t_a) / (n_b / t_b)))
    for n in sizes:
        secs, mib = peak_memory(n, chunks)
        res[f"peak_rss_MiB_at_{n:.0e}"] = round(mib)
        res[f"seconds_at_{n:.0e}"] = round(secs, 1)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
