//! Finding a deadlock with deterministic simulation.
//!
//! Two named tasks each wait for a message from the other before sending
//! their own. On a real loop the program would hang forever; on a simulated
//! loop the run stops when every task waits and no timer is due, and the
//! report names the waiting tasks. `sim::replay` reproduces it.
//!
//! Exits 0 only if the deadlock is found, names both tasks, and replays.
//!
//! Run: `cargo run --example sim_deadlock`

use std::process::ExitCode;

use handspun::event_loop::{self, channel::oneshot};
use handspun::sim::{self, Check, SimError};

async fn body() {
    let (to_alice, from_bob) = oneshot::channel::<&str>();
    let (to_bob, from_alice) = oneshot::channel::<&str>();
    let alice = event_loop::spawn_named("alice", async move {
        let hello = from_bob.await.unwrap(); // waits for bob first...
        to_bob.send("hi bob").unwrap();
        hello
    });
    let bob = event_loop::spawn_named("bob", async move {
        let hello = from_alice.await.unwrap(); // ...and bob for alice
        to_alice.send("hi alice").unwrap();
        hello
    });
    alice.await.unwrap();
    bob.await.unwrap();
}

fn main() -> ExitCode {
    let Err(found) = sim::check(&Check::default(), body) else {
        println!("sim::check found nothing: the example is broken");
        return ExitCode::FAILURE;
    };
    let SimError::Deadlock { waiting } = &found.error else {
        println!("expected a deadlock, found: {}", found.error);
        return ExitCode::FAILURE;
    };
    if waiting != &["alice", "bob"] {
        println!("the report should name alice and bob, it names {waiting:?}");
        return ExitCode::FAILURE;
    }
    match sim::replay(&found.schedule.to_string(), body) {
        Ok(run) if run.outcome == Err(found.error.clone()) => {
            println!("replayed: the same deadlock");
            ExitCode::SUCCESS
        }
        Ok(run) => {
            println!("the replay ended differently: {:?}", run.outcome);
            ExitCode::FAILURE
        }
        Err(error) => {
            println!("the schedule could not be read: {error}");
            ExitCode::FAILURE
        }
    }
}
