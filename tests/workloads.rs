//! The workload definitions: job list, body check, cpu_bound, ideal times,
//! model names. Pure functions: no runtime needed.

use std::time::Duration;

use handspun::http::expected_body_byte;
use handspun::workloads::cpu::{cpu_bound, cpu_ideal_s, cpu_numbers};
use handspun::workloads::ideal::makespan;
use handspun::workloads::io::{check_body, checksum, io_jobs, BodyError, SITE_A, SITE_B};
use handspun::workloads::{Model, Workload};

fn delays(requests: usize) -> Vec<Duration> {
    io_jobs(requests).iter().map(|job| job.site.delay).collect()
}

fn assert_close(got: Duration, want_s: f64) {
    let got = got.as_secs_f64();
    assert!(
        (got - want_s).abs() < 1e-9,
        "makespan {got} s, expected {want_s} s"
    );
}

#[test]
fn default_job_list_is_the_tutorials_two_sites_interleaved() {
    let jobs = io_jobs(160);
    assert_eq!(jobs.len(), 160);
    for (i, job) in jobs.iter().enumerate() {
        let expected = if i % 2 == 0 { SITE_A } else { SITE_B };
        assert_eq!(job.site, expected, "job {i}");
    }
    assert_eq!(jobs[0].path, "/bytes/49152?delay_ms=100");
    assert_eq!(jobs[1].path, "/bytes/1024?delay_ms=60");
    assert_eq!(jobs.iter().filter(|j| j.site == SITE_A).count(), 80);
}

#[test]
fn requests_scale_the_list_and_keep_the_alternation() {
    let jobs = io_jobs(5);
    let sites: Vec<_> = jobs.iter().map(|j| j.site).collect();
    assert_eq!(sites, [SITE_A, SITE_B, SITE_A, SITE_B, SITE_A]);
    assert_eq!(io_jobs(0).len(), 0);
    assert_eq!(
        jobs[1].url("http://127.0.0.1:9/"),
        "http://127.0.0.1:9/bytes/1024?delay_ms=60"
    );
}

#[test]
fn ideal_makespans_of_the_default_list() {
    let list = delays(160);
    assert_close(makespan(list.clone(), 1), 12.80);
    assert_close(makespan(list.clone(), 2), 6.40);
    assert_close(makespan(list.clone(), 5), 2.60);
    assert_close(makespan(list.clone(), 100), 0.200);
    // More slots than jobs: the longest single wait.
    assert_close(makespan(list, 1000), 0.100);
}

#[test]
fn makespan_of_nothing_is_zero() {
    assert_eq!(makespan(Vec::new(), 3), Duration::ZERO);
}

#[test]
#[should_panic(expected = "at least one slot")]
fn makespan_needs_a_slot() {
    makespan([Duration::from_millis(1)], 0);
}

#[test]
fn a_correct_body_passes_and_gives_its_checksum() {
    let body: Vec<u8> = (0..1024).map(expected_body_byte).collect();
    assert_eq!(&body[..3], b"abc");
    assert_eq!(body[26], b'a');
    assert_eq!(check_body(&body, 1024), Ok(checksum(&body)));
}

#[test]
fn wrong_bodies_are_caught_with_what_is_wrong() {
    let body: Vec<u8> = (0..100).map(expected_body_byte).collect();
    assert_eq!(
        check_body(&body[..99], 100),
        Err(BodyError::WrongLength {
            expected: 100,
            got: 99
        })
    );
    let mut corrupted = body.clone();
    corrupted[57] = b'Z';
    assert_eq!(
        check_body(&corrupted, 100),
        Err(BodyError::WrongByte {
            index: 57,
            expected: expected_body_byte(57),
            got: b'Z'
        })
    );
    // A body shifted by one byte has the right length but the wrong pattern.
    let shifted: Vec<u8> = (1..101).map(expected_body_byte).collect();
    assert!(matches!(
        check_body(&shifted, 100),
        Err(BodyError::WrongByte { index: 0, .. })
    ));
    assert!(check_body(&corrupted, 100)
        .unwrap_err()
        .to_string()
        .contains("byte 57"));
}

/// The closed formula, in exact arithmetic, reduced mod 2^64 as the wrapping
/// loop does.
fn sum_of_squares(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let n = u128::from(n);
    ((n - 1) * n * (2 * n - 1) / 6) as u64
}

#[test]
fn cpu_bound_is_the_sum_of_squares() {
    for n in [0, 1, 2, 3, 10, 4095, 4096, 4097, 100_000, 1_000_003] {
        assert_eq!(cpu_bound(n), sum_of_squares(n), "n = {n}");
    }
}

#[test]
fn cpu_bound_wraps_like_u64() {
    // 5_000_000² * 5_000_000 / 3 overflows u64: the loop wraps, so does the formula.
    let n = 5_000_019;
    assert!(u128::from(n).pow(3) / 3 > u128::from(u64::MAX));
    assert_eq!(cpu_bound(n), sum_of_squares(n));
}

#[test]
fn cpu_numbers_are_the_tutorials_list_scaled() {
    let numbers = cpu_numbers(1.0);
    assert_eq!(
        numbers,
        (0..20).map(|x| 5_000_000 + x).collect::<Vec<u64>>()
    );
    assert_eq!(cpu_numbers(2.0)[3], 10_000_006);
    assert_eq!(cpu_numbers(0.1)[0], 500_000);
}

#[test]
#[should_panic(expected = "positive")]
fn cpu_scale_must_be_positive() {
    cpu_numbers(0.0);
}

#[test]
fn cpu_ideal_counts_only_usable_cores() {
    assert_eq!(cpu_ideal_s(Model::Sync, 6.0, 1, 2), 6.0);
    assert_eq!(cpu_ideal_s(Model::Threads, 6.0, 5, 2), 3.0);
    assert_eq!(cpu_ideal_s(Model::Threads, 6.0, 1, 2), 6.0);
    assert_eq!(cpu_ideal_s(Model::Processes, 6.0, 3, 4), 2.0);
    assert_eq!(cpu_ideal_s(Model::EventLoop, 6.0, 1, 8), 6.0);
    assert_eq!(cpu_ideal_s(Model::ThreadsGil, 6.0, 5, 8), 6.0);
}

#[test]
fn model_names_round_trip_and_bad_names_say_what_to_type() {
    for model in Model::ALL {
        assert_eq!(model.name().parse::<Model>(), Ok(model));
        assert_eq!(
            serde_json::to_string(&model).unwrap(),
            format!("\"{}\"", model.name())
        );
    }
    let error = "asyncio".parse::<Model>().unwrap_err().to_string();
    assert!(
        error.contains("asyncio") && error.contains("event-loop"),
        "{error}"
    );
    assert_eq!("io".parse::<Workload>(), Ok(Workload::Io));
    assert!("disk"
        .parse::<Workload>()
        .unwrap_err()
        .to_string()
        .contains("io, cpu"));
}
