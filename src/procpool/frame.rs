//! Length-prefixed frames: how a message crosses a pipe in one piece.
//!
//! A pipe is a stream of bytes with no boundaries, so every message is sent
//! as a *frame*: an 8-byte little-endian length, then exactly that many bytes.
//!
//! ```text
//! +----------------+---------------------------+
//! | length: u64 LE | body: `length` bytes      |
//! +----------------+---------------------------+
//! ```
//!
//! The two sides move frames differently:
//!
//! - The **worker** (child) blocks: it has nothing else to do while a job
//!   arrives or its answer leaves ([`read_frame_blocking`],
//!   [`write_all_blocking`]).
//! - The **parent** must never block for ever on a worker that may be hung or
//!   dead, so its descriptors are non-blocking and every transfer has a
//!   deadline ([`write_all_until`], [`read_frame_until`]): try the call, and
//!   when it would block, `poll` for at most the time left.
//!
//! A big frame (a 100 MiB argument) cannot deadlock: a worker runs one job at
//! a time and reads the whole job before it writes a single byte of its
//! answer, so while the parent writes the worker is reading, and while the
//! worker writes the parent is reading.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Instant;

use super::sys;

/// Bytes in a frame's length prefix.
pub(crate) const HEADER_LEN: usize = 8;

/// Starts a frame: a buffer holding a length prefix still to be filled in by
/// [`finish_frame`]. Append the body to it.
pub(crate) fn start_frame(body_capacity: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER_LEN + body_capacity);
    frame.extend_from_slice(&[0; HEADER_LEN]);
    frame
}

/// Writes the body's length into the prefix reserved by [`start_frame`].
pub(crate) fn finish_frame(frame: &mut [u8]) {
    let body_len = (frame.len() - HEADER_LEN) as u64;
    frame[..HEADER_LEN].copy_from_slice(&body_len.to_le_bytes());
}

/// Why a transfer with a worker stopped before it was complete.
#[derive(Debug)]
pub(crate) enum TransferError {
    /// The other end is gone: end of file while reading, `EPIPE` while
    /// writing. For a worker pipe this means the worker died.
    Closed,
    /// The deadline passed first.
    TimedOut,
    /// Any other OS error.
    Io(io::Error),
}

impl From<io::Error> for TransferError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            TransferError::Closed
        } else {
            TransferError::Io(error)
        }
    }
}

// ---------------------------------------------------------------- worker side

/// Reads one whole frame from a blocking descriptor. `Ok(None)` means the
/// pipe was closed cleanly between frames: the parent asks the worker to stop
/// by closing its end.
pub(crate) fn read_frame_blocking(fd: BorrowedFd<'_>) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; HEADER_LEN];
    let got = read_exact_blocking(fd, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < HEADER_LEN {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let len = u64::from_le_bytes(header) as usize;
    let mut body = vec![0u8; len];
    if read_exact_blocking(fd, &mut body)? < len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(body))
}

/// Fills `buf` from a blocking descriptor, stopping early only at end of
/// file. Returns how many bytes were read.
fn read_exact_blocking(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match sys::read(fd, &mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Writes all of `buf` to a blocking descriptor.
pub(crate) fn write_all_blocking(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<()> {
    let mut written = 0;
    while written < buf.len() {
        written += sys::write(fd, &buf[written..])?;
    }
    Ok(())
}

// ---------------------------------------------------------------- parent side

/// Waits until `fd` is ready for the direction wanted, or `deadline` passes.
fn wait_ready(
    fd: BorrowedFd<'_>,
    want_write: bool,
    deadline: Option<Instant>,
) -> Result<(), TransferError> {
    let timeout = match deadline {
        None => None,
        Some(deadline) => {
            let now = Instant::now();
            if now >= deadline {
                return Err(TransferError::TimedOut);
            }
            Some(deadline - now)
        }
    };
    match sys::poll_one(fd, want_write, timeout)? {
        None => Err(TransferError::TimedOut),
        Some(_) => Ok(()),
    }
}

/// Writes all of `buf` to a non-blocking descriptor before `deadline`.
pub(crate) fn write_all_until(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    deadline: Option<Instant>,
) -> Result<(), TransferError> {
    let mut written = 0;
    while written < buf.len() {
        match sys::write(fd, &buf[written..]) {
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                wait_ready(fd, true, deadline)?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Fills `buf` from a non-blocking descriptor before `deadline`. End of file
/// before `buf` is full is [`TransferError::Closed`].
fn read_exact_until(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> Result<(), TransferError> {
    let mut filled = 0;
    while filled < buf.len() {
        match sys::read(fd, &mut buf[filled..]) {
            Ok(0) => return Err(TransferError::Closed),
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                wait_ready(fd, false, deadline)?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Reads one whole frame from a non-blocking descriptor before `deadline`
/// and returns its body.
pub(crate) fn read_frame_until(
    fd: BorrowedFd<'_>,
    deadline: Option<Instant>,
) -> Result<Vec<u8>, TransferError> {
    let mut header = [0u8; HEADER_LEN];
    read_exact_until(fd, &mut header, deadline)?;
    let len = u64::from_le_bytes(header) as usize;
    let mut body = vec![0u8; len];
    read_exact_until(fd, &mut body, deadline)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_frame_survives_the_round_trip_through_a_pipe() {
        let (read_end, write_end) = sys::pipe().unwrap();
        sys::set_nonblocking(read_end.as_fd()).unwrap();
        let mut frame = start_frame(5);
        frame.extend_from_slice(b"hello");
        finish_frame(&mut frame);
        write_all_blocking(write_end.as_fd(), &frame).unwrap();
        let body = read_frame_until(read_end.as_fd(), None).unwrap();
        assert_eq!(body, b"hello");
    }

    #[test]
    fn a_closed_pipe_reads_as_closed_and_an_idle_one_times_out() {
        let (read_end, write_end) = sys::pipe().unwrap();
        sys::set_nonblocking(read_end.as_fd()).unwrap();
        let soon = Some(Instant::now());
        assert!(matches!(
            read_frame_until(read_end.as_fd(), soon),
            Err(TransferError::TimedOut)
        ));
        drop(write_end);
        assert!(matches!(
            read_frame_until(read_end.as_fd(), None),
            Err(TransferError::Closed)
        ));
    }
}
