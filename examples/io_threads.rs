//! The tutorial's threaded downloader: a pool of 5 threads, each with its own
//! session kept in a thread-local (Python's `threading.local()`), so a worker
//! reuses its connection from one download to the next.
//!
//! Run it: `cargo run --release --example io_threads [DOWNLOADS]` (default 40).

use handspun::http::blocking::Session;
use handspun::threadpool::{ThreadPool, WorkerLocal};
use handspun::workloads::site::Tutorial;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tutorial = Tutorial::from_args()?;
    let pool = ThreadPool::new(5);
    // Each worker thread builds its own Session the first time it needs one.
    let sessions = WorkerLocal::new(Session::new);
    let download = move |url: String| {
        let bytes = sessions.with(|session| session.get(&url).map(|page| page.body.len()));
        (url, bytes)
    };
    for result in pool.map(download, tutorial.urls().to_vec()) {
        let (url, bytes) = result?;
        Tutorial::print_read(&url, bytes?);
    }
    tutorial.print_downloaded(tutorial.urls().len());
    Ok(())
}
