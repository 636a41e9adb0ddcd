//! Helpers shared by the process-pool tests: a watchdog that turns a hang
//! into a failure, a zombie detector that reads `/proc`, and a minimal
//! `block_on` for awaiting a handle.

#![allow(dead_code)] // each test file uses a different subset

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

/// Runs `body` on its own thread and fails the test if it has not finished
/// within `limit` (a hang becomes a failure instead of a stuck test run).
/// A panic inside `body` is re-raised here.
pub fn bounded<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let result = body();
        let _ = done.send(());
        result
    });
    match finished.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("the test did not finish within {limit:?}: something hangs")
        }
    }
}

/// The state letter and parent pid of process `pid`, from `/proc/PID/stat`,
/// or `None` if there is no such process.
fn state_and_parent(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ..." — comm may hold spaces and parentheses, so
    // parse from the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// Every child of this process that is a zombie (exited, not reaped).
pub fn zombie_children() -> Vec<i32> {
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| state_and_parent(pid) == Some(('Z', me)))
        .collect()
}

/// True if `pid` is a child of this process that is still a zombie.
pub fn is_zombie_child(pid: i32) -> bool {
    state_and_parent(pid) == Some(('Z', std::process::id() as i32))
}

/// True if `pid` is still a child of this process, in any state.
pub fn is_child(pid: i32) -> bool {
    state_and_parent(pid).is_some_and(|(_, parent)| parent == std::process::id() as i32)
}

/// A waker that unparks a thread and counts its wake-ups.
struct ThreadWaker {
    thread: Thread,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Polls `future` to completion on this thread, parking between polls.
/// Returns the output and how many times the future's waker was called.
pub fn block_on<F: Future>(future: F) -> (F::Output, usize) {
    let waker_state = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(Arc::clone(&waker_state));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, waker_state.wakes.load(Ordering::SeqCst));
        }
        std::thread::park();
    }
}

/// Sends `SIGKILL` to `pid` (a worker of a pool this test owns).
pub fn kill(pid: i32) {
    // SAFETY: kill takes plain integers; `pid` is a live child of ours.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// A named pipe in the temporary directory, removed on drop: a way for a job
/// running in a worker to tell the test "I have started" (the worker opens it
/// for writing, the test for reading; each open waits for the other).
pub struct Fifo {
    path: std::path::PathBuf,
}

impl Fifo {
    /// Creates a fresh named pipe.
    pub fn new() -> Fifo {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "handspun-test-fifo-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_file(&path);
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: `c_path` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        Fifo { path }
    }

    /// The path, to send to a job.
    pub fn path(&self) -> String {
        self.path.to_str().unwrap().to_owned()
    }

    /// Waits until a writer sends one byte, and returns it.
    pub fn read_byte(&self) -> u8 {
        use std::io::Read;
        let mut byte = [0u8];
        std::fs::File::open(&self.path)
            .unwrap()
            .read_exact(&mut byte)
            .unwrap();
        byte[0]
    }

    /// Waits until a reader opens the pipe, then sends it one byte.
    pub fn write_byte(path: &str, byte: u8) {
        use std::io::Write;
        let mut writer = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        writer.write_all(&[byte]).unwrap();
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
