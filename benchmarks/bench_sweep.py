"""Sweep speed against the limit and against the previous release, measured in one run.

Every figure is timed in a fresh interpreter (imports, compiled-code caches and tables warmed by
a small run first), one after the other in the same session on the same machine:

(a) the previous release's engine (commit 9e58651, extracted with ``git archive`` to a temporary
    directory and put first on ``PYTHONPATH``): ``jd.sweep("plan", draws=N)``;
(b) this engine: ``jd.sweep("plan", draws=N, workers=1)`` and with every core (the default, threads),
    and the same chunks on a pool of forked processes, merged in the parent (the alternative to
    threads);
(c) the limit: ``benchmarks/reference.py``, the whole sweep as one fused compiled loop per draw,
    on one thread and on every core; its P(reach) is compared with the engine's (equal to the bit
    when it computes the same model; the script ends with an error when they differ);
(d) peak resident memory of a sweep of 10 N draws;
(e) one central ``jd.simulate`` with the input–output block, and a 500-draw dashboard update
    (``with_overrides`` + ``simulate`` + ``assess``), best of 20 after warm-up, this engine and (a).

The full chain over the plan's years (growth + counting), ``plan`` scenario of the default plan,
LHS design, seed 1, input–output block off, as ``jdmodel run --draws``. Sectors, years and
indicators come from the scenario's plan. Nothing is asserted; the figures go into
benchmarks/README.md.

(f) with ``--ema N``: N draws one at a time through EMA Workbench's SequentialEvaluator calling
    ``jd.simulate`` with overrides (what a user of that tool would write), for the per-draw
    throughput ratio against (b) (needs ``pip install ema_workbench``).

With ``--breakdown N`` it prints only where the CPU time of a draw goes (inputs, growth, counting,
reductions), in the engine (chunks of 4096 draws, one thread) and in the reference loop.

Usage: ``python benchmarks/bench_sweep.py [--draws 1000000] [--skip-old] [--skip-memory] [--ema 200]``
or ``python benchmarks/bench_sweep.py --breakdown 100000``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD = "9e58651"

_SWEEP = """
import json, time, jdmodel as jd
kw = {extra}
jd.sweep("plan", draws=2000, seed=0, progress=False, **kw)        # warm-up: imports, caches, tables
c, t = time.process_time(), time.perf_counter()
red = jd.sweep("plan", draws={n}, seed=1, progress=False, **kw)
dt, dc = time.perf_counter() - t, time.process_time() - c
print(json.dumps({{"seconds": dt, "cpu": dc,
                  "p_reach": dict(zip(map(str, red.target.values), map(float, red.p_reach.values)))}}))
"""

_PROCESSES = """
import json, multiprocessing as mp, time
from concurrent.futures import ProcessPoolExecutor
import jdmodel as jd
from jdmodel.uncertainty.sweep import _chunk, default_chunk

sc = jd.load_scenario("plan")
years = sc.plan.years.all

def part(bounds):
    c = time.process_time()
    red = _chunk(sc, {n}, 1, "lhs", *bounds, False, False, years)[0]
    return red, time.process_time() - c            # the worker's CPU time for this chunk

def run(n_draws, pool):
    c = default_chunk(n_draws, {cores})
    red, spent = None, 0.0
    for r, used in pool.map(part, [(a, min(a + c, n_draws)) for a in range(0, n_draws, c)]):
        red = r if red is None else red.merge(r)
        spent += used
    return red, spent

pool = ProcessPoolExecutor({cores}, mp_context=mp.get_context("fork"))
list(pool.map(part, [(a, a + 100) for a in range(0, 100 * 4 * {cores}, 100)]))   # warm-up (tables, caches)
c, t = time.process_time(), time.perf_counter()
red, spent = run({n}, pool)
dt = time.perf_counter() - t
pool.shutdown(wait=True)
print(json.dumps({{"seconds": dt, "cpu": spent + time.process_time() - c}}))
"""

_REFERENCE = """
import json, sys, time
sys.path.insert(0, {bench!r})
import jdmodel as jd, reference
sc = jd.load_scenario("plan")
reference.run(sc, 2000, 0, {threads})
c, t = time.process_time(), time.perf_counter()
r = reference.run(sc, {n}, 1, {threads})
print(json.dumps({{"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "p_reach": r["p_reach"],
                  "undecided": r["undecided"]}}))
"""

_MEMORY = """
import json, resource, time, jdmodel as jd
t = time.perf_counter()
jd.sweep("plan", draws={n}, seed=1, progress=False)
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

