//! Process-pool benchmarks (WORKLOADS.md, "Micro-benchmarks"): what a job
//! costs when it must cross a process boundary.
//!
//! Groups, each with the same work done four ways — `handspun` (the process
//! pool), `sync` (a plain loop on this thread), `threadpool` (handspun's
//! thread pool, W workers) and `std_scope` (`std::thread::scope`, one thread
//! per chunk):
//!
//! - `proc_round_trip`: one tiny job, submit to result (latency);
//! - `proc_tiny_tasks`: 10_000 tiny jobs (per-job overhead), also through
//!   `map` with Python's default chunk size (`handspun_map`);
//! - `proc_map_coarse`: the cpu workload, `cpu_bound(5_000_000 + x)` for x
//!   in 0..20;
//! - `proc_startup`: create a pool of W workers and shut it down; beside it,
//!   `bare_fork` forks W children that exit at once and reaps them, from
//!   this one thread — the floor under any pool of forked workers.
//!
//! The groups start with `proc_` so that they never share a name with the
//! thread pool's (`benches/threadpool.rs`): criterion files results by group
//! and function, and two benches with one group name would overwrite each
//! other's results in `target/criterion/`.
//!
//! W = the number of cores. Run with
//! `cargo bench --bench procpool -- --warm-up-time 1 --measurement-time 3`.
//! Python's `multiprocessing.Pool` on the same jobs: `benches/python/mp_pool.py`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
// The cpu workload's job, the very function `handspun compare` runs.
use handspun::procpool::ProcessPool;
use handspun::threadpool::ThreadPool;
use handspun::workloads::cpu::cpu_bound;

/// The tiny job: add two numbers.
fn add(pair: (u64, u64)) -> u64 {
    pair.0 + pair.1
}

/// The cpu workload's inputs.
fn coarse_inputs() -> Vec<u64> {
    (0..20).map(|x| 5_000_000 + x).collect()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `f` over `items` on `threads` scoped threads, one contiguous chunk
/// each, results in input order.
fn std_scope_map<T: Sync, R: Send>(threads: usize, items: &[T], f: fn(&T) -> R) -> Vec<R> {
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap())
            .collect()
    })
}

fn round_trip(c: &mut Criterion) {
    let pool = ProcessPool::new(cores()).unwrap();
    let mut group = c.benchmark_group("proc_round_trip");
    group.bench_function("handspun", |b| {
        b.iter(|| pool.submit(add, black_box((1, 2))).join().unwrap())
    });
    group.bench_function("sync", |b| b.iter(|| add(black_box((1, 2)))));
    let threads = ThreadPool::new(cores());
    group.bench_function("threadpool", |b| {
        b.iter(|| threads.submit(|| add(black_box((1, 2)))).join().unwrap())
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            std::thread::scope(|scope| scope.spawn(|| add(black_box((1, 2)))).join().unwrap())
        })
    });
    group.finish();
}

fn tiny_tasks(c: &mut Criterion) {
    const JOBS: u64 = 10_000;
    let workers = cores();
    let pool = ProcessPool::new(workers).unwrap();
    let pairs: Vec<(u64, u64)> = (0..JOBS).map(|i| (i, i + 1)).collect();
    // Python's Pool.map default: len / (4 * processes), rounded up.
    let python_chunksize = (JOBS as usize).div_ceil(4 * workers);
    let mut group = c.benchmark_group("proc_tiny_tasks");
    group.sample_size(10);
    group.bench_function("handspun", |b| {
        b.iter(|| {
            let handles: Vec<_> = pairs.iter().map(|&pair| pool.submit(add, pair)).collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .fold(0u64, u64::wrapping_add)
        })
    });
    group.bench_function("handspun_map", |b| {
        b.iter(|| {
            pool.map(add, pairs.iter().copied(), python_chunksize)
                .into_iter()
                .map(Result::unwrap)
                .fold(0u64, u64::wrapping_add)
        })
    });
    group.bench_function("sync", |b| {
        b.iter(|| {
            pairs
                .iter()
                .map(|&pair| add(black_box(pair)))
                .fold(0u64, u64::wrapping_add)
        })
    });
    let threads = ThreadPool::new(workers);
    group.bench_function("threadpool", |b| {
        b.iter(|| {
            let handles: Vec<_> = pairs
                .iter()
                .map(|&pair| threads.submit(move || add(black_box(pair))))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .fold(0u64, u64::wrapping_add)
        })
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            std_scope_map(workers, &pairs, |&pair| add(black_box(pair)))
                .into_iter()
                .fold(0u64, u64::wrapping_add)
        })
    });
    group.finish();
}

fn map_coarse(c: &mut Criterion) {
    let workers = cores();
    let pool = ProcessPool::new(workers).unwrap();
    let inputs = coarse_inputs();
    let expected: Vec<u64> = inputs.iter().map(|&n| cpu_bound(n)).collect();
    let mut group = c.benchmark_group("proc_map_coarse");
    group.sample_size(10);
    group.bench_function("handspun", |b| {
        b.iter(|| {
            let sums: Vec<u64> = pool
                .map(cpu_bound, inputs.iter().copied(), 1)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(sums, expected);
            sums
        })
    });
    group.bench_function("sync", |b| {
        b.iter(|| inputs.iter().map(|&n| cpu_bound(n)).collect::<Vec<u64>>())
    });
    let threads = ThreadPool::new(workers);
    group.bench_function("threadpool", |b| {
        b.iter(|| threads.map(cpu_bound, inputs.clone()).into_vec().unwrap())
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| std_scope_map(workers, &inputs, |&n| cpu_bound(n)))
    });
    group.finish();
}

/// Forks `children` processes that exit at once, then reaps them all.
fn fork_and_reap(children: usize) {
    let pids: Vec<libc::pid_t> = (0..children)
        .map(|_| {
            // SAFETY: the child only calls `_exit`, which is async-signal-safe
            // and touches no lock or memory of the parent's other threads.
            match unsafe { libc::fork() } {
                // SAFETY: in the child, `_exit` ends it without running any of
                // the parent's destructors or atexit handlers.
                0 => unsafe { libc::_exit(0) },
                -1 => panic!("fork failed: {}", std::io::Error::last_os_error()),
                pid => pid,
            }
        })
        .collect();
    for pid in pids {
        let mut status = 0;
        // SAFETY: `pid` is our own unreaped child and `status` is writable.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(reaped, pid, "waitpid: {}", std::io::Error::last_os_error());
    }
}

fn startup(c: &mut Criterion) {
    let workers = cores();
    let mut group = c.benchmark_group("proc_startup");
    group.bench_function("handspun", |b| {
        b.iter(|| drop(ProcessPool::new(workers).unwrap()))
    });
    group.bench_function("bare_fork", |b| b.iter(|| fork_and_reap(workers)));
    group.bench_function("threadpool", |b| b.iter(|| drop(ThreadPool::new(workers))));
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..workers {
                    scope.spawn(|| black_box(0));
                }
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = round_trip, tiny_tasks, map_coarse, startup
}
criterion_main!(benches);
