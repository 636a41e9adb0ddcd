//! The tutorial's synchronous downloader, in Rust: one session, one page
//! after another. Every wait on the network is a wait for the whole program.
//!
//! Run it: `cargo run --release --example io_sync [DOWNLOADS]` (default 40).
//! It starts handspun's embedded slow site on a free port and downloads from
//! it, so it needs no network ([`Tutorial`] does that for every `io_*`
//! example).

use handspun::http::blocking::Session;
use handspun::workloads::site::Tutorial;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tutorial = Tutorial::from_args()?;
    // One session: its keep-alive connection is reused by every download.
    let session = Session::new();
    for url in tutorial.urls() {
        let page = session.get(url)?;
        Tutorial::print_read(url, page.body.len());
    }
    tutorial.print_downloaded(tutorial.urls().len());
    println!("connections opened: {}", session.connections_opened());
    Ok(())
}
