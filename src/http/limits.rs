//! Size limits that keep hostile or broken peers from using unbounded memory.

/// How large a message may be before the [`codec`](super::codec) rejects it.
///
/// Every buffer in the HTTP layer is bounded by one of these numbers: the
/// head buffer by [`max_head_bytes`](Self::max_head_bytes), the parsed
/// header array by [`max_headers`](Self::max_headers), and any body a client
/// collects by [`max_body_bytes`](Self::max_body_bytes). A peer that exceeds
/// one gets a typed error, never an allocation it chose.
///
/// # Examples
///
/// ```
/// use handspun::http::Limits;
///
/// let limits = Limits { max_body_bytes: 1024, ..Limits::default() };
/// assert_eq!(limits.max_head_bytes, 64 * 1024);
/// assert_eq!(limits.max_headers, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (start line, headers and the blank line) in bytes.
    /// Default 64 KiB. Also bounds a chunked body's trailer section.
    pub max_head_bytes: usize,
    /// Most header lines in one head. Default 100.
    pub max_headers: usize,
    /// Largest body in bytes, declared or received. Default 64 MiB.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}
