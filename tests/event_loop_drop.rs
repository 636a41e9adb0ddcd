//! Dropping a loop releases everything: every descriptor it opened is closed.
//!
//! Alone in its own test binary: it counts the process's open descriptors,
//! which tests running in parallel threads would disturb.

mod util_event_loop;

use std::time::Duration;

use handspun::event_loop::net::{TcpListener, TcpStream};
use handspun::event_loop::{self, EventLoop};
use util_event_loop::{any_port, echo_server};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn dropping_the_loop_closes_every_descriptor() {
    // Run twice so lazily-opened process-wide descriptors are already open.
    for round in 0..2 {
        let before = open_fds();
        {
            let mut ev = EventLoop::new().unwrap();
            ev.block_on(async {
                let listener = TcpListener::bind(any_port()).unwrap();
                let addr = listener.local_addr().unwrap();
                event_loop::spawn(echo_server(listener));
                // Clients left mid-conversation, parked on reads, when the loop drops.
                for _ in 0..20 {
                    event_loop::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        stream.write_all(b"x").await.unwrap();
                        let mut buf = [0u8; 1];
                        stream.read_exact(&mut buf).await.unwrap();
                        std::future::pending::<()>().await;
                    });
                }
                event_loop::spawn(event_loop::sleep(Duration::from_secs(3600)));
                event_loop::sleep(Duration::from_millis(20)).await;
            });
            assert!(open_fds() > before + 20);
        }
        assert_eq!(open_fds(), before, "descriptors leaked in round {round}");
    }
}
