//! What travels through the pipes: a job (two code addresses and an
//! argument) and its reply (a value, or why there is none).
//!
//! # A job is two function pointers and some bytes
//!
//! A closure cannot cross a process boundary, but a *code address* can, when
//! the receiver runs the very same program image. A job frame's body is:
//!
//! ```text
//! +-------------------+------------------+------------------------------+
//! | trampoline: u64   | function: u64    | argument, postcard-encoded   |
//! +-------------------+------------------+------------------------------+
//! ```
//!
//! - `function` is the user's `fn(A) -> R`, cast to an integer.
//! - `trampoline` is [`run_one::<A, R>`] (or [`run_chunk::<A, R>`] for a
//!   [`map`](super::ProcessPool::map) chunk), also cast to an integer. It is
//!   the one piece of code that knows the types `A` and `R`: it decodes the
//!   argument, turns `function` back into an `fn(A) -> R`, calls it under
//!   `catch_unwind`, and encodes the result. The worker itself
//!   ([`run_in_worker`]) knows no types at all.
//!
//! # Why turning an integer back into a function is sound here
//!
//! Only because every worker is a `fork` of the parent, never a fresh
//! program: `fork` copies the whole address space, so every function lives at
//! the same address in the worker as in the parent (address-space layout
//! randomisation happens at `exec`, which workers never do). The addresses in
//! a frame come only from the parent of this very worker, through a pipe
//! nothing else can write to. Sending such an address to another program, or
//! to a program started with `exec`, would be undefined behaviour — that is
//! why Python's `spawn` start method pickles functions by *name* instead.
//!
//! # A reply is a tag and some bytes
//!
//! ```text
//! +---------+----------------------------------------------------------+
//! | tag: u8 | 0: the value, postcard-encoded | 1..=3: a UTF-8 message  |
//! +---------+----------------------------------------------------------+
//! ```

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ProcError;
use super::frame;

/// The type-erased entry point a worker calls for one job: the function's
/// address and the encoded argument in, a [`Reply`] out.
type Trampoline = fn(usize, &[u8]) -> Reply;

/// Bytes in a job body before the argument: two addresses.
const JOB_HEADER_LEN: usize = 16;

/// The answer to one job, as the worker computes it.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The function returned; here is its value, postcard-encoded.
    Value(Vec<u8>),
    /// The function panicked, with this message.
    Panicked(String),
    /// The argument could not be decoded in the worker.
    DecodeArgument(String),
    /// The result could not be encoded in the worker.
    EncodeResult(String),
}

impl Reply {
    /// The reply as a complete frame, ready to be written to the pipe.
    pub(crate) fn into_frame(self) -> Vec<u8> {
        let (tag, bytes) = match self {
            Reply::Value(bytes) => (0u8, bytes),
            Reply::Panicked(message) => (1, message.into_bytes()),
            Reply::DecodeArgument(message) => (2, message.into_bytes()),
            Reply::EncodeResult(message) => (3, message.into_bytes()),
        };
        let mut out = frame::start_frame(1 + bytes.len());
        out.push(tag);
        out.extend_from_slice(&bytes);
        frame::finish_frame(&mut out);
        out
    }
}

/// A reply body read by the parent: the tag byte then the payload. Kept as
/// one buffer so that a 100 MiB value is decoded in place, never copied.
pub(crate) struct ReplyBody(pub(crate) Vec<u8>);

impl ReplyBody {
    /// The encoded value, or the error the worker reported instead.
    pub(crate) fn value_bytes(&self) -> Result<&[u8], ProcError> {
        let Some((&tag, payload)) = self.0.split_first() else {
            return Err(ProcError::Decode(
                "reply: the worker sent an empty frame".into(),
            ));
        };
        let message = || String::from_utf8_lossy(payload).into_owned();
        match tag {
            0 => Ok(payload),
            1 => Err(ProcError::Panicked(message())),
            2 => Err(ProcError::Decode(format!(
                "argument in the worker: {}",
                message()
            ))),
            3 => Err(ProcError::Encode(format!(
                "result in the worker: {}",
                message()
            ))),
            other => Err(ProcError::Decode(format!("reply: unknown tag {other}"))),
        }
    }

    /// Decodes the value as an `R`. A `Deserialize` implementation that
    /// panics is caught here, so it cannot take the pool's thread down.
    pub(crate) fn decode<R: DeserializeOwned>(&self) -> Result<R, ProcError> {
        let bytes = self.value_bytes()?;
        match catch_unwind(|| postcard::from_bytes(bytes)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(ProcError::Decode(format!("result: {e}"))),
            Err(payload) => Err(ProcError::Decode(format!(
                "result: its Deserialize panicked: {}",
                panic_message(payload.as_ref())
            ))),
        }
    }
}

