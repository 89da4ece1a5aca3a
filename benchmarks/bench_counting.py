"""Benchmark the counting block: quantile functions against scipy, and a 1e6-draw sweep.

Prints times and ratios measured in the same run (no absolute targets): the fast exact
quantile functions against ``scipy.stats.poisson.ppf`` / ``binom.ppf`` and
``scipy.special.pdtrik``, and the whole counting block at one million draws processed in
chunks, as a sweep would.

Run from the repository root::

    python benchmarks/bench_counting.py [--draws 1000000] [--chunk 100000]
"""

from __future__ import annotations

import argparse
import time
import tomllib

import numpy as np
from scipy import special, stats

from jdmodel.counting import (
    binomial_quantile,
    noise_shapes,
    parameters_from_toml,
    poisson_quantile,
    simulate_counts,
)
from jdmodel.params.plan import load_plan


def best_of(fn, repeat: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_quantiles(n: int = 1_000_000, n_ref: int = 100_000) -> None:
    rng = np.random.default_rng(0)
    u = rng.random(n)
    print(f"quantile functions ({n:,} elements; scipy timed on {n_ref:,} and scaled)")
    print(f"{'case':34s} {'ours ns/el':>11s} {'scipy ns/el':>12s} {'speed-up':>9s}")
    for label, mu in (("poisson mu ~ U(0, 2)", rng.uniform(0, 2, n)),
                      ("poisson mu ~ U(0, 20)", rng.uniform(0, 20, n)),
                      ("poisson mu ~ U(20, 60)", rng.uniform(20, 60, n)),
                      ("poisson mu ~ U(100, 200) (scipy path)", rng.uniform(100, 200, n_ref))):
        m = mu.size
        ours = best_of(lambda m=m, mu=mu: poisson_quantile(u[:m], mu)) / m
        ref = best_of(lambda mu=mu: stats.poisson.ppf(u[:n_ref], mu[:n_ref]), 1) / n_ref
        pdtrik = best_of(lambda mu=mu: special.pdtrik(u[:n_ref], mu[:n_ref]), 1) / n_ref
        print(f"{label:34s} {ours * 1e9:11.1f} {ref * 1e9:12.1f} {ref / ours:8.1f}x"
              f"   (pdtrik alone {pdtrik * 1e9:.0f} ns/el)")
    for label, mean in (("binomial n in [20,200), np ~ 1", 1.0), ("binomial n in [20,200), np ~ 5", 5.0),
                        ("binomial n in [20,200), np ~ 15", 15.0)):
        nn = rng.integers(20, 200, n).astype(float)
        p = np.minimum(mean / nn * rng.uniform(0.5, 1.5, n), 1.0)
        ours = best_of(lambda nn=nn, p=p: binomial_quantile(u, nn, p)) / n
        ref = best_of(lambda nn=nn, p=p: stats.binom.ppf(u[:n_ref], nn[:n_ref], p[:n_ref]), 1) / n_ref
        print(f"{label:34s} {ours * 1e9:11.1f} {ref * 1e9:12.1f} {ref / ours:8.1f}x")


def bench_block(draws: int, chunk: int) -> None:
    plan = load_plan()                      # the default plan: its counting parameters, sectors and years
    with open(plan.folder / "baseline.toml", "rb") as fh:
        p = parameters_from_toml(tomllib.load(fh))
    S, T = len(plan.sector_ids), len(plan.years.levers)
    Y = T + 1
    lever = np.ones((1, S, T))
    inputs = dict(funds=2.0 * lever, talent=600.0 * lever, land=4.0 * lever,
                  output=np.linspace(1.0, 2.0, Y) * np.full((1, S, Y), 500.0),
                  infra=np.linspace(1.0, 1.6, Y)[None, :])

    def noise_for(start: int, size: int):
        rngs = {}

        def noise(stream: str, tail: tuple[int, ...]):
            seed = [7, start, sum(map(ord, stream))]
            rngs.setdefault(stream, np.random.default_rng(seed))
            return rngs[stream].random((size, *tail))
        return noise

    # the uniforms are drawn outside the timed region: the block's own cost is measured
    chunks = [(s, min(chunk, draws - s)) for s in range(0, draws, chunk)]
    pre = []
    for start, size in chunks:
        fn = noise_for(start, size)
        cache = {k: fn(k, v) for k, v in noise_shapes(S, T).items()}
        pre.append(lambda stream, tail, c=cache: c[stream])
    t0 = time.perf_counter()
    total = 0.0
    for noise in pre:
        out = simulate_counts(p, noise=noise, **inputs)
        total += float(out["enterprises"][:, :, 5].sum(axis=1).mean())
    elapsed = time.perf_counter() - t0
    simulate_counts(p, noise=None, **inputs)       # warm-up: the first call loads compiled code
    mean_path = min(_timed(lambda: simulate_counts(p, noise=None, **inputs)) for _ in range(5))
    variates = sum(int(np.prod(v)) for v in noise_shapes(S, T).values())
    print(f"\ncounting block: {draws:,} draws in chunks of {chunk:,}: {elapsed:.2f} s "
          f"({elapsed / draws * 1e6:.2f} µs per draw, {variates} uniforms per draw, "
          f"{elapsed / (draws * variates) * 1e9:.1f} ns per uniform); mean path alone {mean_path * 1e3:.1f} ms")
    u = np.random.default_rng(1).random(draws * variates // 10)
    mu = np.full(u.size, 5.0)
    ref = best_of(lambda: stats.poisson.ppf(u[:100_000], mu[:100_000]), 1) / 100_000
    print(f"the same number of uniforms through scipy.stats.poisson.ppf would take ≈ "
          f"{ref * draws * variates:.0f} s (ratio {ref * draws * variates / elapsed:.0f}x)")
    print(f"(check: mean enterprise total in lever year 5 ({plan.years.base + 5}) {total / len(pre):.1f})")


def _timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=100_000)
    args = ap.parse_args()
    bench_quantiles()
    bench_block(args.draws, args.chunk)


if __name__ == "__main__":
    main()
