//! The tutorial's asyncio downloader: one thread, one task per page, one
//! shared session. While a task waits for its server, the loop runs another
//! task that is ready; `.await` is where a task hands control back. The
//! `Read` lines come out in the order the pages arrive, not in list order.
//!
//! Run it: `cargo run --release --example io_event_loop [DOWNLOADS]` (default 40).

use handspun::event_loop::{self, EventLoop};
use handspun::http;
use handspun::workloads::site::Tutorial;

async fn download(session: http::Session, url: String) -> Result<usize, http::Error> {
    let page = session.get(&url).await?;
    Tutorial::print_read(&url, page.body.len());
    Ok(page.body.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tutorial = Tutorial::from_args()?;
    let mut event_loop = EventLoop::new()?;
    let downloaded = event_loop.block_on(async {
        // Many tasks share one session (a pool of connections).
        let session = http::Session::new();
        let tasks: Vec<_> = tutorial
            .urls()
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
    tutorial.print_downloaded(downloaded);
    Ok(())
}