_BREAKDOWN = """
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
import jdmodel as jd, reference
from jdmodel import engine
from jdmodel.params.scenario import options
from jdmodel.pipeline.sampling import sample_values
from jdmodel.pipeline.simulate import run_engine
from jdmodel.uncertainty.rng import KeyedNoise
from jdmodel.uncertainty.sweep import DEFAULT_CHUNK, empty_reductions, indicators

sc = jd.load_scenario("plan")
n, seed = {n}, 1

def engine_parts(n):
    red = None
    spent = dict(inputs=0.0, growth=0.0, counting=0.0, reductions=0.0)
    for a in range(0, n, DEFAULT_CHUNK):
        b = min(a + DEFAULT_CHUNK, n)
        idx = np.arange(a, b, dtype=np.int64)
        c = time.process_time()
        values = sample_values(sc, n, seed, "lhs", a, b)[0]
        c1 = time.process_time()
        engine.run({{k: v for k, v in values.items() if not k.startswith("counting.")}}, plan=sc.plan,
                   totals=sc.targets.total_of, options=options(sc), detail=False)
        c2 = time.process_time()
        # as a sweep's chunk runs it: uniforms drawn in the counting loop, no detail
        out = run_engine(sc, values, noise=KeyedNoise(seed, idx, prefix="counting."), detail=False)
        c3 = time.process_time()
        if red is None:
            red = empty_reductions(out, sc.plan.years.all, sc.targets, n, indicators(sc.plan))
        red.add(out, a)
        c4 = time.process_time()
        spent["inputs"] += c1 - c
        spent["growth"] += c2 - c1
        spent["counting"] += (c3 - c2) - (c2 - c1)      # the whole engine minus its growth block
        spent["reductions"] += c4 - c3
    return spent

engine_parts(8192)                                        # warm-up
eng = {{k: 1e6 * v / n for k, v in engine_parts(n).items()}}
pr = reference.prepare(sc, n, seed)
reference.run_range(pr, 0, 2000, reference._accumulators(pr))
stage = []
for k in (1, 2, 3, 4):
    c = time.process_time()
    reference.run_range(pr, 0, n, reference._accumulators(pr), stages=k)
    stage.append(1e6 * (time.process_time() - c) / n)
ref = dict(design=stage[0], growth=stage[1] - stage[0], counting=stage[2] - stage[1], reductions=stage[3] - stage[2])
print(json.dumps({{"engine": eng, "reference": ref}}))
"""

_INTERACTIVE = """
import json, time, jdmodel as jd
sc = jd.load_scenario("plan")

def best(f, repeat=20):
    f(); f()
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); f(); out.append(time.perf_counter() - t)
    return min(out)

central = best(lambda: jd.simulate(sc))
level = [5.0]

def update():
    level[0] = 11.0 - level[0]                           # every update moves a slider
    sc2 = sc.with_overrides({{"levers.funds.ecommerce": level[0]}})
    jd.assess(jd.simulate(sc2, draws=500, seed=1, io=False))

print(json.dumps({{"central_io_ms": 1e3 * central, "dashboard_500_ms": 1e3 * best(update)}}))
"""


def bench_ema(n: int) -> float | None:
    """Seconds for ``n`` draws through EMA Workbench's SequentialEvaluator (None if not installed)."""
    import logging
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench import Model, RealParameter, Samplers, ScalarOutcome, SequentialEvaluator
            from ema_workbench.util import ema_logging
    except ImportError:
        return None

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


def child(code: str, pythonpath: str | None = None, env_extra: dict | None = None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    # run outside the repository: ``python -c`` puts the working directory first on sys.path, which
    # would shadow the previous release's tree given on PYTHONPATH
    code = "import jdmodel as _jd; print('jdmodel from', _jd.__file__)\n" + code
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir())
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    lines = out.stdout.strip().splitlines()
    where = lines[0].split("jdmodel from ", 1)[1]
    expected = Path(pythonpath or ROOT).resolve()
    if not Path(where).resolve().is_relative_to(expected):
        raise RuntimeError(f"the child imported jdmodel from {where}, expected it under {expected}")
    return json.loads(lines[-1])


def old_tree() -> str:
    """The previous release's source tree (``git archive`` of the commit into a temporary directory)."""
    path = Path(tempfile.gettempdir()) / f"jdmodel-{OLD}"
    if not (path / "jdmodel" / "__init__.py").is_file():
        path.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive.stdout, check=True)
    return str(path)


def idle_fraction(seconds: float = 2.0) -> float:
    """Share of CPU time spent idle over ``seconds`` (Linux /proc/stat), to tell a quiet machine."""
    def snap():
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return (i1 - i0) / max(t1 - t0, 1)


