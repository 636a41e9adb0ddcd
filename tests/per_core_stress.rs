//! Many spawns from many threads at once into the loops' inboxes: every
//! task runs exactly once, and every handle reports it (no job lost
//! between a push and the loop's wake).

mod util_per_core;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use handspun::event_loop;
use util_per_core::{runtime, within_limit};

const THREADS: usize = 4;
const SPAWNS_PER_THREAD: usize = 20_000;

#[test]
fn spawns_from_four_threads_all_run_once() {
    within_limit(|| {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        let spawners: Vec<_> = (0..THREADS)
            .map(|t| {
                let handle = rt.handle().clone();
                let ran = ran.clone();
                std::thread::spawn(move || {
                    let handles: Vec<_> = (0..SPAWNS_PER_THREAD)
                        .map(|i| {
                            let ran = ran.clone();
                            handle.spawn(move || async move {
                                if i % 2 == 0 {
                                    event_loop::yield_now().await;
                                }
                                ran.fetch_add(1, Ordering::Relaxed);
                                t * SPAWNS_PER_THREAD + i
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .enumerate()
                        .map(|(i, h)| {
                            assert_eq!(h.join(), Ok(t * SPAWNS_PER_THREAD + i));
                        })
                        .count()
                })
            })
            .collect();
        let joined: usize = spawners.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(joined, THREADS * SPAWNS_PER_THREAD);
        assert_eq!(ran.load(Ordering::Relaxed), THREADS * SPAWNS_PER_THREAD);
    });
}
