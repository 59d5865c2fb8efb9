//! The one way an error from the API (or from waiting on it) reads as a diagnostic of this
//! backend: an error under a summary of what could not be done, followed by what to do about
//! it when the step that met it has advice.

use std::fmt::Display;

use crate::http::ApiError;
use crate::ona::api::client::SERVICE;
use crate::plugin::{Diagnostic, Diagnostics};
use crate::wait::WaitError;

/// The advice for a size the API rejects, whichever change sent it.
pub const FIX_SIZES: &str = "Fix the value the API names (min_size from 0 to 20, max_size from 1 to 20, min_size <= max_size), then apply again.";

/// `e` as an error diagnostic titled `summary` ("Cannot read the warm pool").
pub fn api_error(summary: &str, e: impl Display) -> Diagnostics {
    Diagnostic::error(summary, e.to_string()).into()
}

/// What to do after a wait that ended without its result: `otherwise` (such as raising a
/// timeout) when it was progressing, the API's status when it kept failing.
pub fn next_step<E>(e: &WaitError<E>, otherwise: &str) -> String {
    e.failing_advice(SERVICE)
        .unwrap_or_else(|| otherwise.to_string())
}

/// An error that waiting will not heal, with the step's advice when it has some. 401 and 403
/// need none: they already point at the credentials (see [`ApiError`]'s Display).
pub fn refused(summary: &str, e: &ApiError, advice: Option<&str>) -> Diagnostics {
    match advice {
        Some(advice) => api_error(summary, format!("{e}\n\n{advice}")),
        None => api_error(summary, e),
    }
}
