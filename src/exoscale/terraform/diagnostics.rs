//! The one way a failed API call (or any failure with a message) reads as a diagnostic of
//! this backend: an error under a summary of what could not be done.

use std::fmt::Display;

use crate::plugin::{Diagnostic, Diagnostics};

/// `e` as an error diagnostic titled `summary` ("Could not read the instance pool").
pub fn api_error(summary: &str, e: impl Display) -> Diagnostics {
    Diagnostic::error(summary, e.to_string()).into()
}