def interactive(old: str | None) -> None:
    """Print one central simulate with IO and one 500-draw dashboard update, this tree and (given) the old one."""
    inter = child(_INTERACTIVE.format())
    line = (f"\ncentral simulate with IO: {inter['central_io_ms']:.1f} ms; "
            f"500-draw dashboard update (model time): {inter['dashboard_500_ms']:.1f} ms")
    if old:
        before = child(_INTERACTIVE.format(), old)
        line += (f"\n  9e58651: {before['central_io_ms']:.1f} ms and {before['dashboard_500_ms']:.1f} ms "
                 f"(ratios {before['central_io_ms'] / inter['central_io_ms']:.1f}x, "
                 f"{before['dashboard_500_ms'] / inter['dashboard_500_ms']:.1f}x)")
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--skip-old", action="store_true", help="do not time the previous release")
    ap.add_argument("--skip-memory", action="store_true", help="do not run the 10 N memory sweep")
    ap.add_argument("--ema", type=int, default=0, metavar="N", help="also time N draws through EMA Workbench")
    ap.add_argument("--breakdown", type=int, default=0, metavar="N",
                    help="only: CPU time per draw of each stage (inputs, growth, counting, reductions) over N draws, "
                         "engine (4096-draw chunks, one thread) and reference loop")
    ap.add_argument("--interactive", action="store_true",
                    help="only: a central simulate with IO and a 500-draw dashboard update, this tree and the "
                         "previous release, each best of 20 in a fresh interpreter")
    args = ap.parse_args()
    if args.interactive:
        print(f"machine idle {idle_fraction():.0%} before the run", flush=True)
        for _ in range(2):
            interactive(None if args.skip_old else old_tree())
        print(f"machine idle {idle_fraction():.0%} after the run")
        return
    if args.breakdown:
        parts = child(_BREAKDOWN.format(bench=str(ROOT / "benchmarks"), n=args.breakdown))
        for who, stages in parts.items():
            print(f"{who:10s} " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
                  + f"  (µs of CPU per draw; total {sum(stages.values()):.2f})")
        return
    n = args.draws
    cores = len(os.sched_getaffinity(0))
    print(f"python {platform.python_version()}, {cores} cores, machine idle {idle_fraction():.0%} before the run; "
          f"N = {n:,} draws of the plan scenario (growth + counting, 2020-2030, LHS, IO off)\n", flush=True)
    res: dict[str, dict] = {}
    old = None if args.skip_old else old_tree()
    runs = [("new, 1 worker", _SWEEP.format(n=n, extra='{"workers": 1}'), None),
            (f"new, {cores} workers", _SWEEP.format(n=n, extra="{}"), None),
            (f"new, {cores} processes (fork)", _PROCESSES.format(n=n, cores=cores), None),
            ("reference, 1 thread", _REFERENCE.format(bench=str(ROOT / "benchmarks"), n=n, threads=1), None),
            (f"reference, {cores} threads", _REFERENCE.format(bench=str(ROOT / "benchmarks"), n=n, threads=cores), None)]
    if old:
        runs.insert(0, (f"9e58651 (previous release), {n:,} draws", _SWEEP.format(n=n, extra="{}"), old))
    for label, code, path in runs:
        res[label] = child(code, path)
        r = res[label]
        print(f"{label:42s} {r['seconds']:8.2f} s   {n / r['seconds']:>10,.0f} draws/s   "
              f"CPU {r['cpu']:7.2f} s  ({1e6 * r['cpu'] / n:5.2f} µs/draw, {r['cpu'] / r['seconds']:.2f} cores obtained)",
              flush=True)
    t = {k: v["seconds"] for k, v in res.items()}
    new1, new_all = t["new, 1 worker"], t[f"new, {cores} workers"]
    ref1, ref_all = t["reference, 1 thread"], t[f"reference, {cores} threads"]
    ratios = {
        "second core(s): new 1 worker / all": new1 / new_all,
        "threads against processes: processes / threads": t[f"new, {cores} processes (fork)"] / new_all,
        "new (all cores) / reference (all cores)": new_all / ref_all,
        "new (1 worker) / reference (1 thread)": new1 / ref1,
    }
    if old:
        t_old = t[f"9e58651 (previous release), {n:,} draws"]
        ratios["9e58651 / new (all cores)"] = t_old / new_all
    c = {k: v["cpu"] for k, v in res.items()}
    cpu_ratios = {"CPU time: new (1 worker) / reference (1 thread)": c["new, 1 worker"] / c["reference, 1 thread"]}
    if old:
        cpu_ratios["CPU time: 9e58651 / new (1 worker)"] = c[f"9e58651 (previous release), {n:,} draws"] / c["new, 1 worker"]
    same = res["reference, 1 thread"]["p_reach"] == res["new, 1 worker"]["p_reach"]
    print(f"\nreference and engine give the same P(reach) to the bit: {same} "
          f"(draws with a quantile left to scipy in the reference: {res['reference, 1 thread']['undecided']})")
    for k, v in {**ratios, **cpu_ratios}.items():
        print(f"{k:52s} {v:6.2f}x")
    if not args.skip_memory:
        mem = child(_MEMORY.format(n=10 * n))
        print(f"\nsweep of {10 * n:,} draws (fresh process, all cores): {mem['seconds']:.1f} s, "
              f"peak RSS {mem['peak_MiB']:.0f} MiB")
    interactive(old)
    if args.ema:
        t_ema = bench_ema(args.ema)
        if t_ema is None:
            print("\nEMA Workbench not installed (pip install ema_workbench): per-draw comparison skipped")
        else:
            print(f"\nEMA Workbench, {args.ema} draws one at a time: {t_ema:.2f} s ({args.ema / t_ema:.0f} draws/s); "
                  f"per-draw throughput of the sweep (all cores) {n / new_all / (args.ema / t_ema):,.0f}x")
    print(f"\nmachine idle {idle_fraction():.0%} after the run")
    if not same:
        raise SystemExit("the reference loop's P(reach) differs from the engine's: benchmarks/reference.py no longer "
                         "computes the engine's model (update it to jdmodel/engine.py and the counting kernel)")


if __name__ == "__main__":
    main()
