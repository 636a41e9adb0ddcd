//! Runs the slow-site server alone, like `handspun serve`, for load generators.
//!
//! ```text
//! cargo run --release --example slow_site -- --addr 127.0.0.1:8080
//! curl 'http://127.0.0.1:8080/bytes/1024?delay_ms=60'
//! ```
//!
//! Ctrl-C (SIGINT) or SIGTERM stops it after in-flight responses finish.

use std::net::SocketAddr;

use handspun::http::server::{serve_until_signal, DEFAULT_ADDR};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match args.as_slice() {
        [] => DEFAULT_ADDR.to_string(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => {
            eprintln!("usage: slow_site [--addr 127.0.0.1:8080]");
            std::process::exit(2);
        }
    };
    let addr: SocketAddr = match addr.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("slow_site: invalid address `{addr}`: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = serve_until_signal(addr) {
        eprintln!("slow_site: {e}");
        std::process::exit(1);
    }
}
