//! Never lose a job: workers that abort, segfault, exit or are killed;
//! timeouts; retries; no zombie left; no descriptor leaked into workers; a
//! 100 MiB argument and result through the pipes.

mod util_procpool;

use std::time::Duration;

use handspun::procpool::{ProcError, ProcessPool};
use util_procpool::{bounded, is_child, kill, Fifo};

const LIMIT: Duration = Duration::from_secs(60);

fn add_one(x: u64) -> u64 {
    x + 1
}

fn abort(_: ()) -> u8 {
    std::process::abort()
}

fn segfault(_: ()) -> u8 {
    // Rust's runtime handles SIGSEGV (to report stack overflows) and returns
    // from a raised one; put back the default action, which kills, first.
    // SAFETY: signal and raise take plain integers; the worker dies of the
    // signal exactly as an invalid memory access would make it die.
    unsafe {
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::raise(libc::SIGSEGV);
    }
    unreachable!("SIGSEGV kills the worker")
}

fn exit_with_3(_: ()) -> u8 {
    std::process::exit(3)
}

fn spin_forever(_: ()) -> u8 {
    loop {
        std::hint::spin_loop();
    }
}

/// Asserts that `result` is a `WorkerDied` and that the dead worker was
/// reaped (it is no longer our child, not even a zombie). Returns its pid.
fn assert_died(result: Result<u8, ProcError>, signal: Option<i32>, exit_code: Option<i32>) -> i32 {
    match result {
        Err(ProcError::WorkerDied {
            pid,
            signal: got_signal,
            exit_code: got_code,
        }) => {
            assert_eq!((got_signal, got_code), (signal, exit_code));
            assert!(!is_child(pid), "worker {pid} was reaped");
            pid
        }
        other => panic!("expected WorkerDied, got {other:?}"),
    }
}

#[test]
fn a_worker_that_aborts_segfaults_or_exits_is_reported_and_replaced() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        // Crashes interleaved with ordinary jobs: every ordinary job still
        // completes.
        let mut ordinary = Vec::new();
        let mut crashes = Vec::new();
        for round in 0..3u64 {
            ordinary.push(pool.submit(add_one, round));
            crashes.push((pool.submit(abort, ()), Some(libc::SIGABRT), None));
            ordinary.push(pool.submit(add_one, round + 10));
            crashes.push((pool.submit(segfault, ()), Some(libc::SIGSEGV), None));
            crashes.push((pool.submit(exit_with_3, ()), None, Some(3)));
        }
        for (handle, signal, exit_code) in crashes {
            assert_died(handle.join(), signal, exit_code);
        }
        let values: Vec<u64> = ordinary.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(values, [1, 11, 2, 12, 3, 13]);
        let more = pool.map(add_one, 0..10, 1);
        assert!(
            more.iter().all(Result::is_ok),
            "the replacements serve: {more:?}"
        );
        let pids = pool.worker_pids();
        drop(pool);
        for pid in pids {
            assert!(!is_child(pid), "worker {pid} was reaped on drop");
        }
    });
}

#[test]
fn a_worker_killed_mid_job_reports_sigkill() {
    bounded(LIMIT, || {
        /// Tells the test it has started, then runs until killed.
        fn announce_then_spin(fifo: String) -> u8 {
            Fifo::write_byte(&fifo, std::process::id() as u8);
            spin_forever(())
        }
        let pool = ProcessPool::new(1).unwrap();
        let pid = pool.worker_pids()[0];
        let fifo = Fifo::new();
        let stuck = pool.submit(announce_then_spin, fifo.path());
        assert_eq!(fifo.read_byte(), pid as u8, "the job runs in worker {pid}");
        kill(pid);
        let died = assert_died(stuck.join(), Some(libc::SIGKILL), None);
        assert_eq!(died, pid);
        assert_eq!(pool.submit(add_one, 1).join(), Ok(2));
    });
}

