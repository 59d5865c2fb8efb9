//! Where in a value something went wrong, and the codec errors that say so.

use std::fmt;

/// One step from a value into a part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// An object attribute: `.name`.
    Attr(String),
    /// A map element: `["key"]`.
    Key(String),
    /// A list, set or tuple element: `[3]`.
    Index(u64),
}

/// A step as the codecs track it while they walk a value: borrowed, so the walk allocates
/// nothing for it; it becomes a [`PathStep`] only when an error is reported.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'a> {
    Attr(&'a str),
    Key(&'a str),
    Index(u64),
}

impl Step<'_> {
    fn to_owned_step(self) -> PathStep {
        match self {
            Step::Attr(name) => PathStep::Attr(name.to_owned()),
            Step::Key(key) => PathStep::Key(key.to_owned()),
            Step::Index(i) => PathStep::Index(i),
        }
    }
}

impl Path {
    /// The owned path of the steps a codec has walked.
    pub(crate) fn of(steps: &[Step<'_>]) -> Path {
        Path(steps.iter().map(|s| s.to_owned_step()).collect())
    }
}

/// A path from the root value, displayed as Terraform users write it: `.labels["env"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(pub Vec<PathStep>);

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.0 {
            match step {
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Bytes that are not a value of the expected type. The message never quotes the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub path: Path,
    pub message: String,
}

/// A value that cannot be written as the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    pub path: Path,
    pub message: String,
}

fn write_error(f: &mut fmt::Formatter<'_>, path: &Path, message: &str) -> fmt::Result {
    match path.0.is_empty() {
        true => f.write_str(message),
        false => write!(f, "at {path}: {message}"),
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_error(f, &self.path, &self.message)
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_error(f, &self.path, &self.message)
    }
}

impl std::error::Error for DecodeError {}
impl std::error::Error for EncodeError {}
