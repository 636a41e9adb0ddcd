//! Thread pool vs rayon vs `std::thread::scope` on the workloads of
//! WORKLOADS.md: `pool_map_coarse` (the cpu workload), `pool_tiny_tasks`
//! (100_000 additions), `pool_fan_in` (10_000 results collected through
//! handles) and `pool_startup`. Every group name starts with `pool_`, so none
//! collides with the process pool's (`proc_…`) in `target/criterion/`.
//!
//! Every implementation uses as many threads as the machine has cores, and
//! each is written the way its users would write it: handspun with
//! `ThreadPool::map` / `submit`, rayon with `par_iter` / `scope`, the
//! standard library with one scoped thread per core, each taking a chunk.
//!
//! `pool_startup` starts and stops the five-worker pool `handspun compare`
//! runs as `threads`, beside five bare scoped threads.
//!
//! Run: `cargo bench --bench threadpool -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
// The cpu workload's job, the very function `handspun compare` runs.
use handspun::threadpool::{gil, StealingQueues, ThreadPool};
use handspun::workloads::cpu::cpu_bound;
use rayon::prelude::*;

/// [`cpu_bound`] with a GIL checkpoint on every turn instead of after every
/// block of 4096 (context only: what a check in the innermost loop costs).
fn cpu_bound_checkpointed(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        gil::checkpoint();
        let i = black_box(i);
        sum = sum.wrapping_add(i.wrapping_mul(i));
    }
    sum
}

/// The tutorial's list: 5_000_000 + x for x in 0..20.
fn coarse_numbers() -> Vec<u64> {
    (0..20).map(|x| 5_000_000 + x).collect()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `f` over `items` with one scoped thread per core, each taking one
/// contiguous chunk; results concatenated in input order.
fn std_scope_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scoped thread panicked"))
            .collect()
    })
}

fn handspun_pools(workers: usize) -> Vec<(&'static str, ThreadPool)> {
    vec![
        ("handspun", ThreadPool::new(workers)),
        (
            "handspun_stealing",
            ThreadPool::builder()
                .workers(workers)
                .queue::<StealingQueues>()
                .build()
                .expect("pool"),
        ),
    ]
}

fn map_coarse(c: &mut Criterion) {
    let workers = cores();
    let numbers = coarse_numbers();
    let expected: Vec<u64> = numbers.iter().map(|&n| cpu_bound(n)).collect();
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("rayon");
    let mut group = c.benchmark_group("pool_map_coarse");
    group.sample_size(10);
    for (name, pool) in handspun_pools(workers) {
        group.bench_function(name, |b| {
            b.iter(|| {
                let sums: Vec<u64> = pool
                    .map(cpu_bound, numbers.clone())
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(sums, expected);
                sums
            })
        });
    }
    // Not peers, but context: the price of a checkpoint on every turn, and
    // what the emulated GIL does to the same work (the `threads-gil` model,
    // which runs `cpu_bound` itself).
    let plain = ThreadPool::new(workers);
    group.bench_function("handspun_checkpoints", |b| {
        b.iter(|| {
            let sums = plain
                .map(cpu_bound_checkpointed, numbers.clone())
                .into_vec()
                .unwrap();
            assert_eq!(sums, expected);
            sums
        })
    });
    let with_gil = ThreadPool::builder()
        .workers(workers)
        .gil(gil::DEFAULT_SWITCH_INTERVAL)
        .build()
        .expect("pool");
    group.bench_function("handspun_gil", |b| {
        b.iter(|| {
            let sums = with_gil.map(cpu_bound, numbers.clone()).into_vec().unwrap();
            assert_eq!(sums, expected);
            sums
        })
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let sums: Vec<u64> =
                rayon_pool.install(|| numbers.par_iter().map(|&n| cpu_bound(n)).collect());
            assert_eq!(sums, expected);
            sums
        })
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            let sums = std_scope_map(&numbers, workers, |&n| cpu_bound(n));
            assert_eq!(sums, expected);
            sums
        })
    });
    group.finish();
}

fn tiny_tasks(c: &mut Criterion) {
    const JOBS: u64 = 100_000;
    let workers = cores();
    let pairs: Vec<(u64, u64)> = (0..JOBS).map(|i| (i, 2 * i)).collect();
    // handspun's jobs are 'static: they share the input instead of borrowing it.
    let shared_pairs: Arc<[(u64, u64)]> = Arc::from(pairs.clone());
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("rayon");
    let mut group = c.benchmark_group("pool_tiny_tasks");
    for (name, pool) in handspun_pools(workers) {
        group.bench_function(name, |b| {
            b.iter(|| {
                let sums: Vec<u64> = pool
                    .map_shared(|&(a, b): &(u64, u64)| a + b, Arc::clone(&shared_pairs))
                    .into_vec()
                    .unwrap();
                assert_eq!(sums.len(), JOBS as usize);
                sums
            })
        });
    }
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let sums: Vec<u64> =
                rayon_pool.install(|| pairs.par_iter().map(|&(a, b)| a + b).collect());
            assert_eq!(sums.len(), JOBS as usize);
            sums
        })
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            let sums = std_scope_map(&pairs, workers, |&(a, b)| a + b);
            assert_eq!(sums.len(), JOBS as usize);
            sums
        })
    });
    group.finish();
}

fn fan_in(c: &mut Criterion) {
    const JOBS: u64 = 10_000;
    let workers = cores();
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("rayon");
    let mut group = c.benchmark_group("pool_fan_in");
    for (name, pool) in handspun_pools(workers) {
        group.bench_function(name, |b| {
            b.iter(|| {
                let handles: Vec<_> = (0..JOBS)
                    .map(|i| pool.submit(move || black_box(i) * 2))
                    .collect();
                let results: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
                assert_eq!(results.len(), JOBS as usize);
                results
            })
        });
    }
    // The same jobs, queued with one call: one lock, one wake per worker.
    let batch_pool = ThreadPool::new(workers);
    group.bench_function("handspun_submit_all", |b| {
        b.iter(|| {
            let handles = batch_pool.submit_all((0..JOBS).map(|i| move || black_box(i) * 2));
            let results: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(results.len(), JOBS as usize);
            results
        })
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            // rayon's jobs have no handles: each writes into its own slot.
            let mut results = vec![0u64; JOBS as usize];
            rayon_pool.scope(|s| {
                for (i, slot) in results.iter_mut().enumerate() {
                    s.spawn(move |_| *slot = black_box(i as u64) * 2);
                }
            });
            results
        })
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            // One scoped thread per core; its join handle brings back its chunk.
            let ids: Vec<u64> = (0..JOBS).collect();
            std_scope_map(&ids, workers, |&i| black_box(i) * 2)
        })
    });
    group.finish();
}

/// Start and stop a pool of the tutorial's five workers: what `threads`
/// pays before its first job and after its last.
fn startup(c: &mut Criterion) {
    const WORKERS: usize = 5;
    let mut group = c.benchmark_group("pool_startup");
    group.bench_function("handspun", |b| {
        b.iter(|| drop(ThreadPool::new(WORKERS)));
    });
    group.bench_function("std_scope", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..WORKERS {
                    scope.spawn(|| black_box(0));
                }
            });
        });
    });
    group.finish();
}

criterion_group!(benches, map_coarse, tiny_tasks, fan_in, startup);
criterion_main!(benches);
