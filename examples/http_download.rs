//! Downloads one URL many times with the async `Session` on one event loop,
//! `--concurrency` tasks at a time, and prints the throughput.
//!
//! ```text
//! cargo run --release --example slow_site &
//! cargo run --release --example http_download -- http://127.0.0.1:8080/bytes/1048576 200 10
//! ```
//!
//! Arguments: URL, number of downloads (default 100), concurrent tasks
//! (default 10, also the pool limit).

use std::time::Instant;

use handspun::event_loop::{self, EventLoop};
use handspun::http::Session;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .ok_or("usage: http_download URL [DOWNLOADS] [CONCURRENCY]")?
        .clone();
    let downloads: usize = args.get(1).map_or(Ok(100), |n| n.parse())?;
    let concurrency: usize = args.get(2).map_or(Ok(10), |n| n.parse())?.max(1);

    let session = Session::builder().pool_limit(concurrency).build();
    let mut event_loop = EventLoop::new()?;
    let started = Instant::now();
    let (bytes, failed) = event_loop.block_on(async {
        // `concurrency` workers, each taking the next download in turn.
        let next = std::rc::Rc::new(std::cell::Cell::new(0));
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (session, url, next) = (session.clone(), url.clone(), next.clone());
                event_loop::spawn(async move {
                    let (mut bytes, mut failed) = (0u64, 0u64);
                    while next.get() < downloads {
                        next.set(next.get() + 1);
                        match session.get(&url).await {
                            Ok(response) if response.is_success() => {
                                bytes += response.body.len() as u64
                            }
                            _ => failed += 1,
                        }
                    }
                    (bytes, failed)
                })
            })
            .collect();
        let (mut bytes, mut failed) = (0u64, 0u64);
        for worker in workers {
            let (b, f) = worker.await.unwrap_or((0, 1));
            bytes += b;
            failed += f;
        }
        (bytes, failed)
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{downloads} downloads ({failed} failed), {bytes} bytes in {seconds:.3} s: {:.1} MiB/s, {:.0} requests/s, {} connections",
        bytes as f64 / seconds / (1024.0 * 1024.0),
        downloads as f64 / seconds,
        session.connections_opened()
    );
    Ok(())
}
