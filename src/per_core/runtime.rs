//! The runtime: N loop threads, their inboxes, spawning onto them, and
//! shutdown. [`Runtime`], [`Builder`], [`Handle`].

#![forbid(unsafe_code)]

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use super::affinity::{self, Pinning};
use super::context;
use super::inbox::{self, Inbox, Unstarted};
use super::join::JoinHandle;
use super::task::Slot;
use crate::event_loop::{EventLoop, JoinError};

/// Source of unique runtime ids.
static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

/// `spawn_on` was given a loop the runtime does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("there is no loop {index}: this runtime has {loops} (0 to {last})", last = .loops - 1)]
pub struct NoSuchLoop {
    /// The index asked for.
    pub index: usize,
    /// How many loops the runtime has.
    pub loops: usize,
}

/// What every handle and every loop share.
struct Shared {
    /// This runtime's id (unique per process).
    id: u64,
    /// One inbox per loop, by loop index. Fixed at build.
    inboxes: Vec<Inbox>,
    /// The next loop round-robin `spawn` picks (modulo the loop count).
    next: AtomicUsize,
}

/// Spawns onto a per-core runtime from any thread; cheap to clone.
///
/// # Examples
///
/// ```
/// use handspun::per_core::Runtime;
///
/// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
/// let handle = rt.handle().clone();
/// let from_a_thread = std::thread::spawn(move || handle.spawn(|| async { 7 }).join());
/// assert_eq!(from_a_thread.join().unwrap(), Ok(7));
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the runtime whose loop runs the calling thread (inside
    /// a per-core task), or `None` on any other thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::per_core::{Handle, Runtime};
    ///
    /// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
    /// assert!(Handle::current().is_none());
    /// let inside = rt.block_on(|| async { Handle::current().map(|h| h.loops()) });
    /// assert_eq!(inside, Ok(Some(2)));
    /// ```
    pub fn current() -> Option<Handle> {
        context::handle()
    }

    /// The runtime's id (unique per process).
    pub(crate) fn runtime_id(&self) -> u64 {
        self.shared.id
    }

    /// How many loops the runtime has.
    pub fn loops(&self) -> usize {
        self.shared.inboxes.len()
    }

    /// Runs the future that `make` builds as a task of loop `index`, where
    /// it stays until it ends.
    ///
    /// `make` travels to the loop's thread (it must be `Send`); the future
    /// it builds is created there and never leaves, so it need not be `Send`
    /// (it may hold an `Rc`, or an event-loop socket). Only the output
    /// crosses back. Called on loop `index` itself, the task is spawned at
    /// once; from anywhere else, through the loop's inbox, which wakes it.
    ///
    /// # Errors
    ///
    /// [`NoSuchLoop`] if `index` is not below [`loops`](Handle::loops).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use handspun::per_core::{self, Runtime};
    ///
    /// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
    /// let handle = rt.spawn_on(1, || {
    ///     let not_send = Rc::new(5); // fine: built and used on loop 1 only
    ///     async move { (*not_send, per_core::current_loop()) }
    /// });
    /// assert_eq!(handle.unwrap().join(), Ok((5, Some(1))));
    /// assert!(rt.spawn_on(2, || async {}).is_err());
    /// ```
    pub fn spawn_on<M, Fut>(
        &self,
        index: usize,
        make: M,
    ) -> Result<JoinHandle<Fut::Output>, NoSuchLoop>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let loops = self.loops();
        if index >= loops {
            return Err(NoSuchLoop { index, loops });
        }
        let slot = Arc::new(Slot::new());
        let handle = JoinHandle::new(slot.clone(), self.shared.id, index);
        let unstarted = Unstarted::new(slot);
        if context::current() == Some((self.shared.id, index)) {
            // Already on that loop: no inbox, no wake.
            inbox::start(make, unstarted);
        } else {
            self.shared.inboxes[index].push(Box::new(move || inbox::start(make, unstarted)));
        }
        Ok(handle)
    }

    /// Like [`spawn_on`](Handle::spawn_on), onto the loops in turn
    /// (round robin): spawns 0, 1, 2, ... go to loops 0, 1, ..., N-1, 0, ...
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::per_core::{self, Runtime};
    ///
    /// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
    /// let a = rt.spawn(|| async { per_core::current_loop() });
    /// let b = rt.spawn(|| async { per_core::current_loop() });
    /// assert_ne!(a.join().unwrap(), b.join().unwrap());
    /// ```
    pub fn spawn<M, Fut>(&self, make: M) -> JoinHandle<Fut::Output>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let index = self.shared.next.fetch_add(1, Ordering::Relaxed) % self.loops();
        self.spawn_on(index, make)
            .expect("the round-robin index is below the loop count")
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.shared.id)
            .field("loops", &self.loops())
            .finish()
    }
}

