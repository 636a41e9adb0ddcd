//! Hello, event loop: three tasks take turns on one thread.
//!
//! Each task greets, sleeps (without blocking the thread), and greets again.
//! Their sleeps overlap, so the whole run takes about as long as the longest
//! sleep, not the sum. At the end the loop's counters and trace show what
//! happened.
//!
//! Run: `cargo run --example event_loop_hello`

use std::time::{Duration, Instant};

use handspun::event_loop::{self, EventLoop, TraceKind};

fn main() -> std::io::Result<()> {
    let mut ev = EventLoop::builder().tracing(true).build()?;
    let start = Instant::now();

    let names = ["ada", "grace", "linus"];
    let handles: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let nap = Duration::from_millis(100 * (3 - i as u64));
            ev.spawn_named(name, async move {
                println!("{:>6.3}s  {name}: hello, I'll nap {nap:?}", seconds(start));
                event_loop::sleep(nap).await; // the loop runs the others meanwhile
                println!("{:>6.3}s  {name}: awake again", seconds(start));
                name.len()
            })
        })
        .collect();

    let total: usize = ev.block_on(async {
        let mut total = 0;
        for handle in handles {
            total += handle.await.expect("tasks here do not panic");
        }
        total
    });

    println!(
        "\nall done in {:.3}s (the naps add up to 0.6s, but they overlapped)",
        seconds(start)
    );
    println!("letters in all names: {total}");
    let stats = ev.stats();
    println!(
        "stats: {} tasks spawned, {} done, {} polls, {} loop turns",
        stats.spawned, stats.done, stats.polls, stats.turns
    );
    let trace = ev.take_trace();
    let polls = trace
        .iter()
        .filter(|event| event.kind == TraceKind::PollStart)
        .count();
    println!(
        "trace: {} events, {polls} poll starts (each task: one poll to start its nap, one to finish)",
        trace.len()
    );
    Ok(())
}

fn seconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}
