//! The tutorial's asyncio downloader: one thread, one task per page, one
//! shared session. While a task waits for its server, the loop runs another
//! task that is ready; `.await` is where a task hands control back.
//!
//! Run it: `cargo run --release --example io_event_loop [DOWNLOADS]` (default 40).

use std::time::Instant;

use handspun::event_loop::{self, EventLoop};
use handspun::http::{self, server};
use handspun::workloads::io::io_jobs;

async fn download(session: http::Session, url: String) -> Result<usize, http::Error> {
    let page = session.get(&url).await?;
    println!("Read {} from {url}", page.body.len());
    Ok(page.body.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = std::env::args().nth(1).map_or(Ok(40), |n| n.parse())?;
    let site = server::spawn_background("127.0.0.1:0".parse()?)?;
    let base = format!("http://{}", site.addr());
    let sites: Vec<String> = io_jobs(count).iter().map(|job| job.url(&base)).collect();

    let start = Instant::now();
    let mut event_loop = EventLoop::new()?;
    let downloaded = event_loop.block_on(async {
        // Many tasks share one session (a pool of connections).
        let session = http::Session::new();
        let tasks: Vec<_> = sites
            .iter()
            .map(|url| event_loop::spawn(download(session.clone(), url.clone())))
            .collect();
        // Like asyncio.gather: wait for every task.
        let mut ok = 0;
        for task in tasks {
            if matches!(task.await, Ok(Ok(_))) {
                ok += 1;
            }
        }
        ok
    });
    let seconds = start.elapsed().as_secs_f64();
    println!("Downloaded {downloaded} in {seconds:.2} seconds");
    Ok(())
}
