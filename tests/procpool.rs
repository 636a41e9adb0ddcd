//! The process pool's API: submit, map, imap_unordered, as_completed, await,
//! initializer, recycling, drop and shutdown_now.

mod util_procpool;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use handspun::procpool::{as_completed, current_worker, ProcError, ProcessPool};
use util_procpool::{block_on, bounded, Fifo};

const LIMIT: Duration = Duration::from_secs(30);

fn square(x: u64) -> u64 {
    x * x
}

fn pid_of_worker(_: ()) -> u32 {
    std::process::id()
}

fn panics_on_three(x: u32) -> u32 {
    if x == 3 {
        panic!("three is not allowed");
    }
    x
}

fn spin_forever(_: ()) -> u8 {
    loop {
        std::hint::spin_loop();
    }
}

#[test]
fn submit_runs_the_job_in_another_process_and_returns_its_result() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        assert_eq!(pool.workers(), 2);
        assert_eq!(pool.submit(square, 7).join(), Ok(49));
        let worker_pid = pool.submit(pid_of_worker, ()).join().unwrap();
        assert_ne!(worker_pid, std::process::id());
        assert!(pool.worker_pids().contains(&(worker_pid as i32)));
        let name = std::fs::read_to_string(format!("/proc/{worker_pid}/comm")).unwrap();
        assert!(
            name.starts_with("procpool-w"),
            "workers name themselves: {name}"
        );
    });
}

#[test]
fn strings_structs_and_results_cross_the_pipe() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Point {
        x: i64,
        label: String,
    }
    fn shift(p: Point) -> Result<Point, String> {
        if p.x < 0 {
            return Err(format!("{} is negative", p.label));
        }
        Ok(Point {
            x: p.x + 1,
            label: p.label.to_uppercase(),
        })
    }
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        let moved = pool.submit(
            shift,
            Point {
                x: 1,
                label: "a".into(),
            },
        );
        assert_eq!(
            moved.join(),
            Ok(Ok(Point {
                x: 2,
                label: "A".into()
            }))
        );
        let refused = pool.submit(
            shift,
            Point {
                x: -1,
                label: "b".into(),
            },
        );
        assert_eq!(refused.join(), Ok(Err("b is negative".to_owned())));
    });
}

#[test]
fn map_keeps_input_order_for_every_chunksize() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let expected: Vec<u64> = (0..50).map(|x| x * x).collect();
        for chunksize in [0, 1, 3, 7, 50, 100] {
            let results = pool.map(square, 0..50, chunksize);
            let values: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
            assert_eq!(values, expected, "chunksize {chunksize}");
        }
        assert!(pool.map(square, Vec::new(), 4).is_empty());
    });
}

#[test]
fn a_panic_in_map_fails_only_its_own_item() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let results = pool.map(panics_on_three, 0..6, 4);
        for (x, result) in results.into_iter().enumerate() {
            if x == 3 {
                assert_eq!(
                    result,
                    Err(ProcError::Panicked("three is not allowed".into()))
                );
            } else {
                assert_eq!(result, Ok(x as u32));
            }
        }
    });
}

#[test]
fn a_panicking_job_reports_its_message_and_the_worker_carries_on() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        let before = pool.submit(pid_of_worker, ()).join().unwrap();
        let err = pool.submit(panics_on_three, 3).join().unwrap_err();
        assert_eq!(err, ProcError::Panicked("three is not allowed".into()));
        assert!(err.to_string().contains("three is not allowed"));
        let after = pool.submit(pid_of_worker, ()).join().unwrap();
        assert_eq!(before, after, "the same worker survived the panic");
    });
}

#[test]
fn imap_unordered_and_as_completed_yield_every_result_once() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let mut got: Vec<u64> = pool
            .imap_unordered(square, 0..40)
            .map(Result::unwrap)
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..40).map(|x| x * x).collect::<Vec<_>>());

        let handles: Vec<_> = (0..20).map(|x| pool.submit(square, x)).collect();
        let finished = as_completed(handles);
        assert_eq!(finished.size_hint(), (20, Some(20)));
        let mut got: Vec<u64> = finished.map(Result::unwrap).collect();
        got.sort_unstable();
        assert_eq!(got, (0..20).map(|x| x * x).collect::<Vec<_>>());
    });
}

