//! The tutorial's CPU-bound program, one number after another: the baseline.
//!
//! Run it: `cargo run --release --example cpu_sync`.

use std::time::Instant;

use handspun::workloads::cpu::{cpu_bound, cpu_numbers};

fn main() {
    let numbers = cpu_numbers(1.0); // 5_000_000 + x for x in 0..20
    let start = Instant::now();
    let total = numbers
        .iter()
        .fold(0u64, |sum, &n| sum.wrapping_add(cpu_bound(n)));
    println!("sum of results: {total}");
    println!("Duration {:.3} seconds", start.elapsed().as_secs_f64());
}
