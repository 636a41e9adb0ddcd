//! The tutorial's synchronous downloader, in Rust: one session, one page
//! after another. Every wait on the network is a wait for the whole program.
//!
//! Run it: `cargo run --release --example io_sync [DOWNLOADS]` (default 40).
//! It starts handspun's embedded slow site on a free port and downloads from
//! it, so it needs no network.

use std::time::Instant;

use handspun::http::blocking::Session;
use handspun::http::server;
use handspun::workloads::io::io_jobs;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = std::env::args().nth(1).map_or(Ok(40), |n| n.parse())?;
    let site = server::spawn_background("127.0.0.1:0".parse()?)?;
    let base = format!("http://{}", site.addr());
    let sites: Vec<String> = io_jobs(count).iter().map(|job| job.url(&base)).collect();

    let start = Instant::now();
    // One session: its keep-alive connection is reused by every download.
    let session = Session::new();
    for url in &sites {
        let page = session.get(url)?;
        println!("Read {} from {url}", page.body.len());
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("Downloaded {} in {seconds:.2} seconds", sites.len());
    println!("connections opened: {}", session.connections_opened());
    Ok(())
}
