//! The io workload: the job list of downloads and the check every body passes.
//!
//! The tutorial downloads two web sites, 80 times each, interleaved
//! (`[site_a, site_b] * 80`). Here the two sites are two endpoints of the
//! embedded slow site: a large page that answers after 100 ms and a small one
//! that answers after 60 ms. Every body is deterministic (byte `i` is
//! `b'a' + i % 26`), so a client can check that it read all of it, correctly.

#![forbid(unsafe_code)]

use std::time::Duration;

use crate::http::expected_body_byte;

/// How many downloads the default job list holds: 80 of each site.
pub const DEFAULT_REQUESTS: usize = 160;

/// One of the two pages of the tutorial's job list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Body length in bytes.
    pub body_len: usize,
    /// How long the server waits before answering.
    pub delay: Duration,
}

/// Site A: a large home page, slow (`/bytes/49152?delay_ms=100`).
pub const SITE_A: Site = Site {
    body_len: 49_152,
    delay: Duration::from_millis(100),
};

/// Site B: a small page, quicker (`/bytes/1024?delay_ms=60`).
pub const SITE_B: Site = Site {
    body_len: 1024,
    delay: Duration::from_millis(60),
};

impl Site {
    /// The path on the slow site that serves this page.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::workloads::io::SITE_A;
    /// assert_eq!(SITE_A.path(), "/bytes/49152?delay_ms=100");
    /// ```
    pub fn path(&self) -> String {
        format!(
            "/bytes/{}?delay_ms={}",
            self.body_len,
            self.delay.as_millis()
        )
    }
}

/// One download of the io workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoJob {
    /// Which page.
    pub site: Site,
    /// The path to request, e.g. `/bytes/1024?delay_ms=60`.
    pub path: String,
}

impl IoJob {
    /// The full URL of this job on a server at `base` (`http://127.0.0.1:PORT`).
    pub fn url(&self, base: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), self.path)
    }
}

/// The job list: `requests` downloads, alternating site A and site B as the
/// tutorial's `[a, b] * 80` does (`requests` = 160 gives exactly that list).
///
/// # Examples
///
/// ```
/// use handspun::workloads::io::{io_jobs, SITE_A, SITE_B};
///
/// let jobs = io_jobs(160);
/// assert_eq!(jobs.len(), 160);
/// assert_eq!((jobs[0].site, jobs[1].site, jobs[2].site), (SITE_A, SITE_B, SITE_A));
/// ```
pub fn io_jobs(requests: usize) -> Vec<IoJob> {
    [SITE_A, SITE_B]
        .into_iter()
        .cycle()
        .take(requests)
        .map(|site| IoJob {
            site,
            path: site.path(),
        })
        .collect()
}

/// FNV-1a's starting value, 64 bits.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// One FNV-1a step: fold `byte` into `hash`.
fn fnv1a_step(hash: u64, byte: u8) -> u64 {
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// FNV-1a, 64 bits: a tiny checksum of a body. Not cryptographic; it only has
/// to notice a shifted, truncated or corrupted body.
///
/// # Examples
///
/// ```
/// use handspun::workloads::io::checksum;
/// assert_ne!(checksum(b"abc"), checksum(b"acb"));
/// ```
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().copied().fold(FNV_OFFSET_BASIS, fnv1a_step)
}

/// What is wrong with a downloaded body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body was shorter or longer than the page.
    #[error("body has {got} bytes, expected {expected}")]
    WrongLength {
        /// The page's length.
        expected: usize,
        /// What arrived.
        got: usize,
    },
    /// A byte differs from the slow site's pattern.
    #[error("body byte {index} is {got:#04x}, expected {expected:#04x} (b'a' + i % 26)")]
    WrongByte {
        /// Position of the first wrong byte.
        index: usize,
        /// The pattern's byte there.
        expected: u8,
        /// What arrived.
        got: u8,
    },
}

/// Checks a downloaded body: its length, then every byte against the
/// pattern. Returns the body's [`checksum`] (computed in the same pass),
/// which runs add up so that two models can be compared.
///
/// # Errors
///
/// [`BodyError`] for the first thing that is wrong.
///
/// # Examples
///
/// ```
/// use handspun::workloads::io::{check_body, checksum, BodyError};
///
/// assert!(check_body(b"abcd", 4).is_ok());
/// assert_eq!(check_body(b"abc", 4), Err(BodyError::WrongLength { expected: 4, got: 3 }));
/// assert!(check_body(b"abxd", 4).is_err());
/// assert_eq!(check_body(b"abcd", 4), Ok(checksum(b"abcd")));
/// ```
pub fn check_body(body: &[u8], expected_len: usize) -> Result<u64, BodyError> {
    if body.len() != expected_len {
        return Err(BodyError::WrongLength {
            expected: expected_len,
            got: body.len(),
        });
    }
    // One pass: check each byte and fold it into the checksum.
    let mut hash = FNV_OFFSET_BASIS;
    for (index, &got) in body.iter().enumerate() {
        let expected = expected_body_byte(index);
        if got != expected {
            return Err(BodyError::WrongByte {
                index,
                expected,
                got,
            });
        }
        hash = fnv1a_step(hash, got);
    }
    Ok(hash)
}