/// Builds the frame for one call `f(arg)`.
///
/// # Errors
///
/// [`ProcError::Encode`] if postcard cannot encode `arg`.
pub(crate) fn encode_call<A, R>(f: fn(A) -> R, arg: &A) -> Result<Vec<u8>, ProcError>
where
    A: Serialize + DeserializeOwned,
    R: Serialize,
{
    encode_job(run_one::<A, R> as Trampoline, f as usize, arg)
}

/// Builds the frame for a chunk of calls `f(item)` for each item, run one
/// after another in one worker and answered in one reply.
///
/// # Errors
///
/// [`ProcError::Encode`] if postcard cannot encode the items.
pub(crate) fn encode_chunk<A, R>(f: fn(A) -> R, items: &[A]) -> Result<Vec<u8>, ProcError>
where
    A: Serialize + DeserializeOwned,
    R: Serialize,
{
    encode_job(run_chunk::<A, R> as Trampoline, f as usize, items)
}

fn encode_job<T: Serialize + ?Sized>(
    trampoline: Trampoline,
    function: usize,
    arg: &T,
) -> Result<Vec<u8>, ProcError> {
    let mut out = frame::start_frame(JOB_HEADER_LEN);
    out.extend_from_slice(&(trampoline as usize as u64).to_le_bytes());
    out.extend_from_slice(&(function as u64).to_le_bytes());
    let mut out =
        postcard::to_extend(arg, out).map_err(|e| ProcError::Encode(format!("argument: {e}")))?;
    frame::finish_frame(&mut out);
    Ok(out)
}

/// Runs one job body in the worker and returns its reply.
///
/// Must only be given bodies built by [`encode_call`] or [`encode_chunk`] in
/// the parent this worker was forked from (see the module docs).
pub(crate) fn run_in_worker(body: &[u8]) -> Reply {
    if body.len() < JOB_HEADER_LEN {
        return Reply::DecodeArgument("job frame shorter than its header".into());
    }
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&body[i * 8..i * 8 + 8]);
        u64::from_le_bytes(bytes) as usize
    };
    let (trampoline, function) = (word(0), word(1));
    // The frame came through the pipe only the parent writes to, and
    // `encode_job` took this address of a `Trampoline` (`run_one` or
    // `run_chunk`, instantiated for this job's types) in that parent.
    // SAFETY: this process is a fork of that parent, so the same code sits
    // at the same address here (see the module docs).
    let trampoline: Trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(trampoline) };
    trampoline(function, &body[JOB_HEADER_LEN..])
}

/// The trampoline for one call: decode an `A`, call `f`, encode the `R`.
fn run_one<A: DeserializeOwned, R: Serialize>(function: usize, arg: &[u8]) -> Reply {
    let arg: A = match postcard::from_bytes(arg) {
        Ok(arg) => arg,
        Err(e) => return Reply::DecodeArgument(e.to_string()),
    };
    // `function` is an `fn(A) -> R` cast to an integer by `encode_call::<A, R>`
    // in the parent, which also chose this very `run_one::<A, R>` as trampoline.
    // SAFETY: so the types match, and the address is valid here because this
    // process is a fork of that parent.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(function) };
    match catch_unwind(AssertUnwindSafe(|| f(arg))) {
        Ok(value) => match postcard::to_allocvec(&value) {
            Ok(bytes) => Reply::Value(bytes),
            Err(e) => Reply::EncodeResult(e.to_string()),
        },
        Err(payload) => Reply::Panicked(panic_message(payload.as_ref())),
    }
}

/// The trampoline for a chunk: decode a `Vec<A>`, call `f` on each item
/// (each under its own `catch_unwind`, so one panicking item does not spoil
/// the others), encode a `Vec<Result<R, String>>`.
fn run_chunk<A: DeserializeOwned, R: Serialize>(function: usize, arg: &[u8]) -> Reply {
    let items: Vec<A> = match postcard::from_bytes(arg) {
        Ok(items) => items,
        Err(e) => return Reply::DecodeArgument(e.to_string()),
    };
    // SAFETY: as in `run_one`: `encode_chunk::<A, R>` paired this address of
    // an `fn(A) -> R` with this instantiation, in the parent we are a fork of.
    let f = unsafe { std::mem::transmute::<usize, fn(A) -> R>(function) };
    let results: Vec<Result<R, String>> = items
        .into_iter()
        .map(|item| {
            catch_unwind(AssertUnwindSafe(|| f(item)))
                .map_err(|payload| panic_message(payload.as_ref()))
        })
        .collect();
    match postcard::to_allocvec(&results) {
        Ok(bytes) => Reply::Value(bytes),
        Err(e) => Reply::EncodeResult(e.to_string()),
    }
}

/// The text of a panic, from the payload `catch_unwind` returns.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}
