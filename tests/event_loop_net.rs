//! TCP on the loop: echo, many clients on one thread, errors, no fd leaks.

mod util_event_loop;

use std::net::Shutdown;
use std::time::Duration;

use handspun::event_loop::net::{TcpListener, TcpStream};
use handspun::event_loop::{self, EventLoop};
use util_event_loop::{any_port, echo_server};

#[test]
fn echo_round_trip_with_read_exact_and_write_all() {
    let mut ev = EventLoop::new().unwrap();
    let reply = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        event_loop::spawn(echo_server(listener));
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);
        let message = vec![7u8; 200_000]; // bigger than socket buffers: must wait
        let writer = {
            let message = message.clone();
            let mut half = TcpStream::connect(addr).await.unwrap();
            event_loop::spawn(async move {
                half.write_all(&message).await.unwrap();
                let mut back = vec![0u8; message.len()];
                half.read_exact(&mut back).await.unwrap();
                back
            })
        };
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        client.read_exact(&mut buf).await.unwrap();
        let back = writer.await.unwrap();
        assert_eq!(back, message);
        buf
    });
    assert_eq!(&reply, b"ping");
}

#[test]
fn a_thousand_concurrent_clients_on_one_loop() {
    const CLIENTS: usize = 1_000;
    // Each connection needs two descriptors here (client and server side).
    // The library's helper: the soft limit up to the hard one.
    let limit = handspun::http::server::raise_fd_limit().unwrap();
    assert!(
        limit >= 2 * CLIENTS as u64 + 64,
        "hard fd limit too low: {limit}"
    );
    let mut ev = EventLoop::new().unwrap();
    let ok = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = event_loop::spawn(echo_server(listener));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                event_loop::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    let message = format!("client {i:04} says hi");
                    for _ in 0..3 {
                        stream.write_all(message.as_bytes()).await?;
                        let mut back = vec![0u8; message.len()];
                        stream.read_exact(&mut back).await?;
                        assert_eq!(back, message.as_bytes());
                    }
                    std::io::Result::Ok(())
                })
            })
            .collect();
        let mut ok = 0;
        for client in clients {
            let outcome = event_loop::timeout(Duration::from_secs(30), client).await;
            if let Ok(Ok(Ok(()))) = outcome {
                ok += 1;
            }
        }
        server.abort();
        ok
    });
    assert_eq!(ok, CLIENTS);
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let mut ev = EventLoop::new().unwrap();
    let addr = {
        // Bind then drop: the port is (very likely) closed now.
        let listener = std::net::TcpListener::bind(any_port()).unwrap();
        listener.local_addr().unwrap()
    };
    let result = ev.block_on(TcpStream::connect(addr));
    let error = result.expect_err("nobody listens there");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn read_returns_zero_after_the_peer_shuts_down_its_write_side() {
    let mut ev = EventLoop::new().unwrap();
    let (n, exact) = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server_side, _) = listener.accept().await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut buf = [0u8; 8];
        let n = server_side.read(&mut buf).await.unwrap();
        let exact = server_side.read_exact(&mut buf).await;
        (n, exact)
    });
    assert_eq!(n, 0);
    assert_eq!(exact.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn std_sockets_can_be_adopted() {
    let mut ev = EventLoop::new().unwrap();
    let std_listener = std::net::TcpListener::bind(any_port()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let got = ev.block_on(async move {
        let listener = TcpListener::from_std(std_listener).unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let mut client = TcpStream::from_std(std_client).unwrap();
        let (mut server_side, _) = listener.accept().await.unwrap();
        client.write_all(b"abc").await.unwrap();
        let mut buf = [0u8; 3];
        server_side.read_exact(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(&got, b"abc");
}

/// Wraps a future, counting its polls.
struct CountPolls<F> {
    inner: std::pin::Pin<Box<F>>,
    polls: std::rc::Rc<std::cell::Cell<u32>>,
}

impl<F: std::future::Future> std::future::Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

#[test]
fn readiness_wakes_only_the_task_whose_socket_is_ready() {
    use std::cell::Cell;
    use std::rc::Rc;
    const READERS: usize = 8;
    let mut ev = EventLoop::new().unwrap();
    let polls: Vec<_> = (0..READERS).map(|_| Rc::new(Cell::new(0u32))).collect();
    let counts = polls.clone();
    let got = ev.block_on(async move {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut writers = Vec::new();
        let mut readers = Vec::new();
        for count in &counts {
            let writer = TcpStream::connect(addr).await.unwrap();
            let (mut reader, _) = listener.accept().await.unwrap();
            writers.push(writer);
            readers.push(event_loop::spawn(CountPolls {
                inner: Box::pin(async move {
                    let mut buf = [0u8; 16];
                    let n = reader.read(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                }),
                polls: count.clone(),
            }));
        }
        // Let every reader park on its empty socket.
        for _ in 0..3 {
            event_loop::yield_now().await;
        }
        assert!(counts.iter().all(|c| c.get() == 1));
        writers[3].write_all(b"only three").await.unwrap();
        let got = readers.remove(3).await.unwrap();
        for _ in 0..3 {
            event_loop::yield_now().await;
        }
        for handle in &readers {
            handle.abort();
        }
        got
    });
    assert_eq!(got, b"only three");
    for (i, count) in polls.iter().enumerate() {
        let expected = if i == 3 { 2 } else { 1 };
        assert_eq!(count.get(), expected, "reader {i}");
    }
}

#[test]
fn a_spurious_wake_of_a_reader_is_harmless() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::task::Waker;
    let mut ev = EventLoop::new().unwrap();
    let polls = Rc::new(Cell::new(0u32));
    let stolen: Rc<RefCell<Option<Waker>>> = Rc::default();
    let got = ev.block_on({
        let polls = polls.clone();
        let stolen = stolen.clone();
        async move {
            let listener = TcpListener::bind(any_port()).unwrap();
            let addr = listener.local_addr().unwrap();
            let mut writer = TcpStream::connect(addr).await.unwrap();
            let (mut reader, _) = listener.accept().await.unwrap();
            let task = event_loop::spawn({
                let stolen = stolen.clone();
                async move {
                    let mut buf = [0u8; 8];
                    let n = std::future::poll_fn(|cx| {
                        polls.set(polls.get() + 1);
                        *stolen.borrow_mut() = Some(cx.waker().clone());
                        reader.poll_read(cx, &mut buf)
                    })
                    .await
                    .unwrap();
                    buf[..n].to_vec()
                }
            });
            event_loop::yield_now().await; // the reader parks
            let waker = stolen.borrow_mut().take().unwrap();
            waker.wake(); // nothing to read: a spurious wake
            event_loop::yield_now().await; // the reader tries, parks again
            assert!(!task.is_finished());
            writer.write_all(b"real").await.unwrap();
            let out = task.await.unwrap();
            out
        }
    });
    assert_eq!(got, b"real");
    assert_eq!(polls.get(), 3, "park, spurious retry, real read");
}

#[test]
fn readable_waits_for_bytes_or_the_close_and_takes_none() {
    let mut ev = EventLoop::new().unwrap();
    let (first, second) = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        // Nothing sent yet: `readable` waits while the writer task sleeps.
        let sent = std::rc::Rc::new(std::cell::Cell::new(false));
        let writer = event_loop::spawn({
            let sent = sent.clone();
            async move {
                event_loop::sleep(Duration::from_millis(20)).await;
                sent.set(true);
                client.write_all(b"hello").await.unwrap();
                client.shutdown(Shutdown::Write).unwrap();
            }
        });
        server.readable().await.unwrap();
        assert!(sent.get(), "readable returned before anything was sent");
        // The bytes are all still there for `read`.
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        while got.len() < 5 {
            let n = server.read(&mut buf).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        writer.await.unwrap();
        // After the peer's close, `readable` returns at once, and a read says 0.
        server.readable().await.unwrap();
        (got, server.read(&mut buf).await.unwrap())
    });
    assert_eq!(first, b"hello");
    assert_eq!(second, 0);
}
