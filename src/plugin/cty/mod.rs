//! cty, Terraform's type system: types, values (with unknowns), and the msgpack and
//! JSON wire codecs described in Terraform's `object-wire-format.md`.

mod number;
mod value;

pub use number::Number;
pub use value::{Refinements, Type, Value};
mod codec_tmp;
pub use codec_tmp::{json, msgpack, DecodeError, EncodeError};