/// Waits until the test sends one byte through the named pipe at `fifo`.
fn wait_for_fifo(fifo: String) -> u8 {
    use std::io::Read;
    let mut byte = [0u8];
    std::fs::File::open(fifo)
        .unwrap()
        .read_exact(&mut byte)
        .unwrap();
    byte[0]
}

#[test]
fn a_handle_is_a_future_woken_from_the_pool_thread() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        let (value, _wakes) = block_on(pool.submit(square, 9));
        assert_eq!(value, Ok(81));

        // A job that cannot finish before we let it: it waits on a FIFO.
        // So the first poll surely finds it pending, and only the pool's
        // wake-up can get the task going again.
        let fifo = Fifo::new();
        let mut handle = pool.submit(wait_for_fifo, fifo.path());
        let path = fifo.path();
        let (value, wakes) = block_on(async {
            let first = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(std::pin::Pin::new(&mut handle).poll(cx))
            })
            .await;
            assert!(first.is_pending(), "the job waits on the FIFO");
            // Only now let the job finish.
            std::thread::spawn(move || Fifo::write_byte(&path, 42));
            handle.await
        });
        assert_eq!(value, Ok(42));
        assert!(wakes >= 1, "the handle completed through its waker");
    });
}

#[test]
fn current_worker_names_the_slot_inside_workers_only() {
    fn which(_: ()) -> Option<usize> {
        current_worker()
    }
    bounded(LIMIT, || {
        assert_eq!(current_worker(), None);
        let pool = ProcessPool::new(2).unwrap();
        let seen = pool.map(which, vec![(); 20], 1);
        for index in seen {
            let index = index.unwrap().expect("inside a worker");
            assert!(index < 2);
        }
    });
}

/// Set by `initialize` in each worker (each worker has its own copy).
static INITIALIZED: AtomicUsize = AtomicUsize::new(0);

fn initialize() {
    INITIALIZED.fetch_add(1, Ordering::SeqCst);
}

fn times_initialized(_: ()) -> usize {
    INITIALIZED.load(Ordering::SeqCst)
}

#[test]
fn the_initializer_runs_once_in_every_worker_and_never_in_the_parent() {
    bounded(LIMIT, || {
        let pool = ProcessPool::builder()
            .workers(2)
            .initializer(initialize)
            .max_jobs_per_worker(3)
            .build()
            .unwrap();
        let counts = pool.map(times_initialized, vec![(); 30], 1);
        for count in counts {
            assert_eq!(count, Ok(1));
        }
        assert_eq!(INITIALIZED.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn max_jobs_per_worker_replaces_workers() {
    bounded(LIMIT, || {
        let pool = ProcessPool::builder()
            .workers(1)
            .max_jobs_per_worker(2)
            .build()
            .unwrap();
        let pids: Vec<u32> = (0..6)
            .map(|_| pool.submit(pid_of_worker, ()).join().unwrap())
            .collect();
        for pair in pids.chunks(2) {
            assert_eq!(pair[0], pair[1], "two jobs per worker: {pids:?}");
        }
        assert_ne!(pids[0], pids[2]);
        assert_ne!(pids[2], pids[4]);
    });
}

#[test]
fn dropping_the_pool_finishes_queued_work() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let handles: Vec<_> = (0..100).map(|x| pool.submit(square, x)).collect();
        drop(pool);
        for (x, handle) in handles.into_iter().enumerate() {
            assert!(handle.is_finished());
            assert_eq!(handle.join(), Ok((x * x) as u64));
        }
    });
}

#[test]
fn close_refuses_new_jobs_runs_the_queued_ones_and_stops_idle_workers_at_once() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        // One worker is held by a job that waits on a FIFO; the other runs
        // the squares.
        let fifo = Fifo::new();
        let held = pool.submit(wait_for_fifo, fifo.path());
        let queued: Vec<_> = (0..10).map(|x| pool.submit(square, x)).collect();
        pool.close();
        pool.close(); // twice is fine

        assert_eq!(pool.submit(square, 3).join(), Err(ProcError::Closed));
        assert_eq!(
            pool.map(square, [1, 2, 3], 2),
            vec![Err(ProcError::Closed); 3]
        );
        for (x, handle) in queued.into_iter().enumerate() {
            assert_eq!(handle.join(), Ok((x * x) as u64));
        }
        // With the queue empty, the squares' worker is stopped while the
        // pool still exists (the watchdog fails the test if it never is);
        // the held one stays until its job ends.
        while pool.worker_pids().len() > 1 {
            std::thread::yield_now();
        }
        assert_eq!(pool.worker_pids().len(), 1);
        Fifo::write_byte(&fifo.path(), 42);
        assert_eq!(held.join(), Ok(42));
    });
}

