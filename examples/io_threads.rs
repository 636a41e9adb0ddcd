//! The tutorial's threaded downloader: a pool of 5 threads, each with its own
//! session kept in a thread-local (Python's `threading.local()`), so a worker
//! reuses its connection from one download to the next.
//!
//! Run it: `cargo run --release --example io_threads [DOWNLOADS]` (default 40).

use std::time::Instant;

use handspun::http::blocking::Session;
use handspun::http::server;
use handspun::threadpool::{ThreadPool, WorkerLocal};
use handspun::workloads::io::io_jobs;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = std::env::args().nth(1).map_or(Ok(40), |n| n.parse())?;
    let site = server::spawn_background("127.0.0.1:0".parse()?)?;
    let base = format!("http://{}", site.addr());
    let sites: Vec<String> = io_jobs(count).iter().map(|job| job.url(&base)).collect();

    let start = Instant::now();
    let pool = ThreadPool::new(5);
    // Each worker thread builds its own Session the first time it needs one.
    let sessions = WorkerLocal::new(Session::new);
    let download = move |url: String| {
        let bytes = sessions.with(|session| session.get(&url).map(|page| page.body.len()));
        (url, bytes)
    };
    for result in pool.map(download, sites.clone()) {
        let (url, bytes) = result?;
        println!("Read {} from {url}", bytes?);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("Downloaded {} in {seconds:.2} seconds", sites.len());
    Ok(())
}
