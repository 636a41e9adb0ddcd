//! Finding a lost update with deterministic simulation.
//!
//! Two tasks add one to a shared counter, with an `.await` between reading
//! it and writing it back. Under the default oldest-ready order the first
//! task always writes before the second reads, so a plain test passes every
//! time. `sim::check` tries seeded schedules until one interleaves the two
//! and the assertion fails; `sim::replay` runs that schedule again and gets
//! the same failure.
//!
//! Exits 0 only if the bug is found and replayed.
//!
//! Run: `cargo run --example sim_lost_update`

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;

use handspun::event_loop::{self, EventLoop};
use handspun::sim::{self, Check};

/// `updater` reads, yields once, writes. `late` first yields twice (it has
/// other things to do), then does the same. Oldest-ready runs `updater`'s
/// write before `late`'s read; another order loses one update.
async fn body() {
    let counter = Rc::new(Cell::new(0u32));
    let add_one = |warm_up: u32| {
        let counter = counter.clone();
        async move {
            for _ in 0..warm_up {
                event_loop::yield_now().await;
            }
            let seen = counter.get();
            event_loop::yield_now().await; // e.g. a database round trip
            counter.set(seen + 1);
        }
    };
    let updater = event_loop::spawn_named("updater", add_one(0));
    let late = event_loop::spawn_named("late", add_one(2));
    updater.await.unwrap();
    late.await.unwrap();
    assert_eq!(
        counter.get(),
        2,
        "lost update: the counter is {}",
        counter.get()
    );
}

fn main() -> ExitCode {
    // The default loop (oldest-ready) never shows the bug.
    let mut ev = EventLoop::new().expect("an event loop");
    for _ in 0..100 {
        ev.block_on(body());
    }
    println!("oldest-ready: 100 runs, no lost update");

    let Err(found) = sim::check(&Check::default(), body) else {
        println!("sim::check found nothing: the example is broken");
        return ExitCode::FAILURE;
    };
    let replayed = match sim::replay(&found.schedule.to_string(), body) {
        Ok(run) => run,
        Err(error) => {
            println!("the schedule could not be read: {error}");
            return ExitCode::FAILURE;
        }
    };
    if replayed.outcome == Err(found.error.clone()) {
        println!(
            "replayed: the same failure, schedule \"{}\"",
            replayed.schedule
        );
        ExitCode::SUCCESS
    } else {
        println!("the replay ended differently: {:?}", replayed.outcome);
        ExitCode::FAILURE
    }
}
