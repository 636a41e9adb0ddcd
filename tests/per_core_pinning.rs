//! Pinning: loop `i` on the `i`-th allowed CPU, checked with
//! `sched_getaffinity` on the loop's own thread; unpinned (and saying why)
//! when pinning is off, the CPUs run out, or the kernel refuses.

mod util_per_core;

use handspun::per_core::{allowed_cpus, Pinning, Runtime};
use util_per_core::within_limit;

/// The CPUs loop `index`'s thread may run on, asked on that thread.
fn affinity_of_loop(rt: &Runtime, index: usize) -> Vec<usize> {
    rt.spawn_on(index, || async { allowed_cpus().unwrap() })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_pinned_loop_runs_on_its_cpu_only() {
    within_limit(|| {
        let cpus = allowed_cpus().unwrap();
        let loops = cpus.len().min(2);
        let rt = Runtime::builder().loops(loops).build().unwrap();
        assert_eq!(rt.pinning().len(), loops);
        for (index, pinning) in rt.pinning().iter().enumerate() {
            let affinity = affinity_of_loop(&rt, index);
            match pinning {
                Pinning::Pinned { cpu } => {
                    assert_eq!(
                        *cpu, cpus[index],
                        "loop {index} takes the {index}-th allowed CPU"
                    );
                    assert_eq!(affinity, vec![*cpu]);
                }
                // A sandbox may forbid it; then nothing changed, and it says so.
                Pinning::Refused { error } => {
                    assert!(!error.is_empty());
                    assert_eq!(affinity, cpus);
                }
                other => panic!("loop {index}: unexpected {other:?}"),
            }
        }
    });
}

#[test]
fn pinning_turned_off_leaves_every_loop_where_it_was() {
    within_limit(|| {
        let cpus = allowed_cpus().unwrap();
        let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
        assert_eq!(rt.pinning(), &[Pinning::Disabled, Pinning::Disabled]);
        assert!(rt.pinning().iter().all(|p| !p.is_pinned()));
        for index in 0..2 {
            assert_eq!(affinity_of_loop(&rt, index), cpus);
        }
    });
}

#[test]
fn loops_beyond_the_allowed_cpus_run_unpinned_and_say_so() {
    within_limit(|| {
        let cpus = allowed_cpus().unwrap();
        let rt = Runtime::builder().loops(cpus.len() + 1).build().unwrap();
        let last = cpus.len();
        assert_eq!(rt.pinning()[last], Pinning::NoCpuLeft);
        assert!(rt.pinning()[last].to_string().contains("unpinned"));
        assert_eq!(affinity_of_loop(&rt, last), cpus);
    });
}