/// A thread-per-core runtime: N single-threaded event loops, each on its
/// own thread (pinned to a CPU where allowed); a task stays on the loop it
/// was spawned on.
///
/// Dropping it shuts it down, as [`shutdown`](Runtime::shutdown) does.
///
/// # Examples
///
/// ```
/// use handspun::event_loop;
/// use handspun::per_core::Runtime;
///
/// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
/// let tasks: Vec<_> = (0..4u64)
///     .map(|i| rt.spawn(move || async move {
///         event_loop::yield_now().await;
///         i * i
///     }))
///     .collect();
/// let total: u64 = tasks.into_iter().map(|t| t.join().unwrap()).sum();
/// assert_eq!(total, 0 + 1 + 4 + 9);
/// rt.shutdown();
/// ```
pub struct Runtime {
    /// Spawns onto the loops.
    handle: Handle,
    /// The loops' threads, by index; `None` once joined.
    threads: Vec<Option<thread::JoinHandle<()>>>,
    /// Where each loop's thread runs.
    pinning: Vec<Pinning>,
}

impl Runtime {
    /// A runtime with one loop per core, each pinned where allowed.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    pub fn new() -> io::Result<Runtime> {
        Builder::default().build()
    }

    /// Settings for a runtime.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The handle, to spawn from other threads (clone it).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// How many loops the runtime has.
    pub fn loops(&self) -> usize {
        self.handle.loops()
    }

    /// Where each loop's thread runs, by loop index: pinned to a CPU, or
    /// why not (see [`Pinning`]).
    pub fn pinning(&self) -> &[Pinning] {
        &self.pinning
    }

    /// [`Handle::spawn_on`].
    ///
    /// # Errors
    ///
    /// [`NoSuchLoop`] if `index` is not below [`loops`](Runtime::loops).
    pub fn spawn_on<M, Fut>(
        &self,
        index: usize,
        make: M,
    ) -> Result<JoinHandle<Fut::Output>, NoSuchLoop>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        self.handle.spawn_on(index, make)
    }

    /// [`Handle::spawn`] (round robin).
    pub fn spawn<M, Fut>(&self, make: M) -> JoinHandle<Fut::Output>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        self.handle.spawn(make)
    }

    /// Runs the future that `make` builds on loop 0, and blocks the calling
    /// thread until it ends: the entry point of a program.
    ///
    /// # Errors
    ///
    /// [`JoinError::Panicked`] if the future (or `make`) panicked;
    /// [`JoinError::Aborted`] if the runtime shut down first.
    ///
    /// # Panics
    ///
    /// On one of this runtime's loops (it would block itself).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::per_core::Runtime;
    ///
    /// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
    /// assert_eq!(rt.block_on(|| async { "done" }), Ok("done"));
    /// ```
    pub fn block_on<M, Fut>(&self, make: M) -> Result<Fut::Output, JoinError>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        self.handle
            .spawn_on(0, make)
            .expect("every runtime has a loop 0")
            .join()
    }

    /// Stops every loop after its current poll and joins their threads.
    /// Tasks not finished by then are dropped on their loop (closing their
    /// sockets); their handles give [`JoinError::Aborted`], as do spawns
    /// made after this.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Closes every inbox (each loop's `serve` returns, its `block_on`
    /// ends, the loop drops its tasks) and joins the threads, except the
    /// caller's own if it is one of them (it ends on its own).
    fn stop(&mut self) {
        for inbox in &self.handle.shared.inboxes {
            inbox.close();
        }
        let me = thread::current().id();
        for thread in self.threads.iter_mut() {
            if let Some(joined) = thread.take() {
                if joined.thread().id() != me {
                    let _ = joined.join();
                }
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.handle.shared.id)
            .field("pinning", &self.pinning)
            .finish()
    }
}

