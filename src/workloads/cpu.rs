//! The cpu workload: the tutorial's sum of squares, which must really run.

#![forbid(unsafe_code)]

use std::hint::black_box;

/// The first number of the tutorial's list.
pub const BASE: u64 = 5_000_000;

/// How many numbers the list holds (`5_000_000 + x for x in range(20)`).
pub const COUNT: u64 = 20;

/// How often (in iterations) [`cpu_bound`] offers the emulated GIL a switch.
/// A few thousand iterations take microseconds, far below the 5 ms switch
/// interval, so the GIL can switch on time; the call is a cheap check.
pub const CHECKPOINT_EVERY: u64 = 4096;

/// The numbers to sum squares for: `(5_000_000 + x) * scale` for x in 0..20.
/// `scale` is `--cpu-scale` (1.0 is the tutorial's list; 0.1 makes it ten
/// times shorter, 4.0 four times longer).
///
/// # Panics
///
/// When `scale` is not a positive finite number.
///
/// # Examples
///
/// ```
/// use handspun::workloads::cpu::cpu_numbers;
///
/// let numbers = cpu_numbers(1.0);
/// assert_eq!(numbers.len(), 20);
/// assert_eq!((numbers[0], numbers[19]), (5_000_000, 5_000_019));
/// ```
pub fn cpu_numbers(scale: f64) -> Vec<u64> {
    assert!(
        scale.is_finite() && scale > 0.0,
        "cpu scale must be a positive number, got {scale}"
    );
    (0..COUNT)
        .map(|x| ((BASE + x) as f64 * scale).round() as u64)
        .collect()
}

/// `sum of i * i for i in 0..n`, in wrapping `u64` arithmetic, one
/// iteration after another.
///
/// Left alone, the compiler turns this loop into a closed formula and the
/// "work" vanishes; passing the loop variable through
/// [`std::hint::black_box`] makes every iteration run, so the time grows
/// linearly with `n` as the tutorial's Python loop does. After every
/// [`CHECKPOINT_EVERY`] iterations it calls the thread pool's GIL
/// checkpoint (a no-op outside a `threads-gil` pool).
///
/// The checkpoint sits between blocks of iterations, not inside the inner
/// loop behind an `i % CHECKPOINT_EVERY == 0` test: that test in every
/// iteration slowed the loop on one core, and slowed pool workers running
/// it on every core at once more still, for a reason inside the processor
/// that was not pinned down (`docs/benchmarks/workloads.md`, "3.
/// `cpu_bound`'s checkpoint moved out of the inner loop").
///
/// # Examples
///
/// ```
/// use handspun::workloads::cpu::cpu_bound;
///
/// assert_eq!(cpu_bound(4), 0 + 1 + 4 + 9);
/// ```
// Never inlined: every model must run the very same machine code. Inlined
// into one caller and not another, the loop can be compiled differently,
// and a one-thread model then "beats" sync on the same core by the
// compiler's doing (`docs/benchmarks/workloads.md`, "A lesson from
// measuring it").
#[inline(never)]
pub fn cpu_bound(n: u64) -> u64 {
    let mut sum: u64 = 0;
    let mut start = 0;
    while start < n {
        let end = n.min(start.saturating_add(CHECKPOINT_EVERY));
        for i in start..end {
            let i = black_box(i);
            sum = sum.wrapping_add(i.wrapping_mul(i));
        }
        crate::threadpool::gil::checkpoint();
        start = end;
    }
    sum
}

/// The cores a model can really use for the cpu workload: threads,
/// processes and the stealing workers of `event-loop-mt`
/// `min(workers, cores)`; the event loop is one thread and
/// `threads-gil` computes on one thread at a time, so 1 for them and sync.
///
/// # Examples
///
/// ```
/// use handspun::workloads::{cpu::cpu_parallelism, Model};
///
/// assert_eq!(cpu_parallelism(Model::Processes, 2, 8), 2);
/// assert_eq!(cpu_parallelism(Model::Threads, 5, 2), 2);
/// assert_eq!(cpu_parallelism(Model::ThreadsGil, 5, 2), 1);
/// assert_eq!(cpu_parallelism(Model::EventLoopMt, 2, 2), 2);
/// ```
pub fn cpu_parallelism(model: crate::workloads::Model, workers: usize, cores: usize) -> usize {
    use crate::workloads::Model;
    match model {
        Model::Threads | Model::Processes | Model::EventLoopMt => workers.min(cores).max(1),
        Model::Sync | Model::EventLoop | Model::ThreadsGil => 1,
    }
}

/// The ideal wall time of the cpu workload under a model: the sync time
/// divided by the cores the model can really use ([`cpu_parallelism`]).
///
/// # Examples
///
/// ```
/// use handspun::workloads::{cpu::cpu_ideal_s, Model};
///
/// assert_eq!(cpu_ideal_s(Model::Threads, 4.0, 5, 2), 2.0);
/// assert_eq!(cpu_ideal_s(Model::EventLoop, 4.0, 1, 2), 4.0);
/// ```
pub fn cpu_ideal_s(
    model: crate::workloads::Model,
    sync_wall_s: f64,
    workers: usize,
    cores: usize,
) -> f64 {
    sync_wall_s / cpu_parallelism(model, workers, cores) as f64
}

/// Runs the list on `threads` bare threads — no pool, no queue: thread `t`
/// takes the `t`-th contiguous share of the list — and returns the wrapping
/// sum of every result. What the machine itself allows in parallel right
/// now, as a yardstick for the pools (`handspun compare` reports it).
/// The kernel places the threads, as it places the pools' workers, so the
/// yardstick and the pools meet the same scheduler.
///
/// # Examples
///
/// ```
/// use handspun::workloads::cpu::{bare_threads, cpu_bound};
///
/// let numbers = [10, 20, 30];
/// let sum = numbers.iter().map(|&n| cpu_bound(n)).fold(0, u64::wrapping_add);
/// assert_eq!(bare_threads(&numbers, 2), sum);
/// ```
pub fn bare_threads(numbers: &[u64], threads: usize) -> u64 {
    let share = numbers.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = numbers
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&n| cpu_bound(n))
                        .fold(0, u64::wrapping_add)
                })
            })
            .collect();
        parts
            .into_iter()
            .map(|part| part.join().expect("cpu_bound does not panic"))
            .fold(0, u64::wrapping_add)
    })
}
