//! The tutorial's multiprocessing downloader: one worker process per core,
//! each with its own session in a thread-local of its own process (the
//! tutorial's pool `initializer`).
//!
//! Run it: `cargo run --release --example io_processes [DOWNLOADS]` (default 40).

use handspun::http::blocking::Session;
use handspun::procpool::ProcessPool;
use handspun::workloads::site::Tutorial;

thread_local! {
    /// One session per worker process, built on its first download.
    static SESSION: Session = Session::new();
}

/// Runs in a worker process: the URL arrives through a pipe, the length
/// goes back the same way.
fn download(url: String) -> Result<usize, String> {
    SESSION.with(|session| {
        session
            .get(&url)
            .map(|page| page.body.len())
            .map_err(|e| e.to_string())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tutorial = Tutorial::from_args()?;
    let cores = std::thread::available_parallelism()?.get();
    let pool = ProcessPool::new(cores)?;
    let results = pool.map(download, tutorial.urls().to_vec(), 1);
    for (url, result) in tutorial.urls().iter().zip(results) {
        Tutorial::print_read(url, result??);
    }
    tutorial.print_downloaded(tutorial.urls().len());
    Ok(())
}
