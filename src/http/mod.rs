//! Shared HTTP transport for both API clients: one JSON request helper that authorises each
//! attempt, classifies failures, retries idempotent calls with backoff, and turns failed
//! answers into an [`ApiError`] that reads well in a Terraform diagnostic. What an error
//! body says, and which body fields the log must hide, is each backend's business: it hands
//! [`HttpApi::new`] its [`ErrorDialect`].
//!
//! One file per job:
//! - `client`: [`HttpApi`], its set-up, the retry loop of [`HttpApi::send`], one attempt;
//! - `call`: the request ([`Call`]), its per-attempt [`Authorize`] hook, [`path_segment`];
//! - `error`: [`ApiError`] and its [`ErrorKind`]; a backend's [`ErrorDialect`] and
//!   [`ErrorBody`];
//! - `retry`: whether a failed attempt is tried again, and after what pause;
//! - `attempt_log`: the DEBUG line each attempt leaves, and its TRACE lines of bodies;
//! - `body_log`: what those show of a body ([`SensitiveFields`] hidden, capped);
//! - `answer`: what is wrong with an answer's body ([`decode_json`], HTML pages), [`clip`];
//! - `no_answer`: a call that got no answer (connection, timeout, refused certificate);
//! - `date`: the Retry-After header and HTTP dates;
//! - `jitter`: the random source that spreads retries (and the waits' polls).

mod answer;
mod attempt_log;
mod body_log;
mod call;
mod client;
mod date;
mod error;
mod jitter;
mod no_answer;
mod retry;

pub use answer::{clip, decode_json};
pub use body_log::{SensitiveFields, CREDENTIAL_WORDS};
pub use call::{path_segment, Authorize, Call};
pub use client::HttpApi;
pub use error::{ApiError, ErrorBody, ErrorDialect, ErrorFields, ErrorKind};
pub use jitter::Jitter;
