//! `FairShare`, the lab's fair built-in: unit tests of its `push` and `pop`
//! (no loop), and its order on a simulated loop, where busy times are exact.

use std::time::Duration;

use handspun::event_loop::{self, FairShare, ReadyTask, Scheduler, TaskId, TaskMeta};
use handspun::sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn push(fair: &mut FairShare, id: u64, busy: Duration, polls: u64) {
    let meta = TaskMeta {
        busy,
        polls,
        ..TaskMeta::new(TaskId(id))
    };
    fair.push(ReadyTask::for_test(meta.id), meta);
}

fn pop_id(fair: &mut FairShare) -> Option<u64> {
    fair.pop().map(|task| task.id().0)
}

#[test]
fn least_virtual_runtime_first_fifo_among_equals() {
    let mut fair = FairShare::new();
    push(&mut fair, 1, ms(5), 1);
    push(&mut fair, 2, ms(2), 1);
    push(&mut fair, 3, ms(2), 1);
    assert_eq!(fair.len(), 3);
    assert_eq!(pop_id(&mut fair), Some(2));
    assert_eq!(pop_id(&mut fair), Some(3));
    assert_eq!(pop_id(&mut fair), Some(1));
    assert_eq!(pop_id(&mut fair), None);
}

#[test]
fn a_newcomer_starts_at_the_floor_not_at_zero() {
    let mut fair = FairShare::new();
    push(&mut fair, 1, ms(10), 1);
    assert_eq!(pop_id(&mut fair), Some(1)); // floor: 10 ms
    push(&mut fair, 1, ms(11), 2); // 1 ran 1 ms more: 11 ms
    push(&mut fair, 2, Duration::ZERO, 0); // joins at 10 ms
    assert_eq!(pop_id(&mut fair), Some(2));
    // 2 ran 2 ms: its virtual runtime is 12 ms, behind 1's 11 ms.
    push(&mut fair, 2, ms(2), 1);
    assert_eq!(pop_id(&mut fair), Some(1));
    assert_eq!(pop_id(&mut fair), Some(2));
}

#[test]
fn a_sleeper_wakes_at_most_one_wake_credit_below_the_floor() {
    let mut fair = FairShare::new();
    push(&mut fair, 1, ms(1), 1); // will sleep
    push(&mut fair, 2, ms(1), 1);
    assert_eq!(pop_id(&mut fair), Some(1));
    assert_eq!(pop_id(&mut fair), Some(2)); // floor 1 ms
                                            // 2 computes for 20 ms in 4 slices: its runtime races ahead.
    for busy in [6, 11, 16, 21] {
        push(&mut fair, 2, ms(busy), 2);
        assert_eq!(pop_id(&mut fair), Some(2));
    }
    // Floor 21 ms. 1 wakes with 1 ms: lifted to 21 - 1 = 20 ms, so it runs
    // before 2 (at 22 ms)...
    push(&mut fair, 2, ms(22), 6);
    push(&mut fair, 1, ms(1), 2);
    assert_eq!(pop_id(&mut fair), Some(1));
    // ...but only one credit's worth: after 3 ms more (23 ms) it is behind
    // 2 (22 ms), instead of owning the thread for the 20 ms it slept.
    push(&mut fair, 1, ms(4), 3);
    assert_eq!(pop_id(&mut fair), Some(2));
    assert_eq!(FairShare::WAKE_CREDIT, ms(1));
}

#[test]
fn on_a_simulated_loop_a_light_task_overtakes_a_heavy_one() {
    // heavy: slices of 4 ms; light: slices of 1 ms; both yield after each.
    let run = sim::run_with(FairShare::new(), || async {
        let order = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
        let task = |name: char, slice: u64| {
            let order = order.clone();
            async move {
                for _ in 0..3 {
                    sim::work(ms(slice));
                    order.borrow_mut().push(name);
                    event_loop::yield_now().await;
                }
            }
        };
        let heavy = event_loop::spawn(task('H', 4));
        let light = event_loop::spawn(task('l', 1));
        heavy.await.unwrap();
        light.await.unwrap();
        let order = order.borrow().clone();
        order
    });
    // H (4) then l catches up: l at 1, 2, 3 ms of runtime, all below 4.
    assert_eq!(run.outcome.unwrap(), "HlllHH");
}
