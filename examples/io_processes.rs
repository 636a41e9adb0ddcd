//! The tutorial's multiprocessing downloader: one worker process per core,
//! each with its own session in a thread-local of its own process (the
//! tutorial's pool `initializer`).
//!
//! Run it: `cargo run --release --example io_processes [DOWNLOADS]` (default 40).

use std::time::Instant;

use handspun::http::blocking::Session;
use handspun::http::server;
use handspun::procpool::ProcessPool;
use handspun::workloads::io::io_jobs;

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
    let count = std::env::args().nth(1).map_or(Ok(40), |n| n.parse())?;
    let site = server::spawn_background("127.0.0.1:0".parse()?)?;
    let base = format!("http://{}", site.addr());
    let sites: Vec<String> = io_jobs(count).iter().map(|job| job.url(&base)).collect();

    let start = Instant::now();
    let cores = std::thread::available_parallelism()?.get();
    let pool = ProcessPool::new(cores)?;
    let results = pool.map(download, sites.clone(), 1);
    for (url, result) in sites.iter().zip(results) {
        println!("Read {} from {url}", result??);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("Downloaded {} in {seconds:.2} seconds", sites.len());
    Ok(())
}
