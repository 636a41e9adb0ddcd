//! The tutorial's CPU-bound program on a thread pool. In Python this is
//! *slower* than the plain loop (the GIL lets one thread compute at a time);
//! Rust threads run on every core. Pass `--gil` to emulate CPython's lock and
//! watch the speedup vanish.
//!
//! Run it: `cargo run --release --example cpu_threads [-- --gil]`.

use std::time::{Duration, Instant};

use handspun::threadpool::ThreadPool;
use handspun::workloads::cpu::{cpu_bound, cpu_numbers};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let with_gil = std::env::args().any(|arg| arg == "--gil");
    let numbers = cpu_numbers(1.0);
    let start = Instant::now();
    let mut builder = ThreadPool::builder().workers(5);
    if with_gil {
        builder = builder.gil(Duration::from_millis(5)); // CPython's switch interval
    }
    let pool = builder.build()?;
    let mut total = 0u64;
    for result in pool.map(cpu_bound, numbers) {
        total = total.wrapping_add(result?);
    }
    println!("sum of results: {total}");
    println!("Duration {:.3} seconds", start.elapsed().as_secs_f64());
    Ok(())
}