/// Settings for a per-core [`Runtime`].
///
/// # Examples
///
/// ```
/// use handspun::per_core::Runtime;
///
/// let rt = Runtime::builder().loops(3).pin(false).build().unwrap();
/// assert_eq!(rt.loops(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    /// How many loops; `None`: one per core.
    loops: Option<usize>,
    /// Whether to pin each loop's thread to a CPU.
    pin: bool,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            loops: None,
            pin: true,
        }
    }
}

impl Builder {
    /// How many loops (default: the number of cores; at least 1).
    pub fn loops(mut self, loops: usize) -> Builder {
        self.loops = Some(loops.max(1));
        self
    }

    /// Whether to pin loop `i`'s thread to the `i`-th CPU this process may
    /// use (default on). Loops beyond the allowed CPUs, or refused by the
    /// kernel, run unpinned; [`Runtime::pinning`] says which.
    pub fn pin(mut self, pin: bool) -> Builder {
        self.pin = pin;
        self
    }

    /// Starts the loops, and returns once each runs.
    ///
    /// # Errors
    ///
    /// If the operating system refuses a thread, an `epoll` instance or an
    /// `eventfd`.
    pub fn build(self) -> io::Result<Runtime> {
        let loops = self.loops.unwrap_or_else(|| {
            thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1)
        });
        // The CPUs this process may use (a cpuset may leave some out);
        // without the list, every loop runs unpinned.
        let cpus = if self.pin {
            affinity::allowed_cpus().unwrap_or_default()
        } else {
            Vec::new()
        };
        let shared = Arc::new(Shared {
            id: NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed),
            inboxes: (0..loops).map(|_| Inbox::new()).collect(),
            next: AtomicUsize::new(0),
        });
        let mut runtime = Runtime {
            handle: Handle { shared },
            threads: Vec::with_capacity(loops),
            pinning: Vec::with_capacity(loops),
        };
        for index in 0..loops {
            let cpu = self.pin.then(|| cpus.get(index).copied());
            let handle = runtime.handle.clone();
            let (ready_tx, ready_rx) = mpsc::channel();
            let thread = thread::Builder::new()
                .name(format!("handspun-core-{index}"))
                .spawn(move || run_loop(handle, index, cpu, &ready_tx))?;
            // On error, dropping `runtime` stops the loops started so far.
            runtime.threads.push(Some(thread));
            let started = ready_rx.recv().unwrap_or_else(|_| {
                Err(io::Error::other("a loop's thread ended before it started"))
            });
            runtime.pinning.push(started?);
        }
        Ok(runtime)
    }
}

/// The body of loop `index`'s thread: pin (if asked), build the loop, say
/// so on `ready`, then serve the inbox until shutdown. Returning drops the
/// loop and with it every unfinished task.
fn run_loop(
    handle: Handle,
    index: usize,
    cpu: Option<Option<usize>>,
    ready: &mpsc::Sender<io::Result<Pinning>>,
) {
    let pinning = match cpu {
        None => Pinning::Disabled,
        Some(cpu) => affinity::pin_to(cpu),
    };
    let mut event_loop = match EventLoop::new() {
        Ok(event_loop) => event_loop,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let shared = handle.shared.clone();
    context::enter(handle, index);
    let _ = ready.send(Ok(pinning));
    event_loop.block_on(inbox::serve(&shared.inboxes[index]));
    // Unfinished tasks are dropped here, on their own thread.
    drop(event_loop);
    context::leave();
}