#[test]
fn shutdown_now_cancels_running_and_queued_jobs() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        let stuck = pool.submit(spin_forever, ());
        let queued: Vec<_> = (0..10).map(|x| pool.submit(square, x)).collect();
        pool.shutdown_now();
        assert_eq!(stuck.join(), Err(ProcError::Cancelled));
        for handle in queued {
            assert_eq!(handle.join(), Err(ProcError::Cancelled));
        }
    });
}

#[test]
fn an_argument_postcard_cannot_encode_fails_its_handle_only() {
    /// A type whose Serialize always fails.
    struct Unencodable;
    impl serde::Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refused on purpose"))
        }
    }
    impl<'de> serde::Deserialize<'de> for Unencodable {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Ok(Unencodable)
        }
    }
    fn take(_: Unencodable) -> u8 {
        1
    }
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        assert!(matches!(
            pool.submit(take, Unencodable).join(),
            Err(ProcError::Encode(_))
        ));
        assert_eq!(pool.submit(square, 2).join(), Ok(4));
    });
}

#[test]
fn zero_workers_is_refused() {
    let error = ProcessPool::new(0).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn event_loop_tasks_await_process_pool_handles() {
    use handspun::event_loop::EventLoop;
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let mut event_loop = EventLoop::new().unwrap();
        let handles: Vec<_> = (0..8).map(|x| pool.submit(square, x)).collect();
        let sum = event_loop.block_on(async move {
            // Each handle awaited in its own task; the pool's supervisor
            // threads wake the loop from outside.
            let tasks: Vec<_> = handles
                .into_iter()
                .map(handspun::event_loop::spawn)
                .collect();
            let mut sum = 0;
            for task in tasks {
                sum += task.await.unwrap().unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..8).map(|x| x * x).sum::<u64>());
    });
}

fn initializer_that_panics() {
    panic!("cannot initialize");
}

#[test]
fn a_panicking_initializer_fails_the_job_with_a_worker_death() {
    bounded(LIMIT, || {
        let pool = ProcessPool::builder()
            .workers(1)
            .initializer(initializer_that_panics)
            .build()
            .unwrap();
        let error = pool.submit(square, 2).join().unwrap_err();
        assert!(
            matches!(
                error,
                ProcError::WorkerDied {
                    exit_code: Some(70),
                    ..
                }
            ),
            "{error:?}"
        );
    });
}

#[test]
fn shutdown_now_in_the_middle_of_a_busy_run_ends_every_job_ok_or_cancelled() {
    bounded(LIMIT, || {
        for round in 0..5u64 {
            // Recycling after every job: shutdown_now also races with forks.
            let pool = ProcessPool::builder()
                .workers(2)
                .max_jobs_per_worker(1)
                .build()
                .unwrap();
            let mut handles: Vec<_> = (0..100).map(|x| pool.submit(square, x)).collect();
            // Let a few finish first (a different number each round).
            let first = round * 3;
            for (x, handle) in handles.drain(..first as usize).enumerate() {
                assert_eq!(handle.join(), Ok((x * x) as u64));
            }
            pool.shutdown_now();
            let (mut ok, mut cancelled) = (first as usize, 0);
            for (x, handle) in (first..).zip(handles) {
                match handle.join() {
                    Ok(value) => {
                        assert_eq!(value, x * x);
                        ok += 1;
                    }
                    Err(ProcError::Cancelled) => cancelled += 1,
                    Err(other) => panic!("job {x}: unexpected {other:?}"),
                }
            }
            assert_eq!(ok + cancelled, 100);
        }
    });
}
