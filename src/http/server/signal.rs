//! SIGINT and SIGTERM, turned into a [`Shutdown`] trigger by a dedicated thread.
//!
//! A signal handler may only call async-signal-safe functions, which rules
//! out waking an event loop. The classic way around that is to not use a
//! handler at all: *block* the signals, so the kernel holds them pending,
//! and let one thread collect them with `sigwait(3)`. That thread is
//! ordinary code, free to call [`Shutdown::trigger`].
//!
//! The mask is per thread and inherited by threads created afterwards, so
//! [`block_and_watch`] must run before the program starts other threads
//! (the `serve` command calls it first). A thread created earlier would
//! still receive the signal and die by its default action. A second signal
//! during the graceful shutdown exits at once (status 130), the way servers
//! usually treat an impatient Ctrl-C.

#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

use super::Shutdown;

/// Blocks SIGINT and SIGTERM in the calling thread (and the threads it
/// creates later), and starts a thread that triggers `shutdown` on the first
/// of them and exits the process on the second.
///
/// # Errors
///
/// The OS refused to change the signal mask or to start the thread.
pub fn block_and_watch(shutdown: Shutdown) -> io::Result<()> {
    let set = termination_signals()?;
    // SAFETY: `set` is an initialised sigset_t that lives across the call;
    // a null old-set pointer is allowed and means "don't report it".
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    std::thread::Builder::new()
        .name("handspun-signals".into())
        .spawn(move || {
            let mut first = true;
            loop {
                let mut signal: libc::c_int = 0;
                // SAFETY: `set` is initialised and `signal` is a valid place
                // for the result; both outlive the call.
                let rc = unsafe { libc::sigwait(&set, &mut signal) };
                if rc != 0 {
                    continue;
                }
                if first {
                    eprintln!("received signal {signal}: finishing in-flight responses (again to exit now)");
                    shutdown.trigger();
                    first = false;
                } else {
                    std::process::exit(130);
                }
            }
        })?;
    Ok(())
}

/// The set {SIGINT, SIGTERM}.
fn termination_signals() -> io::Result<libc::sigset_t> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; `set` is valid
    // writable memory of the right type.
    if unsafe { libc::sigemptyset(set.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigemptyset succeeded, so the set is initialised.
    let mut set = unsafe { set.assume_init() };
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `set` is an initialised sigset_t and `signal` a valid signal number.
        if unsafe { libc::sigaddset(&mut set, signal) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(set)
}
