//! Channels: delivery, back-pressure, and every closed case.

use std::cell::Cell;
use std::rc::Rc;

use handspun::event_loop::channel::{mpsc, oneshot};
use handspun::event_loop::{self, EventLoop};

#[test]
fn oneshot_delivers_one_value() {
    let mut ev = EventLoop::new().unwrap();
    let got = ev.block_on(async {
        let (tx, rx) = oneshot::channel();
        event_loop::spawn(async move {
            event_loop::yield_now().await;
            tx.send("hi").unwrap();
        });
        rx.await
    });
    assert_eq!(got, Ok("hi"));
}

#[test]
fn oneshot_receiver_sees_a_dropped_sender() {
    let mut ev = EventLoop::new().unwrap();
    let got = ev.block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        event_loop::spawn(async move {
            event_loop::yield_now().await;
            drop(tx);
        });
        rx.await
    });
    assert_eq!(got, Err(oneshot::RecvError));
    assert!(oneshot::RecvError.to_string().contains("dropped"));
}

#[test]
fn oneshot_send_to_a_dropped_receiver_gives_the_value_back() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(5), Err(5));
}

#[test]
fn oneshot_try_recv() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Closed));
}

#[test]
fn oneshot_works_across_threads() {
    let mut ev = EventLoop::new().unwrap();
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::spawn(move || tx.send(99u32).unwrap());
    assert_eq!(ev.block_on(rx), Ok(99));
    thread.join().unwrap();
}

#[test]
fn mpsc_keeps_order_and_ends_when_senders_are_gone() {
    let mut ev = EventLoop::new().unwrap();
    let got = ev.block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        event_loop::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(i) = rx.recv().await {
            got.push(i);
        }
        got
    });
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn mpsc_applies_back_pressure() {
    let mut ev = EventLoop::new().unwrap();
    let sent = Rc::new(Cell::new(0));
    ev.block_on({
        let sent = sent.clone();
        async move {
            let (tx, mut rx) = mpsc::channel(3);
            let producer = event_loop::spawn({
                let sent = sent.clone();
                async move {
                    for i in 0..10 {
                        tx.send(i).await.unwrap();
                        sent.set(sent.get() + 1);
                    }
                }
            });
            // Let the producer run as far as it can without a consumer.
            for _ in 0..10 {
                event_loop::yield_now().await;
            }
            assert_eq!(sent.get(), 3, "the producer must stop at capacity");
            assert_eq!(rx.len(), 3);
            assert_eq!(rx.recv().await, Some(0));
            for _ in 0..10 {
                event_loop::yield_now().await;
            }
            assert_eq!(sent.get(), 4, "one slot freed, one more value sent");
            while rx.recv().await.is_some() {}
            producer.await.unwrap();
        }
    });
    assert_eq!(sent.get(), 10);
}

#[test]
fn mpsc_try_send_reports_full_and_closed_with_the_value() {
    let (tx, mut rx) = mpsc::channel(1);
    assert_eq!(tx.capacity(), 1);
    tx.try_send(1).unwrap();
    match tx.try_send(2) {
        Err(mpsc::TrySendError::Full(v)) => assert_eq!(v, 2),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(3).unwrap_err().into_inner(), 3);
}

#[test]
fn mpsc_send_after_the_receiver_is_gone_gives_the_value_back() {
    let mut ev = EventLoop::new().unwrap();
    let result = ev.block_on(async {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        tx.send(String::from("lost?")).await
    });
    assert_eq!(result.unwrap_err().0, "lost?");
}

#[test]
fn a_blocked_sender_fails_when_the_receiver_is_dropped() {
    let mut ev = EventLoop::new().unwrap();
    let result = ev.block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let blocked = event_loop::spawn(async move { tx.send(2).await });
        event_loop::yield_now().await;
        assert!(!blocked.is_finished());
        drop(rx);
        blocked.await.unwrap()
    });
    assert_eq!(result.unwrap_err().0, 2);
}

#[test]
fn receiver_gets_none_after_draining_when_all_senders_drop() {
    let (tx, mut rx) = mpsc::channel(8);
    let tx2 = tx.clone();
    tx.try_send(1).unwrap();
    tx2.try_send(2).unwrap();
    drop(tx);
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Closed));
    let mut ev = EventLoop::new().unwrap();
    assert_eq!(ev.block_on(rx.recv()), None);
}

#[test]
fn a_cancelled_waiting_sender_passes_its_turn_on() {
    let mut ev = EventLoop::new().unwrap();
    let got = ev.block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let first = event_loop::spawn({
            let tx = tx.clone();
            async move { tx.send(1).await }
        });
        let second = event_loop::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        event_loop::yield_now().await; // both wait, `first` ahead
        assert_eq!(rx.recv().await, Some(0)); // wakes `first`...
        first.abort(); // ...which gives up its turn
        let next = event_loop::timeout(std::time::Duration::from_secs(5), rx.recv()).await;
        assert!(second.await.unwrap().is_ok());
        next
    });
    assert_eq!(got, Ok(Some(2)));
}

#[test]
fn ping_pong_between_two_tasks() {
    let mut ev = EventLoop::new().unwrap();
    let rounds = ev.block_on(async {
        let (to_pong, mut pong_rx) = mpsc::channel::<u32>(1);
        let (to_ping, mut ping_rx) = mpsc::channel::<u32>(1);
        let pong = event_loop::spawn(async move {
            while let Some(n) = pong_rx.recv().await {
                to_ping.send(n + 1).await.unwrap();
            }
        });
        let mut n = 0;
        for _ in 0..1_000 {
            to_pong.send(n).await.unwrap();
            n = ping_rx.recv().await.unwrap();
        }
        drop(to_pong);
        pong.await.unwrap();
        n
    });
    assert_eq!(rounds, 1_000);
}
