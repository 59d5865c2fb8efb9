//! cty, Terraform's type system: types, values (with unknowns), and the msgpack and
//! JSON wire codecs described in Terraform's `object-wire-format.md`.

pub mod json;
pub mod msgpack;
mod number;
mod path;
mod type_json;
mod value;

#[cfg(test)]
mod tests;

pub use number::{Number, ParseNumberError};
pub use path::{DecodeError, EncodeError, Path, PathStep};
pub use value::{Refinements, Type, Value};