#[test]
fn a_worker_killed_while_idle_is_replaced_without_failing_the_next_job() {
    bounded(LIMIT, || {
        let pool = ProcessPool::new(1).unwrap();
        assert_eq!(pool.submit(add_one, 0).join(), Ok(1));
        let pid = pool.worker_pids()[0];
        kill(pid);
        // Wait (bounded) until the kernel has torn the worker down, so the
        // pool can see it is gone before the next job.
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z "))
        {
            assert!(std::time::Instant::now() < give_up, "SIGKILL took effect");
            std::thread::yield_now();
        }
        assert_eq!(pool.submit(add_one, 1).join(), Ok(2));
        assert!(!pool.worker_pids().contains(&pid));
        assert!(!is_child(pid), "the idle worker was reaped");
    });
}

#[test]
fn a_job_over_its_timeout_kills_its_worker_and_reports_timeout() {
    bounded(LIMIT, || {
        let limit = Duration::from_millis(100);
        let pool = ProcessPool::builder()
            .workers(1)
            .job_timeout(limit)
            .build()
            .unwrap();
        let pid = pool.worker_pids()[0];
        assert_eq!(
            pool.submit(spin_forever, ()).join(),
            Err(ProcError::Timeout { pid, limit })
        );
        assert!(!is_child(pid), "the timed-out worker was killed and reaped");
        assert_eq!(pool.submit(add_one, 41).join(), Ok(42));
    });
}

#[test]
fn retries_run_a_job_again_after_its_worker_died() {
    /// Dies the first time in each worker it meets... which is every time:
    /// so with retries(2) it is tried three times, then reported.
    fn always_abort(_: ()) -> u8 {
        std::process::abort()
    }
    bounded(LIMIT, || {
        let pool = ProcessPool::builder()
            .workers(1)
            .retries(2)
            .build()
            .unwrap();
        let first = pool.worker_pids()[0];
        assert!(matches!(
            pool.submit(always_abort, ()).join(),
            Err(ProcError::WorkerDied {
                signal: Some(6),
                ..
            })
        ));
        // Three attempts, three workers: the first is gone, a fourth serves.
        assert_eq!(pool.submit(add_one, 0).join(), Ok(1));
        assert!(!pool.worker_pids().contains(&first));
    });
}

#[test]
fn workers_hold_only_their_own_two_pipes() {
    /// The descriptors open in this process, except the directory handle
    /// used to list them.
    fn open_fds(_: ()) -> Vec<i32> {
        let dir = std::fs::read_dir("/proc/self/fd").unwrap();
        let mut fds: Vec<i32> = dir
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        fds.sort_unstable();
        fds
    }
    bounded(LIMIT, || {
        // Descriptors the parent holds: a file, and the pipes of another pool.
        let _file = std::fs::File::open("/proc/self/stat").unwrap();
        let _other_pool = ProcessPool::new(2).unwrap();
        let pool = ProcessPool::new(2).unwrap();
        assert!(open_fds(()).len() > 6, "the parent has many descriptors");
        for fds in pool.map(open_fds, vec![(); 4], 1) {
            let fds = fds.unwrap();
            // Besides stdin, stdout and stderr (0, 1, 2, if open at all):
            // the job pipe, the reply pipe, and the directory being listed.
            let above_stdio = fds.iter().filter(|&&fd| fd > 2).count();
            assert!(above_stdio <= 3, "leaked descriptors: {fds:?}");
        }
    });
}

#[test]
fn a_100_mib_argument_and_result_cross_the_pipes() {
    const SIZE: usize = 100 << 20;
    fn length(text: String) -> usize {
        text.len()
    }
    fn make(size: usize) -> String {
        "x".repeat(size)
    }
    bounded(LIMIT, || {
        let pool = ProcessPool::new(2).unwrap();
        let big = "y".repeat(SIZE);
        let sent = pool.submit(length, big);
        let made = pool.submit(make, SIZE);
        assert_eq!(sent.join(), Ok(SIZE));
        let made = made.join().unwrap();
        assert_eq!(made.len(), SIZE);
        assert!(made.bytes().all(|b| b == b'x'));
    });
}
