"""Python's multiprocessing.Pool on the jobs of benches/procpool.rs.

The yardstick for handspun's process pool: the same four measurements
(proc_round_trip, proc_tiny_tasks, proc_map_coarse, proc_startup), the pool started with the
"fork" method (Linux's default before Python 3.14, and what handspun does),
W = the number of cores. Prints the median of several runs of each.

    python3 benches/python/mp_pool.py

Python integers never wrap, so cpu_bound's sums are exact here where the
Rust version wraps at 2**64: the work per job (5 million multiply-adds) is
the same, the printed sums are not compared.
"""

import multiprocessing as mp
import os
import sys
import statistics
import time

WORKERS = os.cpu_count() or 1
TINY_JOBS = 10_000
COARSE_INPUTS = [5_000_000 + x for x in range(20)]


def add(pair):
    return pair[0] + pair[1]


def cpu_bound(number):
    # The tutorial's function.
    return sum(i * i for i in range(number))


def median_seconds(run, repeats):
    """Runs `run` `repeats` times; the median wall time in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def main():
    ctx = mp.get_context("fork")
    pairs = [(i, i + 1) for i in range(TINY_JOBS)]
    results = []
    with ctx.Pool(WORKERS) as pool:
        # round_trip: one tiny job, submit to result. Median of 200 batches
        # of 50 calls, per call.
        pool.apply(add, ((1, 2),))  # warm up
        per_call = median_seconds(
            lambda: [pool.apply(add, ((1, 2),)) for _ in range(50)], 200
        ) / 50
        results.append(("proc_round_trip", "apply (one job)", per_call))

        # tiny_tasks: 10_000 jobs one by one, then through map.
        results.append((
            "proc_tiny_tasks", "apply_async x 10_000",
            median_seconds(
                lambda: [r.get() for r in
                         [pool.apply_async(add, (p,)) for p in pairs]],
                10),
        ))
        results.append((
            "proc_tiny_tasks", "map (default chunksize)",
            median_seconds(lambda: pool.map(add, pairs), 10),
        ))

        # map_coarse: the cpu workload, chunksize 1 as in the Rust bench.
        results.append((
            "proc_map_coarse", "map (chunksize 1)",
            median_seconds(lambda: pool.map(cpu_bound, COARSE_INPUTS, 1), 3),
        ))
    results.append((
        "proc_map_coarse", "sync (for loop)",
        median_seconds(lambda: [cpu_bound(n) for n in COARSE_INPUTS], 3),
    ))

    # startup: create a pool of W workers and shut it down.
    def start_and_stop():
        pool = ctx.Pool(WORKERS)
        pool.close()
        pool.join()

    results.append(("proc_startup", f"Pool({WORKERS}) + close + join",
                    median_seconds(start_and_stop, 20)))

    print(f"Python {sys.version.split()[0]}, multiprocessing.Pool "
          f"(fork), {WORKERS} workers, {os.cpu_count()} cores")
    for group, how, seconds in results:
        print(f"{group:<16} {how:<32} median {fmt(seconds)}")


if __name__ == "__main__":
    main()
