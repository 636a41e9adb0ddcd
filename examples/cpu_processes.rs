//! The tutorial's CPU-bound program on a process pool: one worker process per
//! core, each with its own memory, so nothing is shared and nothing waits for
//! a lock. The numbers go to the workers through pipes; the sums come back.
//!
//! Run it: `cargo run --release --example cpu_processes`.

use std::time::Instant;

use handspun::procpool::ProcessPool;
use handspun::workloads::cpu::{cpu_bound, cpu_numbers};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let numbers = cpu_numbers(1.0);
    let start = Instant::now();
    let pool = ProcessPool::new(std::thread::available_parallelism()?.get())?;
    let mut total = 0u64;
    for result in pool.map(cpu_bound, numbers, 1) {
        total = total.wrapping_add(result?);
    }
    println!("sum of results: {total}");
    println!("Duration {:.3} seconds", start.elapsed().as_secs_f64());
    Ok(())
}
